// Single sign-on through a real upstream OpenID Connect provider (npm oidc-provider, in this
// process: e2e/browser/idp.mjs), in Debian's chromium. The operator sets an organization's
// provider with the command line, for the addresses of a domain; a person of that domain goes
// from tessera's sign-in page to the provider's login and consent pages and comes back signed
// in, a new member of the organization; the organization's own link signs them in again. A
// callback that this browser did not start is refused. Screenshots go to
// $TESSERA_ARTIFACTS/screenshots.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as h from './harness.mjs';
import { startProvider } from './idp.mjs';

const ORG = 'Sandbox Corp';
const IDP_NAME = 'Sandbox Identity';
const CLIENT = { id: 'tessera', secret: 'the client secret tessera has at the provider' };
const PERSON = { email: 'someone@sso.test', given_name: 'Sam', family_name: 'Someone' };
let server;
let idp;
let browser;
let org;

before(async () => {
  // tessera fetches the provider's documents and exchanges codes through its guarded client,
  // which reaches loopback addresses only when allowed.
  server = await h.startDemo({ TESSERA_FETCH_ALLOW: '127.0.0.0/8' });
  idp = await startProvider({
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    redirectUri: `${server.url}/login/sso/callback`,
    people: { [PERSON.email]: { given_name: PERSON.given_name, family_name: PERSON.family_name } },
  });
  org = h.cli(server, 'org', 'create', '--name', ORG);
  // Admin as the role of people it brings in: the portal shows an organization to its admins,
  // so the page can show the membership.
  h.cliWithInput(server, `${CLIENT.secret}\n`, 'org', 'sso', '--org', org.id, '--issuer', idp.issuer,
    '--client-id', CLIENT.id, '--client-secret-stdin', '--name', IDP_NAME, '--default-role', 'admin',
    '--domain', 'sso.test');
  browser = await h.launchBrowser();
});

after(async () => {
  await browser?.close();
  await idp?.close();
  h.stopAll();
});

/** A browser context that reaches only this machine (the provider's pages import a web font). */
async function localContext() {
  const context = await browser.newContext();
  await context.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort());
  return context;
}

/** Every page the tab loads from now on (redirects included), as "tessera PATH" or "provider PATH". */
function visits(page) {
  const seen = [];
  page.on('request', (req) => {
    if (req.isNavigationRequest() && req.frame() === page.mainFrame()) {
      const u = new URL(req.url());
      seen.push(`${u.origin === idp.issuer ? 'provider' : u.origin === server.url ? 'tessera' : u.origin} ${u.pathname}`);
    }
  });
  return seen;
}

/** At the provider's login page: sign in (any password works), then allow tessera on its
 * consent page; back at tessera's portal. */
async function providerSignsIn(page, shot) {
  await page.locator('input[name=password]').fill('any password works here');
  await h.screenshot(page, `${shot}-provider-login`);
  await page.getByRole('button', { name: 'Sign-in' }).click();
  // The consent page has the same /interaction/ address, so wait for its form instead.
  await page.locator('input[name=prompt][value=consent]').waitFor({ state: 'attached' });
  await h.screenshot(page, `${shot}-provider-consent`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${server.url}/portal`);
}

/** The portal shows the person signed in and a member (admin) of the organization. */
async function assertInOrganization(page) {
  assert.equal(await h.signedInAs(page), PERSON.email);
  assert.equal(await page.getByRole('heading', { level: 1, name: ORG, exact: true }).count(), 1);
}

test('single sign-on by e-mail address: tessera → the provider\'s login and consent → back signed in as a new member; signed out, the organization\'s link goes straight through', async () => {
  const context = await localContext();
  const page = await context.newPage();
  const seen = visits(page);

  await page.goto(`${server.url}/login`);
  await h.screenshot(page, 'sso-login');
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Sign in with single sign-on' }).click()]);
  assert.equal(new URL(page.url()).pathname, '/login/sso');
  await page.fill('#email', PERSON.email);
  await h.screenshot(page, 'sso-email');
  await page.getByRole('button', { name: 'Continue' }).click();

  // At the provider, which tessera told who is coming (login_hint).
  await page.waitForURL(`${idp.issuer}/interaction/**`);
  assert.equal(await page.locator('input[name=login]').inputValue(), PERSON.email);
  await providerSignsIn(page, 'sso-first');
  await assertInOrganization(page);
  await h.screenshot(page, 'sso-first-signed-in');

  // Signed out of tessera, but still signed in at the provider, which remembers the consent:
  // the organization's link goes there and straight back, to the same account.
  await Promise.all([page.waitForURL(`${server.url}/login`), page.getByRole('button', { name: 'Sign out', exact: true }).click()]);
  seen.length = 0;
  await page.goto(`${server.url}/login/sso/${org.id}`);
  await page.waitForURL(`${server.url}/portal`);
  assert.ok(!seen.some((v) => v.startsWith('provider /interaction/')), `no provider page expected: ${seen.join(', ')}`);
  assert.ok(seen.includes('provider /auth') && seen.includes('tessera /login/sso/callback'), seen.join(', '));
  await assertInOrganization(page);
  await h.screenshot(page, 'sso-again-signed-in');
  await context.close();
});

test('single sign-on in a fresh browser: the organization\'s link, the provider\'s login, the same account', async () => {
  const context = await localContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/login/sso/${org.id}`);
  await page.waitForURL(`${idp.issuer}/interaction/**`);
  // No address typed at tessera, so no hint: the person types their login at the provider.
  assert.equal(await page.locator('input[name=login]').inputValue(), '');
  await page.locator('input[name=login]').fill(PERSON.email);
  await providerSignsIn(page, 'sso-fresh');
  await assertInOrganization(page);
  await h.screenshot(page, 'sso-fresh-signed-in');
  await context.close();
});

test('single sign-on refused: a callback this browser did not start, and an address no organization signs in', async () => {
  const context = await localContext();
  const page = await context.newPage();

  // A sign-in started in this browser (its state cookie set), then a callback with another state.
  await page.goto(`${server.url}/login/sso/${org.id}`);
  await page.waitForURL(`${idp.issuer}/interaction/**`);
  const res = await page.goto(`${server.url}/login/sso/callback?state=tsr_ss_forged&code=forged`);
  assert.equal(res.status(), 400);
  assert.equal(await page.locator('h1').first().textContent(), 'This sign-in cannot be completed');
  assert.equal(await page.locator('form[action="/logout"]').count(), 0, 'nobody is signed in');
  await h.screenshot(page, 'sso-forged-state');

  // An address of a domain no organization registered stays on tessera's page.
  await page.goto(`${server.url}/login/sso`);
  await page.fill('#email', 'someone@elsewhere.test');
  const [answer] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Continue' }).click()]);
  assert.equal(answer.status(), 404);
  assert.match(await page.getByRole('alert').textContent(), /No organization signs in addresses of this domain/);
  await h.screenshot(page, 'sso-unknown-domain');
  await context.close();
});
