// The GraphiQL page at /v3/graphql in a real browser. Its scripts come from unpkg.com at pinned
// versions with integrity hashes; this machine has no internet, so the browser's requests to
// unpkg.com are answered with the very files of those npm packages (installed here). The browser
// itself checks the integrity hashes and the page's content security policy.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as h from './harness.mjs';

const MODULES = path.join(import.meta.dirname, 'node_modules');
const PINNED = {
  'https://unpkg.com/react@18.3.1/umd/react.production.min.js': 'react/umd/react.production.min.js',
  'https://unpkg.com/react-dom@18.3.1/umd/react-dom.production.min.js': 'react-dom/umd/react-dom.production.min.js',
  'https://unpkg.com/graphiql@3.9.0/graphiql.min.js': 'graphiql/graphiql.min.js',
  'https://unpkg.com/graphiql@3.9.0/graphiql.min.css': 'graphiql/graphiql.min.css',
};

let server;
let browser;

before(async () => {
  server = await h.startDemo();
  browser = await h.launchBrowser();
});

after(async () => {
  await browser?.close();
  h.stopAll();
});

/** A page whose requests to unpkg.com get the npm package's file (`tamper` may change one). */
async function playground(tamper = () => null) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  const fetched = [];
  await page.route('https://unpkg.com/**', async (route) => {
    const url = route.request().url();
    const file = PINNED[url];
    fetched.push(url);
    if (!file) return route.abort();
    const headers = { 'access-control-allow-origin': '*' };
    const contentType = url.endsWith('.css') ? 'text/css' : 'text/javascript';
    const body = tamper(url);
    if (body !== null) return route.fulfill({ status: 200, headers, contentType, body });
    return route.fulfill({ status: 200, headers, contentType, path: path.join(MODULES, file) });
  });
  await page.goto(`${server.url}/v3/graphql`);
  return { context, page, problems, fetched };
}

/** Set a CodeMirror editor's text (GraphiQL 3's editors are CodeMirror 5). */
async function setEditor(page, selector, text) {
  await page.waitForSelector(`${selector} .CodeMirror`);
  await page.evaluate(([sel, t]) => document.querySelector(`${sel} .CodeMirror`).CodeMirror.setValue(t), [selector, text]);
}

test('GraphiQL: pinned scripts pass their integrity checks and run a query under the page policy', async () => {
  const token = h.cli(server, 'bot', 'token', 'create', '--bot', server.bot.id).token;
  const { context, page, problems, fetched } = await playground();
  await page.waitForSelector('.graphiql-container', { timeout: 15_000 });
  assert.deepEqual([...fetched].sort(), Object.keys(PINNED).sort(), 'exactly the pinned files, nothing else');
  await setEditor(page, '.graphiql-query-editor', '{ me { profile { type firstName } } }');
  // The headers pane is open (the page's default); its editor is the visible one.
  await setEditor(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)', JSON.stringify({ Authorization: `Bearer ${token}` }));
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue().includes('"type": "bot"'),
    null,
    { timeout: 15_000 },
  );
  const answer = await page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue());
  assert.match(answer, /"firstName": "/, answer);
  await h.screenshot(page, 'graphiql-query');
  assert.deepEqual(problems.filter((p) => /Content Security Policy|integrity|Refused/i.test(p)), [], problems.join('\n'));
  await context.close();
});

test('GraphiQL: a changed script is refused by its integrity hash', async () => {
  const tampered = (url) => (url.includes('/react@') ? 'window.React = null; /* not the pinned file */' : null);
  const { context, page, problems } = await playground(tampered);
  await page.waitForLoadState('load');
  assert.equal(await page.locator('.graphiql-container').count(), 0, 'GraphiQL did not start');
  assert.ok(problems.some((p) => /integrity/i.test(p)), `the browser names the integrity check: ${problems.join('\n')}`);
  await context.close();
});
