// The tessera sample server app: a backend with a confidential OAuth client (the flow of the
// original question). It signs the user in with the authorization-code flow (PKCE as well as
// its client secret), keeps the refresh token on the server, and hands its page only
// short-lived access tokens for GraphQL subscriptions.
//
// With BOT_TOKEN and BOARD_WORKSPACE set, it also serves /board: a read-only live board of one
// workspace for anyone, powered by token exchange (RFC 8693) — the bot token stays here; the
// page gets a 15-minute, read-only token bound to that one workspace.
//
//   TESSERA_URL=http://127.0.0.1:8080 CLIENT_ID=… CLIENT_SECRET=… node server-app/server.mjs
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

const env = (name, fallback) => process.env[name] ?? fallback ?? fail(`${name} is not set`);
function fail(message) {
  console.error(`server-app: ${message}`);
  process.exit(2);
}
const TESSERA = env('TESSERA_URL').replace(/\/$/, '');
const CLIENT_ID = env('CLIENT_ID');
const CLIENT_SECRET = env('CLIENT_SECRET');
const PORT = Number(env('PORT', '3001'));
const BASE = `http://localhost:${PORT}`;
const REDIRECT_URI = `${BASE}/auth/callback`;
const BOT_TOKEN = process.env.BOT_TOKEN;
const BOARD_WORKSPACE = process.env.BOARD_WORKSPACE;
const SCOPES = 'workspaces:read elements:read offline_access';
const PUBLIC = path.join(import.meta.dirname, 'public');

/** session id → { pending: {state, verifier}, refresh, access, expiresAt } — server memory only. */
const sessions = new Map();
const b64url = (buf) => buf.toString('base64url');

function session(req, res) {
  const sid = /(?:^|;\s*)sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
  if (sid && sessions.has(sid)) return sessions.get(sid);
  const id = b64url(crypto.randomBytes(24));
  const s = {};
  sessions.set(id, s);
  res.setHeader('set-cookie', `sid=${id}; HttpOnly; SameSite=Lax; Path=/`);
  return s;
}

async function tokenRequest(form) {
  const res = await fetch(`${TESSERA}/v3/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'Basic ' + Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64'),
    },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: await res.json() };
}

function keep(s, body) {
  s.access = body.access_token;
  s.refresh = body.refresh_token ?? s.refresh;
  s.expiresAt = Date.now() + body.expires_in * 1000;
}

/** The session's access token, refreshed (with rotation) when asked or nearly expired. */
async function accessToken(s, force) {
  if (!s.refresh && !s.access) return null;
  if (force || !s.access || s.expiresAt - Date.now() < 10_000) {
    if (!s.refresh) return null;
    s.refreshing ??= tokenRequest({ grant_type: 'refresh_token', refresh_token: s.refresh }).finally(() => {
      s.refreshing = null;
    });
    const { status, body } = await s.refreshing;
    if (status !== 200) {
      s.access = s.refresh = null;
      return null;
    }
    keep(s, body);
  }
  return { access_token: s.access, expires_in: Math.floor((s.expiresAt - Date.now()) / 1000) };
}

async function exchangeBotToken() {
  const res = await fetch(`${TESSERA}/v3/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: BOT_TOKEN,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      resource: `urn:tessera:workspace:${BOARD_WORKSPACE}`,
      scope: 'elements:read',
    }),
  });
  const body = await res.json();
  if (res.status !== 200) return null;
  // Only what the page needs: never the bot token.
  return { access_token: body.access_token, expires_in: body.expires_in, workspace_id: BOARD_WORKSPACE };
}

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};
const redirect = (res, to) => {
  res.writeHead(303, { location: to });
  res.end();
};

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };
async function file(res, name) {
  const body = await fs.readFile(path.join(PUBLIC, name));
  res.writeHead(200, { 'content-type': TYPES[path.extname(name)], 'cache-control': 'no-store' });
  res.end(body);
}

async function route(req, res) {
  const url = new URL(req.url, BASE);
  const s = session(req, res);
  const key = `${req.method} ${url.pathname}`;
  switch (key) {
    case 'GET /':
      return file(res, 'index.html');
    case 'GET /board':
      return BOT_TOKEN && BOARD_WORKSPACE ? file(res, 'board.html') : json(res, 404, { error: 'no board configured' });
    case 'GET /page.js':
    case 'GET /app.css':
      return file(res, url.pathname.slice(1));
    case 'GET /config.json':
      return json(res, 200, { issuer: TESSERA, graphql: `${TESSERA}/v3/graphql` });
    case 'GET /login': {
      const verifier = b64url(crypto.randomBytes(48));
      s.pending = { state: b64url(crypto.randomBytes(16)), verifier };
      const authorize = new URL(`${TESSERA}/v3/oauth2/authorize`);
      authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id: CLIENT_ID,
        redirect_uri: REDIRECT_URI,
        scope: SCOPES,
        state: s.pending.state,
        code_challenge: b64url(crypto.createHash('sha256').update(verifier).digest()),
        code_challenge_method: 'S256',
      });
      return redirect(res, authorize.href);
    }
    case 'GET /auth/callback': {
      const pending = s.pending;
      s.pending = null;
      const ok = pending && url.searchParams.get('state') === pending.state && url.searchParams.get('iss') === TESSERA;
      if (!ok) return json(res, 400, { error: 'this sign-in response does not match a request from this browser' });
      if (url.searchParams.has('error')) return redirect(res, `/?error=${encodeURIComponent(url.searchParams.get('error'))}`);
      const { status, body } = await tokenRequest({
        grant_type: 'authorization_code',
        code: url.searchParams.get('code'),
        redirect_uri: REDIRECT_URI,
        code_verifier: pending.verifier,
      });
      if (status !== 200) return redirect(res, `/?error=${encodeURIComponent(body.error ?? 'token_error')}`);
      keep(s, body);
      return redirect(res, '/');
    }
    case 'GET /api/token':
    case 'POST /api/token': {
      const t = await accessToken(s, req.method === 'POST');
      return t ? json(res, 200, t) : json(res, 401, { error: 'signed_out' });
    }
    case 'POST /api/workspace-token': {
      if (!BOT_TOKEN || !BOARD_WORKSPACE) return json(res, 404, { error: 'no board configured' });
      const t = await exchangeBotToken();
      return t ? json(res, 200, t) : json(res, 403, { error: 'access_withdrawn' });
    }
    case 'POST /logout': {
      if (s.refresh) {
        await fetch(`${TESSERA}/v3/oauth2/revoke`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: s.refresh, client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
        });
      }
      s.access = s.refresh = null;
      return redirect(res, '/');
    }
    default:
      return json(res, 404, { error: 'not found' });
  }
}

http
  .createServer((req, res) => {
    route(req, res).catch((e) => {
      console.error('server-app:', e.message);
      if (!res.headersSent) json(res, 502, { error: 'tessera is unreachable' });
    });
  })
  .listen(PORT, 'localhost', () => console.log(`server-app listening on ${BASE}`));
