// The tessera sample browser app: sign in with tessera (public client, PKCE), list the user's
// workspaces, watch one of them live over GraphQL subscriptions, and add images to it (uploaded
// with the form `createImage` returns, then `processAsset`).
import { ASSET, AccessWithdrawn, graphql, openLiveView } from '../../shared/live.js';
import { board } from '../../shared/board.js';
import { $, h, setStatus } from '../../shared/view.js';
import { OAuthClient } from './oauth.js';

const CREATE_IMAGE = `mutation($ws: String!, $input: CreateImageInput!) {
  createImage(workspaceId: $ws, input: $input) { image { id } content { uploadId url fields } } }`;
const PROCESS = `mutation($ws: String!, $id: String!) { processAsset(workspaceId: $ws, id: $id, input: {}) }`;
const FORMATS = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/gif': 'gif' };

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

const api = (query, variables) => graphql(oauth.metadata.issuer + '/v3/graphql', oauth.token().token, query, variables);

/** Add an image file to workspace `ws`: create the element, POST the file with its upload form
 * (the form's fields, then the file), and ask the server to process it. The board shows it
 * when the server says it is done. */
async function upload(ws, file) {
  const imageFormat = FORMATS[file.type];
  if (!imageFormat) return setStatus(`${file.name}: only PNG, JPEG and GIF images can be added here.`, 'error');
  setStatus(`Uploading ${file.name}…`);
  const input = { imageFormat, filename: file.name, title: file.name, width: 1000, height: 1000 };
  const { createImage } = await api(CREATE_IMAGE, { ws: ws.id, input });
  const form = new FormData();
  for (const [k, v] of Object.entries(createImage.content.fields)) form.append(k, v);
  form.append('file', file);
  const res = await fetch(createImage.content.url, { method: 'POST', body: form });
  if (!res.ok) {
    await api(PROCESS.replace('input: {}', `input: { errorCode: "HTTP${res.status}" }`), { ws: ws.id, id: createImage.content.uploadId });
    return setStatus(`${file.name} could not be uploaded (HTTP ${res.status}).`, 'error');
  }
  await api(PROCESS, { ws: ws.id, id: createImage.content.uploadId });
  document.body.dataset.uploaded = createImage.image.id;
  setStatus(`${file.name} uploaded; the server is processing it.`, 'live');
}

function watch(ws) {
  live?.close();
  $('#workspace-name').textContent = ws.name;
  const readAsset = async (id) => (await api(ASSET, { workspaceId: ws.id, id })).elements[0];
  const view = board($('#live'), { apiBase: oauth.metadata.issuer, workspaceId: ws.id, readAsset });
  const picker = $('#upload');
  $('#upload-form').hidden = false;
  picker.value = '';
  picker.onchange = () => {
    const file = picker.files?.[0];
    if (file) upload(ws, file).catch((e) => setStatus(e.message, 'error'));
  };
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
  $('#upload-form').hidden = true;
  showSignedOut('Signed out.');
}

main().catch((e) => setStatus(e instanceof AccessWithdrawn ? 'Please sign in again.' : e.message, 'error'));
