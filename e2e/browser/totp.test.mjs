// Two-factor sign-in (TOTP, RFC 6238) in Debian's chromium: a person sets it up in the portal,
// reading the key off the page as an authenticator app would read the QR code, and the test
// computes the codes the app would show. Then signing in with the password asks for a code:
// a wrong one is refused, the right one signs in; each code works once, and so does a recovery
// code. Screenshots go to $TESSERA_ARTIFACTS/screenshots.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import * as h from './harness.mjs';

const TINA = { email: 'tina.totp@example.test', password: 'tina password 123' };
const RAY = { email: 'ray.recovery@example.test', password: 'ray password 123' };
let server;
let browser;

before(async () => {
  server = await h.startDemo();
  for (const [who, first] of [[TINA, 'Tina'], [RAY, 'Ray']]) {
    h.cliWithInput(server, `${who.password}\n`, 'user', 'create', '--email', who.email, '--password-stdin',
      '--first-name', first, '--last-name', 'Example');
  }
  browser = await h.launchBrowser();
});

after(async () => {
  await browser?.close();
  h.stopAll();
});

/** The six-digit code of a base32 `secret` for a 30-second `step` (HMAC-SHA1, RFC 6238). */
function totp(secret, step) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...secret.replace(/=+$/, '')].map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0')).join('');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac('sha1', key).update(counter).digest();
  return String((mac.readUInt32BE(mac[19] & 0xf) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

const step = () => Math.floor(Date.now() / 30_000);

/** A code that is none of the app's codes around now. */
const wrongCode = (secret) => {
  const near = [-2, -1, 0, 1, 2].map((d) => totp(secret, step() + d));
  return ['000000', '111111', '222222'].find((c) => !near.includes(c));
};

const heading = (page) => page.locator('h1').first().textContent();

/** The portal's two-factor sign-in section. */
const card = (page) => page.locator('section', { has: page.getByRole('heading', { level: 1, name: 'Two-factor sign-in' }) });

/** In the portal: set two-factor sign-in up, confirmed with the current code. Returns the key
 * and the recovery codes. */
async function setUp(page, shot) {
  assert.match(await card(page).textContent(), /Off\./);
  await Promise.all([page.waitForNavigation(), card(page).getByRole('button', { name: 'Set up' }).click()]);
  assert.equal(await heading(page), 'Set up two-factor sign-in');
  await page.locator('.qr svg').waitFor();
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  assert.match(secret, /^[A-Z2-7]{16,}=*$/);
  await page.fill('#code', totp(secret, step()));
  await h.screenshot(page, `${shot}-setup`);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Turn on' }).click()]);
  assert.equal(await heading(page), 'Two-factor sign-in is on');
  const codes = await page.locator('ul.codes code').allTextContents();
  assert.equal(codes.length, 10);
  await h.screenshot(page, `${shot}-recovery-codes`);
  return { secret, codes };
}

async function signOut(page) {
  await Promise.all([page.waitForURL(`${server.url}/login`), page.getByRole('button', { name: 'Sign out', exact: true }).click()]);
}

/** On the second step's page: send `code`; returns once the answer has loaded. */
async function giveCode(page, code) {
  assert.equal(new URL(page.url()).pathname, '/login/2fa');
  await page.fill('#code', code);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
}

async function assertRefused(page) {
  assert.equal(new URL(page.url()).pathname, '/login/2fa');
  assert.equal((await page.getByRole('alert').textContent()).trim(), 'That code is not right.');
  assert.equal(await page.locator('form[action="/logout"]').count(), 0, 'nobody is signed in');
}

test('the TOTP helper gives RFC 6238\'s codes', () => {
  // Appendix B's SHA-1 key ("12345678901234567890") at 59 s and 1111111109 s, last six digits.
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1), '287082');
  assert.equal(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 37037036), '081804');
});

test('two-factor sign-in: set up in the portal → recovery codes; the password then asks for a code, a wrong one is refused, the right one signs in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await h.signIn(page, TINA, 'totp-login');
  assert.equal(new URL(page.url()).pathname, '/portal');
  await h.screenshot(page, 'totp-portal-off');
  const { secret } = await setUp(page, 'totp');
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Back to the portal' }).click()]);
  assert.match(await card(page).textContent(), /On: signing in asks for a code/);
  await h.screenshot(page, 'totp-portal-on');
  await signOut(page);

  // The password alone no longer signs in: the second step asks for a code.
  await h.signIn(page, TINA);
  assert.equal(new URL(page.url()).pathname, '/login/2fa');
  assert.equal(await heading(page), 'Two-factor sign-in');
  await h.screenshot(page, 'totp-second-step');
  await giveCode(page, wrongCode(secret));
  await assertRefused(page);
  await h.screenshot(page, 'totp-wrong-code');

  // The next step's code (one step of drift is allowed), so that it is not the step whose code
  // confirmed the setup, whatever the clock says now.
  await giveCode(page, totp(secret, step() + 1));
  assert.equal(new URL(page.url()).pathname, '/portal');
  assert.equal(await h.signedInAs(page), TINA.email);
  await h.screenshot(page, 'totp-signed-in');
  await context.close();
});

test('two-factor sign-in: a code works once, and so does a recovery code', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/login`);
  await h.signIn(page, RAY);
  const { secret, codes } = await setUp(page, 'totp-once');
  await page.goto(`${server.url}/portal`);
  await signOut(page);

  const code = totp(secret, step() + 1);
  await h.signIn(page, RAY);
  await giveCode(page, code);
  assert.equal(await h.signedInAs(page), RAY.email);
  await signOut(page);

  // The same code again: refused, though it may still be within its 30 seconds.
  await h.signIn(page, RAY);
  await giveCode(page, code);
  await assertRefused(page);
  await h.screenshot(page, 'totp-once-code-replayed');
  // A recovery code instead…
  await giveCode(page, codes[0]);
  assert.equal(new URL(page.url()).pathname, '/portal');
  assert.equal(await h.signedInAs(page), RAY.email);
  await h.screenshot(page, 'totp-once-recovery-code');
  await signOut(page);

  // …once.
  await h.signIn(page, RAY);
  await giveCode(page, codes[0]);
  await assertRefused(page);
  await context.close();
});
