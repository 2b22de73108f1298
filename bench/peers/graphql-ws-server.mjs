// Peer for subscription fan-out: the reference graphql-ws server on Node (graphql-ws + ws +
// graphql) with the same subscription shape as tessera's `commands`, an in-memory pub/sub, and
// a POST /v3/graphql endpoint for the writer's `createText`. Bearer tokens are checked against
// TOKENS (comma-separated). Prints `listening on http://ADDR`.
import http from 'node:http';
import { buildSchema, graphql } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

const schema = buildSchema(`
  interface Element { id: ID! }
  type Text implements Element { id: ID! text: String! }
  interface HistoryCommand { workspaceId: String! cursor: ID! actorId: String! actorType: String! }
  type CreateElementCommand implements HistoryCommand {
    workspaceId: String! cursor: ID! actorId: String! actorType: String! element: Element!
  }
  type Query { ok: Boolean }
  type Mutation { createText(workspaceId: String!, input: TextInput!): Text! }
  input TextInput { text: String! }
  type Subscription { commands(workspaceId: String!, cursor: ID): HistoryCommand! }
`);

const tokens = new Set((process.env.TOKENS ?? '').split(',').filter(Boolean));
const authorized = (header) => tokens.size === 0 || tokens.has(String(header ?? '').replace(/^Bearer /i, ''));

// In-memory pub/sub: one list of listeners per workspace; each subscription is a queue.
const listeners = new Map();
const cursors = new Map();
function publish(ws, event) {
  for (const push of listeners.get(ws) ?? []) push(event);
}
async function* commands({ workspaceId }) {
  const queue = [];
  let wake = null;
  const push = (e) => {
    queue.push(e);
    wake?.();
  };
  if (!listeners.has(workspaceId)) listeners.set(workspaceId, new Set());
  listeners.get(workspaceId).add(push);
  try {
    for (;;) {
      while (queue.length) yield { commands: queue.shift() };
      await new Promise((r) => (wake = r));
      wake = null;
    }
  } finally {
    listeners.get(workspaceId).delete(push);
  }
}
let nextId = 0;
const roots = {
  mutation: {
    createText: ({ workspaceId, input }) => {
      const cursor = (cursors.get(workspaceId) ?? 0) + 1;
      cursors.set(workspaceId, cursor);
      const element = { __typename: 'Text', id: String(++nextId), text: input.text };
      publish(workspaceId, { __typename: 'CreateElementCommand', workspaceId, cursor: String(cursor), actorId: 'writer', actorType: 'bot', element });
      return element;
    },
  },
  subscription: { commands },
};

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/v3/graphql') return res.writeHead(404).end();
  if (!authorized(req.headers.authorization)) return res.writeHead(401).end();
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', async () => {
    const { query, variables } = JSON.parse(body);
    const result = await graphql({ schema, source: query, rootValue: roots.mutation, variableValues: variables });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
  });
});
const wss = new WebSocketServer({ server, path: '/v3/graphql' });
useServer({ schema, roots, onConnect: (ctx) => authorized(ctx.connectionParams?.Authorization) }, wss);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
