// The tessera sample browser app: sign in with tessera (public client, PKCE), list the user's
// workspaces, and watch one of them live over GraphQL subscriptions.
import { AccessWithdrawn, graphql, openLiveView } from '../../shared/live.js';
import { board } from '../../shared/board.js';
import { $, h, setStatus } from '../../shared/view.js';
import { OAuthClient } from './oauth.js';

const ME = `{ me { profile { id email firstName lastName } workspaces(pagination: { pageSize: 100 }) { results { id name } } } }`;

let oauth;
let live = null;

async function main() {
  const config = await (await fetch('config.json')).json();
  oauth = await OAuthClient.discover(config);
  $('#sign-in').addEventListener('click', () => oauth.signIn());
  $('#sign-out').addEventListener('click', signOut);
  try {
    if (!(await oauth.handleRedirect())) return showSignedOut('Sign in to see your workspaces.');
  } catch (e) {
    return showSignedOut(e.message, 'error');
  }
  await showWorkspaces();
}

function showSignedOut(message, kind = '') {
  document.body.dataset.state = 'signed-out';
  $('#account').hidden = true;
  $('#sign-in').hidden = false;
  setStatus(message, kind);
}

async function showWorkspaces() {
  const { me } = await graphql(oauth.metadata.issuer + '/v3/graphql', oauth.token().token, ME);
  document.body.dataset.state = 'signed-in';
  $('#sign-in').hidden = true;
  $('#account').hidden = false;
  $('#user').textContent = `${me.profile.firstName} ${me.profile.lastName} <${me.profile.email}>`;
  $('#workspaces').replaceChildren(
    ...me.workspaces.results.map((ws) => h('li', {}, h('button', { 'data-workspace': ws.id, onclick: () => watch(ws) }, ws.name))),
  );
  setStatus(me.workspaces.results.length ? 'Choose a workspace to watch it live.' : 'You have no workspaces yet.');
}

function watch(ws) {
  live?.close();
  $('#workspace-name').textContent = ws.name;
  const view = board($('#live'), { apiBase: oauth.metadata.issuer, workspaceId: ws.id });
  live = openLiveView({
    graphqlUrl: oauth.metadata.issuer + '/v3/graphql',
    workspaceId: ws.id,
    tokens: { current: async () => oauth.token(), refresh: () => oauth.refresh() },
    on: {
      command: (cmd) => view.command(cmd),
      status: (text) => {
        document.body.dataset.refreshes = oauth.refreshes;
        setStatus(`${ws.name}: ${text}`, 'live');
      },
      withdrawn: () => {
        live = null;
        showSignedOut('Access was withdrawn: this app can no longer read your workspaces. Sign in again to continue.', 'error');
        document.body.dataset.state = 'withdrawn';
      },
      error: (message) => setStatus(message, 'error'),
    },
  });
}

async function signOut() {
  live?.close();
  live = null;
  await oauth.signOut();
  $('#live').replaceChildren();
  showSignedOut('Signed out.');
}

main().catch((e) => setStatus(e instanceof AccessWithdrawn ? 'Please sign in again.' : e.message, 'error'));
