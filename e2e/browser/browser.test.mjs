// The browser story end to end, in Debian's chromium: the sample browser app (public client,
// PKCE), the sample server app (confidential client on localhost:3001), and bot-to-browser
// token exchange. Screenshots of each step go to $TESSERA_ARTIFACTS/screenshots.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as h from './harness.mjs';

const ELEMENTS_OF = `query($ws: String!) { elements(workspaceId: $ws) { id } }`;
let server;
let browser;
let app; // the browser-app page
let other; // a second workspace the bot can read, outside the exchanged token's reach
let boardBot; // a second token of the demo bot, held only by the server app's backend
let serverApp;

before(async () => {
  server = await h.startDemo();
  other = h.cli(server, 'workspace', 'create', '--org', server.organization.id, '--name', 'Other board', '--owner', server.user.id);
  h.cli(server, 'workspace', 'add-collaborator', '--workspace', other.id, '--user', server.bot.id, '--role', 'editor');
  boardBot = h.cli(server, 'bot', 'token', 'create', '--bot', server.bot.id);
  const confidential = h.cli(server, 'app', 'create', '--owner', server.user.id, '--name', 'Sample server app',
    '--redirect-uri', 'http://localhost:3001/auth/callback');
  serverApp = await h.startServerApp({
    TESSERA_URL: server.url,
    CLIENT_ID: confidential.client_id,
    CLIENT_SECRET: confidential.client_secret,
    BOT_TOKEN: boardBot.token,
    BOARD_WORKSPACE: server.workspace.id,
    PORT: '3001',
  });
  server.clientSecret = confidential.client_secret;
  browser = await h.launchBrowser();
});

after(async () => {
  await browser?.close();
  h.stopAll();
});

/** How long to wait for something to show before calling it lost: a guard against hanging, not a
 * latency claim. Latencies are printed, not asserted: on two busy cores they measure the machine. */
const LOST_AFTER = 15_000;

/** Wait until the page's board draws element `id`; returns the milliseconds since `t0`. */
async function shows(page, id, t0) {
  await page.waitForSelector(`#board g[data-id="${id}"]`, { timeout: LOST_AFTER });
  return Date.now() - t0;
}

/** Every id exactly once, and the board's elements (all at zIndex 0, so stacked in the order
 * they were created) in strictly increasing cursor order. */
async function assertExactlyOnceInOrder(page, ids) {
  const shown = await h.shownElements(page);
  const seen = shown.map((e) => e.id);
  for (const id of ids) assert.equal(seen.filter((s) => s === id).length, 1, `element ${id} shown once`);
  for (let i = 1; i < shown.length; i++) assert.ok(shown[i].cursor > shown[i - 1].cursor, 'cursor order');
}

test('browser app: sign in with PKCE, consent, workspaces, and a bot write shown live', async () => {
  const context = await browser.newContext();
  h.capture(context);
  app = await context.newPage();
  await app.goto(`${server.url}/examples/browser-app/`);
  await app.waitForSelector('body[data-state=signed-out]');
  await h.screenshot(app, 'browser-app-signed-out');
  await Promise.all([app.waitForNavigation(), app.click('#sign-in')]);
  await h.signInAndAllow(app, server, 'browser-app');
  await app.waitForSelector('body[data-state=signed-in]');
  assert.equal(new URL(app.url()).search, '', 'the code is gone from the address bar');
  assert.match(await app.textContent('#user'), /demo@tessera\.test/);
  assert.equal(await app.textContent(`button[data-workspace="${server.workspace.id}"]`), server.workspace.name);
  await h.screenshot(app, 'browser-app-workspaces');

  await app.click(`button[data-workspace="${server.workspace.id}"]`);
  await app.waitForFunction(() => document.querySelectorAll('#board g[data-id]').length === 4); // the demo's seed
  assert.match(await app.textContent('#element-count'), /^4 elements, last cursor \d+$/);
  await h.screenshot(app, 'browser-app-board');
  const t0 = Date.now();
  const id = await h.botCreatesText(server, 'Hello from the bot');
  const ms = await shows(app, id, t0);
  console.log(`browser app: bot write shown after ${ms} ms`);
  await h.screenshot(app, 'browser-app-live');

  const stored = await app.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.doesNotMatch(stored, /tsr_/, 'no token in web storage');
});

test('browser app: an image uploaded in one page appears live, with its preview, in another', async () => {
  // A second browser (its own sign-in) watching the same workspace.
  const watcher = await (await browser.newContext()).newPage();
  await watcher.goto(`${server.url}/examples/browser-app/`);
  await watcher.waitForSelector('body[data-state=signed-out]');
  await Promise.all([watcher.waitForNavigation(), watcher.click('#sign-in')]);
  await h.signInAndAllow(watcher, server, 'browser-app-second');
  await watcher.waitForSelector('body[data-state=signed-in]');
  await watcher.click(`button[data-workspace="${server.workspace.id}"]`);
  await watcher.waitForFunction(() => /live/.test(document.querySelector('#status').textContent));

  // A 640 × 320 PNG, drawn by the browser, picked in the first page's file input.
  const png = Buffer.from(await app.evaluate(async () => {
    const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 320 });
    const g = canvas.getContext('2d');
    g.fillStyle = '#2a6'; g.fillRect(0, 0, 640, 320);
    g.fillStyle = '#fff'; g.font = '64px sans-serif'; g.fillText('uploaded', 160, 180);
    const blob = await new Promise((r) => canvas.toBlob(r, 'image/png'));
    return btoa(String.fromCharCode(...new Uint8Array(await blob.arrayBuffer())));
  }), 'base64');
  const t0 = Date.now();
  await app.setInputFiles('#upload', { name: 'uploaded.png', mimeType: 'image/png', buffer: png });
  await app.waitForFunction(() => document.body.dataset.uploaded, null, { timeout: LOST_AFTER });
  const id = await app.getAttribute('body', 'data-uploaded');

  // The other page draws it with its preview, at the image's own proportions.
  const preview = `#board g[data-id="${id}"] image.asset-preview`;
  await watcher.waitForSelector(preview, { timeout: LOST_AFTER });
  console.log(`upload: shown with its preview in the other page after ${Date.now() - t0} ms`);
  const shown = await watcher.$eval(preview, async (img) => {
    const res = await fetch(img.getAttribute('href'));
    const bitmap = await createImageBitmap(await res.blob());
    return { status: res.status, type: res.headers.get('content-type'), width: bitmap.width, height: bitmap.height,
      box: { width: Number(img.getAttribute('width')), height: Number(img.getAttribute('height')) } };
  });
  assert.equal(shown.status, 200);
  assert.equal(shown.type, 'image/png');
  assert.deepEqual([shown.width, shown.height], [512, 256], 'the preview is the image, made smaller');
  assert.deepEqual(shown.box, { width: 640, height: 320 }, 'drawn at the image\'s real size');
  await app.waitForSelector(preview, { timeout: LOST_AFTER });
  await h.screenshot(app, 'browser-app-uploaded');
  await h.screenshot(watcher, 'browser-app-upload-seen-elsewhere');
  await watcher.context().close();
});

test('browser app: access tokens expire while the page is open; no event around the expiry is lost', async () => {
  const refreshesBefore = Number(await app.getAttribute('body', 'data-refreshes'));
  const ids = [];
  const until = Date.now() + (2 * h.ACCESS_TOKEN_TTL + 2) * 1000; // spans at least two expiries
  while (Date.now() < until) {
    ids.push(await h.botCreatesText(server, `around the expiry ${ids.length}`));
    await new Promise((r) => setTimeout(r, 150));
  }
  await shows(app, ids.at(-1), Date.now());
  await assertExactlyOnceInOrder(app, ids);
  const refreshes = Number(await app.getAttribute('body', 'data-refreshes'));
  console.log(`expiry: ${ids.length} events over ${2 * h.ACCESS_TOKEN_TTL + 2} s, ${refreshes - refreshesBefore} refreshes`);
  assert.ok(refreshes - refreshesBefore >= 2, `the token was refreshed (${refreshes - refreshesBefore} times)`);
  assert.match(await app.textContent('#status'), /live/);
  await h.screenshot(app, 'browser-app-after-expiry');
});

test('browser app: after a dropped connection it resumes from its last cursor', async () => {
  await h.killServer(server);
  await app.waitForFunction(() => document.querySelector('#status').textContent.includes('reconnecting'));
  await h.screenshot(app, 'browser-app-reconnecting');
  await h.restartServer(server);
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await h.botCreatesText(server, `after the drop ${i}`));
  await shows(app, ids.at(-1), Date.now());
  await assertExactlyOnceInOrder(app, ids);
  await h.screenshot(app, 'browser-app-resumed');
});

test('browser app: revoking the app on the authorized-apps page ends the subscription', async () => {
  const portal = await app.context().newPage();
  await portal.goto(`${server.url}/portal`);
  const revoke = portal.locator(`form[action="/portal/grants/${server.app.client_id}/revoke"] button`);
  await revoke.waitFor();
  await h.screenshot(portal, 'portal-authorized-apps');
  const t0 = Date.now();
  await revoke.click();
  await app.waitForSelector('body[data-state=withdrawn]', { timeout: LOST_AFTER });
  console.log(`revocation: the page showed it after ${Date.now() - t0} ms`);
  assert.match(await app.textContent('#status'), /Access was withdrawn/);
  await h.screenshot(app, 'browser-app-access-withdrawn');
  // Nothing more arrives.
  const id = await h.botCreatesText(server, 'after the revocation');
  await app.waitForTimeout(500);
  assert.equal(await app.$(`#board g[data-id="${id}"]`), null);
});

test('server app on localhost:3001: confidential client, refresh token kept on the server', async () => {
  const context = await browser.newContext();
  h.capture(context);
  const page = await context.newPage();
  const received = [];
  context.on('response', async (res) => received.push(await res.text().catch(() => '')));
  await page.goto('http://localhost:3001/');
  await page.waitForSelector('body[data-state=signed-out]');
  await h.screenshot(page, 'server-app-signed-out');
  await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
  await h.signInAndAllow(page, server, 'server-app');
  assert.equal(new URL(page.url()).origin, 'http://localhost:3001');
  await page.waitForSelector('body[data-state=signed-in]');
  await page.click(`button[data-workspace="${server.workspace.id}"]`);
  await page.waitForSelector('#board g[data-id]');
  const t0 = Date.now();
  const id = await h.botCreatesText(server, 'Hello, server app');
  const ms = await shows(page, id, t0);
  console.log(`server app: bot write shown after ${ms} ms`);
  await h.screenshot(page, 'server-app-live');

  const ids = [];
  const until = Date.now() + (h.ACCESS_TOKEN_TTL + 2) * 1000;
  while (Date.now() < until) {
    ids.push(await h.botCreatesText(server, `server app, around the expiry ${ids.length}`));
    await new Promise((r) => setTimeout(r, 200));
  }
  await shows(page, ids.at(-1), Date.now());
  await assertExactlyOnceInOrder(page, ids);
  assert.ok(Number(await page.getAttribute('body', 'data-refreshes')) >= 1, 'the backend refreshed the token');
  await h.screenshot(page, 'server-app-after-expiry');

  const all = received.join('\n');
  assert.match(all, /tsr_at_/, 'the page was given access tokens');
  assert.doesNotMatch(all, /tsr_rt_/, 'no refresh token reached the browser');
  assert.ok(!all.includes(server.clientSecret), 'the client secret never reached the browser');
  await context.close();
});

test('token exchange: the board page reads its one workspace, nothing else, and dies with the bot token', async () => {
  const context = await browser.newContext();
  h.capture(context);
  const page = await context.newPage();
  await page.goto('http://localhost:3001/board');
  await page.waitForSelector('#board g[data-id]');
  const t0 = Date.now();
  const id = await h.botCreatesText(server, 'On the board');
  const ms = await shows(page, id, t0);
  console.log(`board: bot write shown after ${ms} ms`);
  await h.screenshot(page, 'board-live');

  const probe = await page.evaluate(
    async ({ graphql, own, other, query }) => {
      const t = await (await fetch('/api/workspace-token', { method: 'POST' })).json();
      const gql = (q, variables) =>
        fetch(graphql, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.access_token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ query: q, variables }),
        }).then((r) => r.json());
      const read = await gql(query, { ws: other });
      const ownRead = await gql(query, { ws: own });
      const write = await gql(
        'mutation($ws: String!) { createText(workspaceId: $ws, input: {text: "not allowed"}) { id } }',
        { ws: own },
      );
      const subscribe = await new Promise((resolve) => {
        const ws = new WebSocket(graphql.replace('http', 'ws'), 'graphql-transport-ws');
        ws.onopen = () => ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${t.access_token}` } }));
        ws.onmessage = (m) => {
          const msg = JSON.parse(m.data);
          if (msg.type === 'connection_ack') {
            ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription($ws: String!) { commands(workspaceId: $ws) { cursor } }', variables: { ws: other } } }));
          } else if (msg.type === 'error' || msg.type === 'next') {
            resolve(msg);
            ws.close();
          }
        };
        ws.onclose = (e) => resolve({ closed: e.code });
      });
      return { expiresIn: t.expires_in, read, ownRead, write, subscribe };
    },
    { graphql: server.graphql, own: server.workspace.id, other: other.id, query: ELEMENTS_OF },
  );
  assert.ok(probe.expiresIn > 0 && probe.expiresIn <= 900, `expires_in ${probe.expiresIn}`);
  assert.ok(probe.ownRead.data.elements.length > 0, 'its own workspace is readable');
  assert.equal(probe.read.errors[0].extensions.code, 'NOT_FOUND', JSON.stringify(probe.read));
  assert.equal(probe.write.errors[0].extensions.code, 'FORBIDDEN', JSON.stringify(probe.write));
  // Refused either as an `error` message or as a result with no data and the error.
  const refusal = probe.subscribe.type === 'error' ? probe.subscribe.payload : probe.subscribe.payload?.errors;
  assert.equal(probe.subscribe.payload?.data ?? null, null, JSON.stringify(probe.subscribe));
  assert.equal(refusal?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(probe.subscribe));
  // The bot itself can read the other workspace: the limit is the exchanged token's.
  const asBot = await h.graphqlAs(server, server.bot.token, ELEMENTS_OF, { ws: other.id });
  assert.deepEqual(asBot.errors, undefined);

  h.cli(server, 'bot', 'token', 'revoke', '--id', boardBot.id);
  await page.waitForSelector('body[data-state=withdrawn]', { timeout: LOST_AFTER });
  await h.screenshot(page, 'board-bot-token-revoked');
  await context.close();
});

test('no bot token or client secret appears in anything sent to the browser', () => {
  const all = h.traffic.join('\n');
  assert.ok(h.traffic.length > 50, `captured ${h.traffic.length} responses and frames`);
  assert.match(all, /tsr_at_/, 'the capture sees token responses');
  for (const secret of [server.bot.token, boardBot.token, server.clientSecret]) {
    assert.ok(!all.includes(secret), 'a secret reached the browser');
  }
  assert.doesNotMatch(all, /tsr_bot_/);
});
