// OpenID Connect from Node's openid-client in its default (OpenID) mode, against a running tessera:
// discovery, the ID token (its claims checked by the client, its signature against the JWKS),
// userinfo, refresh, prompt and max_age, and RP-initiated logout. Plain http for loopback only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as client from 'openid-client';

import { BASE, REDIRECT, approve, browser, loopbackOnly } from './tessera.js';

const POST_LOGOUT = process.env.TESSERA_POST_LOGOUT;
const USER_ID = process.env.TESSERA_USER_ID;
// openid-client trusts the token endpoint's TLS for the ID token (OIDC Core 3.1.3.7); have it
// verify the signature with the keys at jwks_uri as well, as a client keeping the token would.
const execute = [...loopbackOnly, client.enableNonRepudiationChecks];

const confidential = () => client.discovery(new URL(BASE), process.env.TESSERA_CLIENT_ID,
  process.env.TESSERA_CLIENT_SECRET, undefined, { execute });
const publicApp = () => client.discovery(new URL(BASE), process.env.TESSERA_PUBLIC_CLIENT_ID, undefined,
  client.None(), { execute });

/** An authorization URL with PKCE, state and nonce, and the checks to redeem its code with. */
async function request(config, scope, extra = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const checks = { pkceCodeVerifier: verifier, expectedState: client.randomState(), expectedNonce: client.randomNonce() };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope, state: checks.expectedState, nonce: checks.expectedNonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
  });
  return { url, checks };
}

const seconds = () => Math.floor(Date.now() / 1000);
const header = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url'));
// OIDC Core 3.1.3.6: the left half of the SHA-256 of the access token, base64url.
const atHash = (token) => createHash('sha256').update(token).digest().subarray(0, 16).toString('base64url');

test('discovery: OpenID provider metadata and a JWKS with public keys only', async () => {
  const meta = (await confidential()).serverMetadata();
  assert.equal(meta.issuer, BASE);
  assert.equal(meta.authorization_endpoint, `${BASE}/v3/oauth2/authorize`);
  assert.equal(meta.token_endpoint, `${BASE}/v3/oauth2/token`);
  assert.equal(meta.userinfo_endpoint, `${BASE}/v3/oauth2/userinfo`);
  assert.equal(meta.jwks_uri, `${BASE}/v3/oauth2/jwks`);
  assert.equal(meta.end_session_endpoint, `${BASE}/v3/oauth2/logout`);
  for (const s of ['openid', 'profile', 'email', 'offline_access']) assert.ok(meta.scopes_supported.includes(s), s);
  assert.deepEqual(meta.response_types_supported, ['code']);
  assert.deepEqual(meta.subject_types_supported, ['public']);
  assert.deepEqual(meta.id_token_signing_alg_values_supported, ['RS256']);
  assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
  for (const c of ['sub', 'name', 'given_name', 'family_name', 'email', 'email_verified']) {
    assert.ok(meta.claims_supported.includes(c), c);
  }
  const jwks = await (await fetch(meta.jwks_uri)).json();
  assert.ok(jwks.keys.length >= 1);
  for (const key of jwks.keys) {
    assert.ok(key.kid, 'every key has a kid');
    // A private RSA or OKP parameter here would hand out the signing key.
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key[secret], undefined, secret);
  }
});

test('confidential client: code flow with PKCE and nonce, ID token, userinfo, refresh, logout', async () => {
  const config = await confidential();
  const jar = new Map();
  const go = browser(jar);
  const { url, checks } = await request(config, 'openid profile email offline_access');
  const signedInFrom = seconds();
  const tokens = await client.authorizationCodeGrant(config, await approve(url, jar), checks);

  // openid-client checked iss, aud, exp, iat, nonce and the signature; these are the rest.
  const claims = tokens.claims();
  assert.equal(claims.iss, BASE);
  assert.equal(claims.sub, USER_ID);
  assert.deepEqual([claims.aud].flat(), [process.env.TESSERA_CLIENT_ID]);
  assert.equal(claims.nonce, checks.expectedNonce);
  assert.ok(Number.isInteger(claims.auth_time) && claims.auth_time >= signedInFrom && claims.auth_time <= seconds());
  assert.equal(claims.acr, '1');
  assert.deepEqual(claims.amr, ['pwd']);
  assert.equal(claims.at_hash, atHash(tokens.access_token));
  assert.equal(claims.email, process.env.TESSERA_EMAIL);
  assert.equal(typeof claims.email_verified, 'boolean');
  assert.equal(claims.name, 'E2E User');
  assert.equal(claims.given_name, 'E2E');
  assert.equal(claims.family_name, 'User');
  const { alg, kid } = header(tokens.id_token);
  assert.equal(alg, 'RS256');
  const jwks = await (await fetch(config.serverMetadata().jwks_uri)).json();
  assert.ok(jwks.keys.some((k) => k.kid === kid), 'the header kid is in the JWKS');

  // fetchUserInfo refuses a response whose sub is not the one expected.
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(info.email, process.env.TESSERA_EMAIL);
  assert.equal(info.email_verified, claims.email_verified);
  assert.equal(info.name, 'E2E User');
  assert.equal(info.given_name, 'E2E');
  assert.equal(info.family_name, 'User');

  // A refresh gives new tokens but no new ID token; the new access token still reads userinfo.
  const fresh = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.equal(fresh.id_token, undefined);
  assert.notEqual(fresh.refresh_token, tokens.refresh_token);
  assert.equal((await client.fetchUserInfo(config, fresh.access_token, claims.sub)).email, process.env.TESSERA_EMAIL);

  // Still signed in: prompt=none answers with a code, and auth_time is the same sign-in's.
  const quiet = await request(config, 'openid', { prompt: 'none' });
  let res = await go(quiet.url);
  assert.equal(res.status, 303);
  const again = await client.authorizationCodeGrant(config, new URL(res.headers.get('location')), quiet.checks);
  assert.equal(again.claims().auth_time, claims.auth_time);

  // RP-initiated logout with the ID token as the hint: back to the registered URI with our state.
  const cookieBeforeLogout = new Map(jar);
  const logoutState = client.randomState();
  res = await go(client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token, post_logout_redirect_uri: POST_LOGOUT, state: logoutState,
  }));
  assert.equal(res.status, 303);
  const landing = new URL(res.headers.get('location'));
  assert.equal(`${landing.origin}${landing.pathname}`, POST_LOGOUT);
  assert.equal(landing.searchParams.get('state'), logoutState);

  // The session is over on the server, not only forgotten by this browser: the old cookie too
  // gets login_required (with state and iss, which openid-client checks before the error).
  for (const cookies of [jar, cookieBeforeLogout]) {
    const after = await request(config, 'openid', { prompt: 'none' });
    res = await browser(cookies)(after.url);
    assert.equal(res.status, 303);
    await assert.rejects(client.authorizationCodeGrant(config, new URL(res.headers.get('location')), after.checks),
      (e) => e instanceof client.AuthorizationResponseError && e.error === 'login_required');
  }
});

test('an ID token whose nonce is not the one this client sent is refused by openid-client', async () => {
  const config = await confidential();
  const { url, checks } = await request(config, 'openid email');
  const back = await approve(url);
  await assert.rejects(client.authorizationCodeGrant(config, back, { ...checks, expectedNonce: client.randomNonce() }),
    (e) => e.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && e.cause?.cause?.claim === 'nonce');
});

test('public client: PKCE and nonce, scope openid email, no profile claims', async () => {
  const config = await publicApp();
  const { url, checks } = await request(config, 'openid email');
  const tokens = await client.authorizationCodeGrant(config, await approve(url), checks);
  assert.equal(tokens.refresh_token, undefined);
  const claims = tokens.claims();
  assert.equal(claims.sub, USER_ID);
  assert.deepEqual([claims.aud].flat(), [process.env.TESSERA_PUBLIC_CLIENT_ID]);
  assert.equal(claims.email, process.env.TESSERA_EMAIL);
  assert.equal(typeof claims.email_verified, 'boolean');
  assert.equal(claims.at_hash, atHash(tokens.access_token));
  for (const c of ['name', 'given_name', 'family_name']) assert.equal(claims[c], undefined, c);
  const info = await client.fetchUserInfo(config, tokens.access_token, USER_ID);
  assert.equal(info.email, process.env.TESSERA_EMAIL);
  for (const c of ['name', 'given_name', 'family_name']) assert.equal(info[c], undefined, c);
});

test('prompt=login and max_age=0 make a signed-in user sign in again', async () => {
  const config = await confidential();
  const jar = new Map();
  const first = await request(config, 'openid');
  await client.authorizationCodeGrant(config, await approve(first.url, jar), first.checks);
  // approve() insists on the sign-in form: a code without one fails the test there.
  for (const [extra, maxAge] of [[{ prompt: 'login' }, undefined], [{ max_age: '0' }, 0]]) {
    const from = seconds();
    const { url, checks } = await request(config, 'openid', extra);
    // With maxAge, openid-client requires auth_time and checks it (within its clock tolerance).
    const tokens = await client.authorizationCodeGrant(config, await approve(url, jar), { ...checks, maxAge });
    assert.ok(tokens.claims().auth_time >= from, `${JSON.stringify(extra)}: a new sign-in`);
  }
});
