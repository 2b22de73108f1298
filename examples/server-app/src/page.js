// The server app's page. It never sees a client secret, a refresh token or a bot token: it asks
// its own backend for a short-lived access token and uses it for GraphQL and subscriptions.
import { AccessWithdrawn, graphql, openLiveView } from '../../shared/live.js';
import { board } from '../../shared/board.js';
import { $, h, setStatus } from '../../shared/view.js';

const ME = `{ me { profile { email firstName lastName } workspaces(pagination: { pageSize: 100 }) { results { id name } } } }`;
const SIGNED_OUT = 'Access was withdrawn. Sign in again to continue.';
let refreshes = 0;

/** A token source backed by one of the backend's endpoints. */
function backendTokens(path, currentMethod) {
  const ask = async (method) => {
    const res = await fetch(path, { method });
    if (res.status === 401 || res.status === 403) throw new AccessWithdrawn('access withdrawn');
    if (!res.ok) throw new Error(`the backend answered ${res.status}`);
    const t = await res.json();
    return { token: t.access_token, expiresAt: Date.now() + t.expires_in * 1000, workspaceId: t.workspace_id };
  };
  return {
    current: () => ask(currentMethod),
    refresh: () => ask('POST').then((t) => ((refreshes += 1), t)),
  };
}

function watch(graphqlUrl, ws, tokens, withdrawnMessage) {
  $('#workspace-name').textContent = ws.name;
  const view = board($('#live'), { apiBase: new URL(graphqlUrl, location.href).origin, workspaceId: ws.id });
  return openLiveView({
    graphqlUrl,
    workspaceId: ws.id,
    tokens,
    on: {
      command: (cmd) => view.command(cmd),
      status: (text) => {
        document.body.dataset.refreshes = refreshes;
        setStatus(`${ws.name}: ${text}`, 'live');
      },
      withdrawn: () => {
        document.body.dataset.state = 'withdrawn';
        setStatus(withdrawnMessage, 'error');
      },
      error: (message) => setStatus(message, 'error'),
    },
  });
}

async function userPage(config) {
  const tokens = backendTokens('/api/token', 'GET');
  let token;
  try {
    token = await tokens.current();
  } catch {
    document.body.dataset.state = 'signed-out';
    $('#sign-in').hidden = false;
    return setStatus(new URLSearchParams(location.search).get('error') ?? 'Sign in to see your workspaces.');
  }
  const { me } = await graphql(config.graphql, token.token, ME);
  document.body.dataset.state = 'signed-in';
  $('#account').hidden = false;
  $('#user').textContent = `${me.profile.firstName} ${me.profile.lastName} <${me.profile.email}>`;
  let live = null;
  $('#workspaces').replaceChildren(
    ...me.workspaces.results.map((ws) =>
      h('li', {}, h('button', { 'data-workspace': ws.id, onclick: () => ((live?.close(), (live = watch(config.graphql, ws, tokens, SIGNED_OUT)))) }, ws.name)),
    ),
  );
  setStatus('Choose a workspace to watch it live.');
}

async function boardPage(config) {
  const tokens = backendTokens('/api/workspace-token', 'POST');
  const first = await tokens.current();
  document.body.dataset.state = 'board';
  watch(config.graphql, { id: first.workspaceId, name: 'Live board' }, tokens, 'This board is no longer shared.');
}

async function main() {
  const config = await (await fetch('/config.json')).json();
  if (document.body.dataset.mode === 'board') await boardPage(config);
  else await userPage(config);
}

main().catch((e) => setStatus(e.message, 'error'));
