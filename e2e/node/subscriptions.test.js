// Subscriptions from the npm graphql-ws client (graphql-transport-ws) with an OAuth access
// token in connectionParams: a bot's write arrives live, and a reconnect resumes from the
// last cursor without loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { BASE, botCreatesText, userTokens } from './tessera.js';

const COMMANDS = `subscription($ws: String!, $cursor: ID) {
  commands(workspaceId: $ws, cursor: $cursor) {
    __typename cursor actorType
    ... on CreateElementCommand { element { id ... on Text { text } } }
  }
}`;

function client(token) {
  return createClient({
    url: BASE.replace('http://', 'ws://') + '/v3/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
}

/** Take commands from a subscription until `done(list)` says so (10 s at most). */
async function take(c, variables, done, whileSubscribed = async () => {}) {
  const got = [];
  const it = c.iterate({ query: COMMANDS, variables });
  const timer = setTimeout(() => it.return(), 10_000);
  setTimeout(() => whileSubscribed().catch((e) => console.error(e)), 300);
  for await (const result of it) {
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    got.push(result.data.commands);
    if (done(got)) break;
  }
  clearTimeout(timer);
  return got;
}

test('graphql-ws: live event from a bot, then resume from the cursor after a disconnect', async () => {
  const { access_token } = await userTokens();
  const ws = process.env.TESSERA_WORKSPACE;
  let liveId;
  const c1 = client(access_token);
  const first = await take(c1, { ws }, (got) => got.some((g) => g.element?.id === liveId),
    async () => { liveId = await botCreatesText('live from node'); });
  await c1.dispose();
  const last = first.at(-1);
  assert.equal(last.element.text, 'live from node');
  assert.equal(last.actorType, 'bot');

  const missed = [];
  for (let i = 0; i < 3; i++) missed.push(await botCreatesText(`missed ${i}`));
  const c2 = client(access_token);
  const resumed = await take(c2, { ws, cursor: last.cursor }, (got) => got.length >= 3);
  await c2.dispose();
  assert.deepEqual(resumed.map((r) => r.element.id), missed);
  assert.deepEqual(resumed.map((r) => Number(r.cursor)), [1, 2, 3].map((i) => Number(last.cursor) + i));
});
