// The authorization-code flow with PKCE from Node's openid-client (OAuth 2 mode), against a
// running tessera. Plain http is allowed for loopback only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';

import { BASE, REDIRECT, approve, graphql, loopbackOnly } from './tessera.js';

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
