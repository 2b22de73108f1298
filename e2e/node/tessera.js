// Shared helpers for the Node suites: a tiny browser for tessera's login and consent forms,
// GraphQL over HTTP, and an access token for the e2e user through the public app.
import assert from 'node:assert/strict';
import * as client from 'openid-client';

export const BASE = process.env.TESSERA_URL;
export const REDIRECT = process.env.TESSERA_REDIRECT;
export const loopbackOnly = new URL(BASE).hostname === '127.0.0.1' ? [client.allowInsecureRequests] : [];

function hiddenFields(html) {
  const out = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
    out.append(m[1], m[2].replaceAll('&#38;', '&').replaceAll('&amp;', '&').replaceAll('&#34;', '"').replaceAll('&quot;', '"'));
  }
  return out;
}

/** A cookie-keeping fetch for tessera's pages, without following redirects: a browser's view of
 * the server, so a sign-in made through it is still there for later requests with the same jar. */
export function browser(jar = new Map()) {
  return async (u, init = {}) => {
    const headers = { ...(init.headers || {}), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
    const res = await fetch(new URL(u, BASE), { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      jar.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return res;
  };
}

/** Sign in and allow; returns the redirect back to the client (with code, state, iss). Pass a
 * jar to keep the session cookie for later requests (logout, prompt=none). */
export async function approve(url, jar = new Map()) {
  const go = browser(jar);
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

export async function graphql(token, query, variables = {}) {
  const res = await fetch(new URL('/v3/graphql', BASE), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  assert.equal(res.status, 200);
  return res.json();
}

/** The e2e user's tokens through the public browser app (PKCE, no secret). */
export async function userTokens(scope = 'elements:read offline_access') {
  const config = await client.discovery(new URL(BASE), process.env.TESSERA_PUBLIC_CLIENT_ID, undefined,
    client.None(), { algorithm: 'oauth2', execute: loopbackOnly });
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  return client.authorizationCodeGrant(config, await approve(url), { pkceCodeVerifier: verifier });
}

/** The bot writes a Text through /v3/graphql; returns its id. */
export async function botCreatesText(text) {
  const out = await graphql(process.env.TESSERA_BOT_TOKEN,
    'mutation($ws: String!, $t: String!) { createText(workspaceId: $ws, input: {text: $t}) { id } }',
    { ws: process.env.TESSERA_WORKSPACE, t: text });
  return out.data.createText.id;
}
