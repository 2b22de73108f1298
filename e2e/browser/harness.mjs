// The browser suite's world: a tessera demo server (the real binary), the sample server app on
// localhost:3001, Debian's chromium through playwright-core, a record of every response the
// browser received, screenshots under the CI output folder, and an SMTP sink
// (e2e/python/smtp_sink.py) whose messages the tests read as the people they are sent to.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.resolve(ROOT, process.env.TESSERA_BIN ?? 'target/debug/tessera');
export const SHOTS = path.join(path.resolve(ROOT, process.env.TESSERA_ARTIFACTS ?? 'ci-output'), 'screenshots');
export const ACCESS_TOKEN_TTL = 6;
const children = new Set();

/** Resolve with the first stdout line of `proc` that matches, or fail after `ms`. */
function lineMatching(proc, re, ms = 15_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${ms} ms`)), ms);
    const rl = readline.createInterface({ input: proc.stdout });
    rl.on('line', (line) => {
      if (re.test(line)) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    proc.on('exit', (code) => reject(new Error(`process exited with ${code} before printing ${re}`)));
  });
}

/** The environment without TESSERA_* settings (a caller's would change what the server does). */
function cleanEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TESSERA_')));
  return { ...env, ...extra };
}

function start(cmd, args, env) {
  const proc = spawn(cmd, args, { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  return proc;
}

const serverEnv = { TESSERA_ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL), TESSERA_RATE_LIMITS: 'off', RUST_LOG: 'warn' };

/** `tessera demo` on a free port: returns its printed JSON (urls, credentials, ids). `env`: more
 * settings for the server (e.g. `mailSink.env`), kept by restartServer. */
export async function startDemo(env = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-browser-'));
  const proc = start(BIN, ['demo', '--json', '--listen', '127.0.0.1:0', '--data-dir', dataDir], { ...serverEnv, ...env });
  const demo = JSON.parse(await lineMatching(proc, /^\{/));
  return { ...demo, proc, env, databaseUrl: `sqlite://${path.join(dataDir, 'demo.db')}` };
}

/** Kill the server with SIGKILL (a dropped network, as far as the browser can tell). */
export async function killServer(server) {
  const exited = new Promise((r) => server.proc.once('exit', r));
  server.proc.kill('SIGKILL');
  await exited;
}

/** Serve the demo's database again on the same address, still hosting the sample browser app. */
export async function restartServer(server) {
  const addr = new URL(server.url).host;
  server.proc = start(BIN, ['serve', '--listen', addr, '--database-url', server.databaseUrl, '--issuer', server.url], {
    ...serverEnv,
    ...server.env,
    TESSERA_EXAMPLE_APP: server.app.client_id,
  });
  await lineMatching(server.proc, /listening on/);
}

/** An admin command on the demo's database; returns its JSON output. */
export function cli(server, ...args) {
  return cliWithInput(server, undefined, ...args);
}

/** An admin command that reads `input` on its standard input (`user create --password-stdin`). */
export function cliWithInput(server, input, ...args) {
  const out = execFileSync(BIN, [...args, '--database-url', server.databaseUrl, '--json'], {
    encoding: 'utf8',
    env: cleanEnv(),
    input,
  });
  return JSON.parse(out);
}

/** A real SMTP server (e2e/python/smtp_sink.py, aiosmtpd) writing each message it accepts to
 * `dir` as a .eml file; `env` points a server at it. stopAll stops it. */
export async function startMailSink() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-browser-mail-'));
  const proc = start('python3', [path.join(ROOT, 'e2e/python/smtp_sink.py'), '--dir', dir, '--port', '0']);
  const addr = (await lineMatching(proc, /^smtp sink listening on /)).replace('smtp sink listening on ', '').trim();
  const env = { TESSERA_SMTP_URL: `smtp://${addr}`, TESSERA_MAIL_FROM: 'tessera <no-reply@example.test>' };
  return { dir, proc, env };
}

/** A header block as [lower-case name, value] pairs, continuation lines unfolded and RFC 2047
 * encoded words decoded. */
function headers(block) {
  const words = (v) =>
    v.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([bq])\?([^?]*)\?=/gi, (_, charset, enc, text) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : quotedPrintable(text.replaceAll('_', ' ')).toString('utf8'));
  return block
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .filter((l) => l.includes(':'))
    .map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), words(l.slice(l.indexOf(':') + 1).trim())]);
}

/** Quoted-printable to bytes: soft line breaks (`=` at the end of a line) dropped, `=XX` decoded. */
function quotedPrintable(text) {
  const s = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i], 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/** One MIME entity: its headers, and its text parts (type and decoded text), multiparts opened. */
function mimeParts(raw) {
  const cut = raw.search(/\r?\n\r?\n/);
  const head = headers(cut < 0 ? raw : raw.slice(0, cut));
  const body = cut < 0 ? '' : raw.slice(cut).replace(/^\r?\n\r?\n/, '');
  const get = (name) => head.find(([k]) => k === name)?.[1] ?? '';
  const type = get('content-type') || 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const chunks = body.split(`--${boundary}`).slice(1);
    const parts = chunks.filter((c) => !c.startsWith('--')).flatMap((c) => mimeParts(c.replace(/^\r?\n/, '')).parts);
    return { head, parts };
  }
  const encoding = get('content-transfer-encoding').toLowerCase();
  const bytes = encoding === 'quoted-printable' ? quotedPrintable(body)
    : encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64')
    : Buffer.from(body, 'utf8');
  return { head, parts: [{ type: type.split(';')[0].trim().toLowerCase(), text: bytes.toString('utf8') }] };
}

const readMail = new Set(); // the files waitForMail returned already

/** The oldest message in the sink's folder to `to` whose subject contains `subject`, that this
 * function has not returned before; waits up to `ms` for it. Returns its envelope recipients,
 * subject and text/plain part (decoded). */
export async function waitForMail(sink, to, subject, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const names = fs.readdirSync(sink.dir).filter((f) => f.endsWith('.eml') && !f.startsWith('.'))
      .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    const seen = [];
    for (const name of names) {
      const { head, parts } = mimeParts(fs.readFileSync(path.join(sink.dir, name), 'latin1'));
      const envelopeTo = head.filter(([k]) => k === 'x-envelope-to').map(([, v]) => v.toLowerCase()).join(', ');
      const mail = { file: name, to: envelopeTo, subject: head.find(([k]) => k === 'subject')?.[1] ?? '',
        text: parts.find((p) => p.type === 'text/plain')?.text ?? '', html: parts.find((p) => p.type === 'text/html')?.text ?? '' };
      seen.push(`${mail.to}: ${mail.subject}`);
      if (!readMail.has(name) && envelopeTo.split(/,\s*/).includes(to.toLowerCase()) && mail.subject.includes(subject)) {
        readMail.add(name);
        return mail;
      }
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} about ${JSON.stringify(subject)} after ${ms} ms; the sink has ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The first link in a message's text part that starts with `prefix`. */
export function linkIn(mail, prefix) {
  for (const url of mail.text.match(/https?:\/\/[^\s<>"']+/g) ?? []) {
    const clean = url.replace(/[.,;:!?)\]]+$/, '');
    if (clean.startsWith(prefix)) return clean;
  }
  throw new Error(`no link starting with ${prefix} in the text part:\n${mail.text}`);
}

/** The sample server app (examples/server-app) on localhost:3001. */
export async function startServerApp(env) {
  const proc = start(process.execPath, [path.join(ROOT, 'examples/server-app/server.mjs')], env);
  await lineMatching(proc, /listening on/);
  return proc;
}

export async function graphqlAs(server, token, query, variables) {
  const res = await fetch(server.graphql, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

let texts = 0;

/** The bot writes a Text through /v3/graphql, each in its own place on a grid to the right of
 * the demo's canvas (so that screenshots show them apart); returns its id. */
export async function botCreatesText(server, text) {
  const n = texts++;
  const body = await graphqlAs(
    server,
    server.bot.token,
    `mutation($ws: String!, $text: String!, $x: Float!, $y: Float!) {
      createText(workspaceId: $ws, input: {text: $text, transform: {x: $x, y: $y}, style: {width: 500, height: 80, fontSize: 32}}) { id }
    }`,
    { ws: server.workspace.id, text, x: 1700 + (n % 6) * 520, y: Math.floor(n / 6) * 100 },
  );
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data.createText.id;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Everything the browser received: response headers and bodies, WebSocket frames. */
export const traffic = [];

/** Record a context's traffic (every page it opens). */
export function capture(context) {
  context.on('response', async (res) => {
    traffic.push(`${res.url()} ${JSON.stringify(await res.allHeaders())}`);
    try {
      traffic.push((await res.body()).toString('utf8'));
    } catch {
      // redirects and aborted requests have no body
    }
  });
  const watchPage = (page) =>
    page.on('websocket', (ws) => ws.on('framereceived', (f) => traffic.push(String(f.payload))));
  context.pages().forEach(watchPage);
  context.on('page', watchPage);
}

let shot = 0;
export async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  shot += 1;
  await page.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** On tessera's login page: fill the form as `who` ({ email, password }) and send it; returns once
 * the answer (a page or a redirect) has loaded. */
export async function signIn(page, who, shot) {
  await page.waitForSelector('input[name=password]');
  await page.fill('input[name=email]', who.email);
  await page.fill('input[name=password]', who.password);
  if (shot) await screenshot(page, shot);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Whom a tessera page says is signed in (the address next to "Sign out"). */
export const signedInAs = (page) => page.locator('form[action="/logout"] .muted').textContent();

/** On tessera's login page: sign in; on the consent page (if shown): allow. */
export async function signInAndAllow(page, server, shotPrefix) {
  await page.waitForSelector('input[name=password]');
  await screenshot(page, `${shotPrefix}-login`);
  await page.fill('input[name=email]', server.user.email);
  await page.fill('input[name=password]', server.user.password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  if (new URL(page.url()).pathname === '/v3/oauth2/authorize') {
    await screenshot(page, `${shotPrefix}-consent`);
    await Promise.all([page.waitForNavigation(), page.click('button[name=decision][value=allow]')]);
  }
}

/** The ids and cursors of the elements a page's board draws, in drawing (stacking) order. */
export function shownElements(page) {
  return page.$$eval('#board g[data-id]', (gs) => gs.map((g) => ({ id: g.dataset.id, cursor: Number(g.dataset.cursor) })));
}

export function stopAll() {
  for (const c of children) c.kill('SIGKILL');
}
