// OAuth 2.1 for a public browser client: authorization code + PKCE (S256), no client secret.
// Tokens live in this module's memory only; the PKCE verifier and state survive the redirect
// in sessionStorage (they are useless without the code, which only the redirect carries).
import { AccessWithdrawn } from '../../shared/live.js';

const PENDING = 'tessera.pending-sign-in';
const SCOPES = 'workspaces:read elements:read elements:write offline_access';

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n = 32) => b64url(crypto.getRandomValues(new Uint8Array(n)));

export class OAuthClient {
  /** `config`: `{ issuer, client_id, redirect_uri }`; `metadata`: the RFC 8414 document. */
  constructor(config, metadata) {
    this.config = config;
    this.metadata = metadata;
    this.session = null; // { access, refresh, expiresAt }
    this.inflight = null;
    this.refreshes = 0;
  }

  static async discover(config) {
    const res = await fetch(`${config.issuer}/.well-known/oauth-authorization-server`);
    if (!res.ok) throw new Error(`cannot read the server metadata (HTTP ${res.status})`);
    const metadata = await res.json();
    if (metadata.issuer !== config.issuer) throw new Error('the metadata names another issuer');
    return new OAuthClient(config, metadata);
  }

  /** Go to tessera's sign-in and consent pages. */
  async signIn() {
    const verifier = random(48);
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    const state = random(16);
    sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
    const url = new URL(this.metadata.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.config.client_id,
      redirect_uri: this.config.redirect_uri,
      scope: SCOPES,
      state,
      code_challenge: b64url(digest),
      code_challenge_method: 'S256',
    });
    location.assign(url);
  }

  /** On the redirect back: check state and issuer, redeem the code. False if this is no callback. */
  async handleRedirect() {
    const params = new URLSearchParams(location.search);
    if (!params.has('code') && !params.has('error')) return false;
    history.replaceState(null, '', this.config.redirect_uri); // the code must not linger in the URL bar
    const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
    sessionStorage.removeItem(PENDING);
    if (!pending || params.get('state') !== pending.state) throw new Error('the sign-in response does not match this browser’s request');
    if (params.get('iss') !== this.metadata.issuer) throw new Error('the sign-in response came from another server');
    if (params.has('error')) throw new Error(params.get('error_description') ?? params.get('error'));
    await this.tokenRequest({
      grant_type: 'authorization_code',
      code: params.get('code'),
      redirect_uri: this.config.redirect_uri,
      code_verifier: pending.verifier,
    });
    return true;
  }

  async tokenRequest(form) {
    const res = await fetch(this.metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form, client_id: this.config.client_id }),
    });
    const body = await res.json();
    if (!res.ok) {
      if (body.error === 'invalid_grant') {
        this.session = null;
        throw new AccessWithdrawn(body.error_description ?? body.error);
      }
      throw new Error(body.error_description ?? body.error ?? `token endpoint: HTTP ${res.status}`);
    }
    this.session = {
      access: body.access_token,
      refresh: body.refresh_token ?? this.session?.refresh,
      expiresAt: Date.now() + body.expires_in * 1000,
    };
    return this.token();
  }

  token() {
    if (!this.session) throw new AccessWithdrawn('signed out');
    return { token: this.session.access, expiresAt: this.session.expiresAt };
  }

  /** A new access token by refresh-token rotation; concurrent callers share one request. */
  refresh() {
    if (!this.session?.refresh) return Promise.reject(new AccessWithdrawn('no refresh token'));
    this.inflight ??= this.tokenRequest({ grant_type: 'refresh_token', refresh_token: this.session.refresh })
      .then((t) => {
        this.refreshes += 1;
        return t;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  /** Sign out: revoke the refresh token (and with it the access tokens), forget everything. */
  async signOut() {
    const refresh = this.session?.refresh;
    this.session = null;
    if (refresh) {
      await fetch(this.metadata.revocation_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refresh, token_type_hint: 'refresh_token', client_id: this.config.client_id }),
      });
    }
  }
}
