// The authorization-code flow with PKCE from Node's openid-client (OAuth 2 mode), against a
// running tessera. Plain http is allowed for loopback only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';

const BASE = process.env.TESSERA_URL;
const REDIRECT = process.env.TESSERA_REDIRECT;

function hiddenFields(html) {
  const out = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    out.append(m[1], m[2].replaceAll('&#38;', '&').replaceAll('&amp;', '&').replaceAll('&#34;', '"').replaceAll('&quot;', '"'));
  }
  return out;
}

// A tiny browser: a cookie jar and no automatic redirects.
async function approve(url) {
  const jar = new Map();
  const go = async (u, init = {}) => {
    const headers = { ...(init.headers || {}), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    const res = await fetch(new URL(u, BASE), { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      jar.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return res;
  };
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  let res = await go(url);
  let page = await res.text();
  assert.match(page, /name="password"/);
  const login = hiddenFields(page);
  login.set('email', process.env.TESSERA_EMAIL);
  login.set('password', process.env.TESSERA_PASSWORD);
  res = await go('/login', { method: 'POST', headers: form, body: login });
  assert.equal(res.status, 303);
  res = await go(res.headers.get('location'));
  if (res.status === 200) {
    page = await res.text();
    const consent = hiddenFields(page);
    consent.set('decision', 'allow');
    res = await go('/v3/oauth2/authorize', { method: 'POST', headers: form, body: consent });
  }
  assert.equal(res.status, 303);
  return new URL(res.headers.get('location'));
}

async function graphql(token, query) {
  const res = await fetch(new URL('/v3/graphql', BASE), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  assert.equal(res.status, 200);
  return res.json();
}

const loopbackOnly = new URL(BASE).hostname === '127.0.0.1' ? [client.allowInsecureRequests] : [];

test('confidential client: code flow with PKCE, iss check, refresh, GraphQL', async () => {
  const config = await client.discovery(new URL(BASE), process.env.TESSERA_CLIENT_ID, process.env.TESSERA_CLIENT_SECRET,
    undefined, { algorithm: 'oauth2', execute: loopbackOnly });
  const verifier = client.randomPKCECodeVerifier();
  const challenge = await client.calculatePKCECodeChallenge(verifier);
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'v2legacy offline_access', code_challenge: challenge, code_challenge_method: 'S256', state,
  });
  const back = await approve(url);
  const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(tokens.refresh_token);
  const me = await graphql(tokens.access_token, '{ me { profile { email } } }');
  assert.equal(me.data.me.profile.email, process.env.TESSERA_EMAIL);
  const fresh = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(fresh.refresh_token, tokens.refresh_token);
  const again = await graphql(fresh.access_token, '{ me { profile { email } } }');
  assert.equal(again.data.me.profile.email, process.env.TESSERA_EMAIL);
});

test('public client: no secret, PKCE, no refresh token without offline_access', async () => {
  const config = await client.discovery(new URL(BASE), process.env.TESSERA_PUBLIC_CLIENT_ID, undefined,
    client.None(), { algorithm: 'oauth2', execute: loopbackOnly });
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'elements:read',
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const tokens = await client.authorizationCodeGrant(config, await approve(url), { pkceCodeVerifier: verifier });
  assert.equal(tokens.refresh_token, undefined);
  assert.equal(tokens.scope, 'elements:read');
});
