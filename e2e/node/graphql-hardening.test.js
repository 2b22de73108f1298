// GraphQL hardening, black-box against the running server: the graphql-http audit suite of the
// GraphQL-over-HTTP spec (every MUST passes), and the limits a hostile client runs into.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditServer } from 'graphql-http';
import { BASE } from './tessera.js';

const URL_ = `${BASE}/v3/graphql`;
const BOT = process.env.TESSERA_BOT_TOKEN;
const WS = process.env.TESSERA_WORKSPACE;
const auth = { authorization: `Bearer ${BOT}` };

/** fetch with the bot's bearer token, as an API client sends it. */
const authedFetch = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${BOT}`);
  return fetch(input, { ...init, headers });
};

async function post(body, headers = { 'content-type': 'application/json' }) {
  const res = await fetch(URL_, { method: 'POST', headers: { ...auth, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

const code = (r) => r.json?.errors?.[0]?.extensions?.code;

test('graphql-http audits: every MUST and every SHOULD passes', async () => {
  const results = await auditServer({ url: URL_, fetchFn: authedFetch });
  const must = results.filter((r) => r.name.startsWith('MUST'));
  assert.ok(must.length >= 10, `expected the MUST audits, got ${must.length}`);
  // "error" is a failed MUST, "warn" a failed SHOULD; "notice" is a MAY we do not do (GET).
  const failed = results.filter((r) => r.status === 'error' || r.status === 'warn');
  for (const f of failed) console.log('FAILED', f.id, f.name, '::', f.reason);
  assert.deepEqual(failed.map((f) => f.name), []);
  const counts = results.reduce((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
  console.log(`graphql-http audits: ${results.length} run, ${must.length} MUST; by status ${JSON.stringify(counts)}`);
});

test('mutations are never executed over GET', async () => {
  const before = (await post({ query: 'query($ws:String!){ elements(workspaceId:$ws){ id } }', variables: { ws: WS } })).json.data.elements.length;
  const q = encodeURIComponent(`mutation { createText(workspaceId: "${WS}", input: {text: "via GET"}) { id } }`);
  const res = await fetch(`${URL_}?query=${q}`, { headers: { ...auth, accept: 'application/json' } });
  assert.ok(res.status === 405 || res.status === 400, `status ${res.status}`);
  const after = (await post({ query: 'query($ws:String!){ elements(workspaceId:$ws){ id } }', variables: { ws: WS } })).json.data.elements.length;
  assert.equal(after, before, 'nothing was written');
});

test('form-encoded and text/plain POSTs (cross-site forms) are refused without executing', async () => {
  const marker = `csrf ${Date.now()} ${Math.random()}`;
  const texts = async () => {
    const r = await post({ query: 'query($ws:String!){ elements(workspaceId:$ws){ id ... on Text { text } } }', variables: { ws: WS } });
    assert.equal(r.status, 200, r.text);
    return r.json.data.elements;
  };
  const before = await texts();
  const mutation = `mutation { createText(workspaceId: "${WS}", input: {text: ${JSON.stringify(marker)}}) { id } }`;
  for (const [type, body] of [
    ['application/x-www-form-urlencoded', `query=${encodeURIComponent(mutation)}`],
    ['text/plain', JSON.stringify({ query: mutation })],
    ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${mutation}\r\n--x--`],
  ]) {
    const r = await post(body, { 'content-type': type });
    assert.equal(r.status, 415, `${type}: ${r.status}`);
    assert.equal(r.json?.data, undefined);
  }
  const after = await texts();
  assert.deepEqual(after.map((e) => e.id), before.map((e) => e.id), 'nothing was written');
  // The same mutation as JSON is executed, and the count above sees it: the check can fail.
  const legit = await post({ query: mutation });
  const id = legit.json?.data?.createText?.id;
  assert.ok(id, legit.text);
  const written = await texts();
  assert.equal(written.length, after.length + 1);
  assert.deepEqual(written.filter((e) => e.text === marker).map((e) => e.id), [id]);
});

test('depth, complexity, alias, batch and body-size limits', async () => {
  // Depth: a legal introspection query nested far beyond any real one.
  const ofTypes = 'ofType { '.repeat(14) + 'name' + ' }'.repeat(14);
  const tooDeep = await post({ query: `{ __schema { types { fields { type { ${ofTypes} } } } } }` });
  assert.ok(tooDeep.json?.errors?.length, tooDeep.text);
  assert.equal(tooDeep.json.data ?? null, null);
  // Aliases: one field asked thousands of times.
  const aliases = Array.from({ length: 101 }, (_, i) => `a${i}: __typename`).join(' ');
  const many = await post({ query: `{ ${aliases} }` });
  assert.ok(many.json?.errors?.length, `aliases: ${many.status}`);
  assert.equal(many.json.data ?? null, null);
  // Complexity: elements lists fanned out by aliases.
  const wide = Array.from({ length: 400 }, (_, i) => `e${i}: elements(workspaceId: "${WS}") { id type }`).join(' ');
  const complex = await post({ query: `{ ${wide} }` });
  assert.ok(complex.json?.errors?.length, complex.text.slice(0, 200));
  // Directive overloading: the same directive thousands of times on one field.
  const directives = await post({ query: `{ __typename ${'@include(if: true) '.repeat(3000)} }` });
  assert.ok(directives.status === 200 || directives.status === 400);
  assert.ok(directives.json?.errors?.length, 'repeated directives are refused');
  // Batches: more than the limit is refused as a whole.
  const batch = await post(Array.from({ length: 11 }, () => ({ query: '{ __typename }' })));
  assert.equal(batch.status, 400);
  assert.equal(code(batch), 'BAD_USER_INPUT');
  // Body size: a 3 MiB document.
  const huge = await post({ query: `{ __typename } # ${'x'.repeat(3 * 1024 * 1024)}` });
  assert.equal(huge.status, 413);
});
