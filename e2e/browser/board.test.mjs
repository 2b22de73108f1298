// The board, in Debian's chromium: one element of each type written by the bot through GraphQL
// and drawn live on the server app's read-only /board page (the shared board code of both sample
// apps), each checked in the page at its place, size and colours; then a move, a delete, and
// panning and zooming. Screenshots go to $TESSERA_ARTIFACTS/screenshots.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as h from './harness.mjs';

let server;
let browser;
let page;
let ws; // the board's own workspace
const ids = {};
const LOST_AFTER = 15_000;

before(async () => {
  server = await h.startDemo();
  ws = h.cli(server, 'workspace', 'create', '--org', server.organization.id, '--name', 'Drawing board', '--owner', server.user.id);
  h.cli(server, 'workspace', 'add-collaborator', '--workspace', ws.id, '--user', server.bot.id, '--role', 'editor');
  const backendBot = h.cli(server, 'bot', 'token', 'create', '--bot', server.bot.id);
  const app = h.cli(server, 'app', 'create', '--owner', server.user.id, '--name', 'Board app', '--redirect-uri', 'http://localhost:3001/auth/callback');
  await h.startServerApp({
    TESSERA_URL: server.url,
    CLIENT_ID: app.client_id,
    CLIENT_SECRET: app.client_secret,
    BOT_TOKEN: backendBot.token,
    BOARD_WORKSPACE: ws.id,
    PORT: '3001',
  });
  browser = await h.launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto('http://localhost:3001/board');
  await page.waitForFunction(() => /live/.test(document.querySelector('#status').textContent));
});

after(async () => {
  await browser?.close();
  h.stopAll();
});

/** The bot runs a mutation on the board's workspace; returns its `data`. */
async function bot(query, variables = {}) {
  const body = await h.graphqlAs(server, server.bot.token, query, { ws: ws.id, ...variables });
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const rgba = (r, g, b, a = 1) => `rgba(${r},${g},${b},${a})`;

/** What the board shows of element `id`: the part matching `selector` (or the whole group), its
 * box in canvas coordinates (whatever the pan and zoom), its attributes, and the group's text. */
function drawn(id, selector = null) {
  return page.evaluate(
    ([id, selector]) => {
      const g = document.querySelector(`#board g[data-id="${id}"]`);
      const node = g && (selector ? g.querySelector(selector) : g);
      if (!node) return null;
      const world = document.querySelector('#board-world');
      const b = node.getBBox();
      const m = world.getCTM().inverse().multiply(node.getCTM());
      const corners = [[b.x, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height], [b.x + b.width, b.y]]
        .map(([x, y]) => new DOMPoint(x, y).matrixTransform(m));
      const [xs, ys] = [corners.map((p) => p.x), corners.map((p) => p.y)];
      const text = g.querySelector('.board-text');
      const css = text && getComputedStyle(text);
      return {
        type: g.dataset.type,
        cursor: g.dataset.cursor,
        box: { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) },
        attrs: Object.fromEntries([...node.attributes].map((a) => [a.name, a.value])),
        text: g.textContent,
        markup: g.querySelectorAll('foreignObject *').length,
        font: css && { size: css.fontSize, color: css.color, background: css.backgroundColor },
      };
    },
    [id, selector],
  );
}

/** `actual` box equals `expected` within a pixel. */
function sameBox(actual, expected, what) {
  for (const k of ['x', 'y', 'width', 'height']) {
    assert.ok(Math.abs(actual[k] - expected[k]) <= 1, `${what}: ${k} is ${actual[k]}, expected ${expected[k]} (${JSON.stringify(actual)})`);
  }
}

/** The points of a path's `d` (M/L commands only, as the board writes them). */
const pathPoints = (d) => [...d.matchAll(/[ML](-?[\d.e+-]+) (-?[\d.e+-]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);

async function waitForCursor(id, above) {
  await page.waitForFunction(
    ([id, above]) => Number(document.querySelector(`#board g[data-id="${id}"]`)?.dataset.cursor) > above,
    [id, Number(above)],
    { timeout: LOST_AFTER },
  );
}

test('board: one element of each type, drawn at its place and size in its colours', async () => {
  const create = async (mutation, input, select = 'id') => {
    const { x } = await bot(`mutation($ws: String!) { x: ${mutation}(workspaceId: $ws, input: ${input}) { ${select} } }`);
    return x.id ?? x.image.id;
  };
  ids.text = await create('createText', `{text: "Plan <b>not bold</b> & <img src=x onerror=alert(1)>", zIndex: 5,
    transform: {x: 100, y: 80, scaleX: 1.5, scaleY: 1.5},
    style: {width: 400, height: 120, fontSize: 32, color: {r: 20, g: 30, b: 40, a: 1}, backgroundColor: {r: 250, g: 240, b: 200, a: 1}}}`);
  ids.shape = await create('createShape', `{text: "Decide", zIndex: 5, transform: {x: 800, y: 120},
    style: {regularShape: {kind: Diamond, width: 200, height: 140, strokeWidth: 6,
      strokeColor: {r: 255, g: 255, b: 255, a: 1}, fillColor: {r: 220, g: 40, b: 60, a: 1}}}}`);
  ids.sticky = await create('createShape', `{text: "A sticky note", zIndex: 5, transform: {x: 100, y: 420},
    style: {stickyShape: {kind: StickySquare, width: 240, fillColor: {r: 254, g: 232, b: 108, a: 1}}},
    textStyle: {color: {r: 0, g: 0, b: 0, a: 1}}}`);
  ids.stroke = await create('createStroke', `{points: [0, 0, 60, 40, 120, 0, 180, 60], zIndex: 5, transform: {x: 450, y: 460, scale: 2},
    style: {color: {r: 120, g: 230, b: 120, a: 1}, strokeWidth: 5}}`);
  ids.line = await create('createLine', `{zIndex: 5, start: {absolute: {x: 500, y: 760}}, end: {anchor: {id: "${ids.shape}", u: 0.5, v: 1}},
    controlPoints: [{absolute: {x: 700, y: 700}}], routing: Orthogonal,
    style: {strokeColor: {r: 255, g: 200, b: 0, a: 1}, strokeWidth: 4, strokeStyle: DashShort, startCap: ArrowFill, endCap: None}}`);
  ids.image = await create('createImage', `{title: "Whiteboard photo", imageFormat: png, width: 400, height: 300, zIndex: 5,
    transform: {x: 950, y: 480, scale: 0.5}}`, 'image { id }');
  // Created last but stacked first: zIndex 0 is below the others' 5.
  ids.canvas = await create('createCanvas', `{name: "Sprint", transform: {x: 0, y: 0},
    style: {width: 1400, height: 900, borderColor: {r: 80, g: 160, b: 255, a: 1}, fillColor: {r: 80, g: 160, b: 255, a: 0.1}}}`);
  await page.waitForFunction((n) => document.querySelectorAll('#board g[data-id]').length === n, 7, { timeout: LOST_AFTER });
  assert.match(await page.textContent('#element-count'), /^7 elements, last cursor \d+$/);
  await page.waitForTimeout(100); // the view fits the new content on the next frame
  await h.screenshot(page, 'drawing-board-every-type');

  const order = await page.$$eval('#board g[data-id]', (gs) => gs.map((g) => g.dataset.id));
  assert.equal(order[0], ids.canvas, 'the canvas (zIndex 0) is drawn below the rest');

  const text = await drawn(ids.text, 'foreignObject');
  assert.equal(text.type, 'Text');
  sameBox(text.box, { x: 100, y: 80, width: 600, height: 180 }, 'text box (style size × scale)');
  assert.equal(text.text, 'Plan <b>not bold</b> & <img src=x onerror=alert(1)>', 'the text as written');
  assert.equal(text.markup, 2, 'no markup from the text: only the board\'s own two divs');
  assert.deepEqual(text.font, { size: '32px', color: 'rgb(20, 30, 40)', background: 'rgb(250, 240, 200)' });

  const shape = await drawn(ids.shape, '.outline');
  assert.equal(shape.type, 'Shape');
  sameBox(shape.box, { x: 800, y: 120, width: 200, height: 140 }, 'diamond');
  assert.equal(shape.attrs.points.split(' ').length, 4, 'a diamond has four corners');
  assert.equal(shape.attrs.fill, rgba(220, 40, 60));
  assert.equal(shape.attrs.stroke, rgba(255, 255, 255));
  assert.equal(shape.attrs['stroke-width'], '6');
  assert.equal(shape.text, 'Decide');

  const sticky = await drawn(ids.sticky, '.outline');
  sameBox(sticky.box, { x: 100, y: 420, width: 240, height: 240 }, 'sticky note (square)');
  assert.equal(sticky.attrs.fill, rgba(254, 232, 108));
  assert.equal(sticky.attrs.stroke, undefined, 'a sticky note has no outline');
  assert.equal(sticky.text, 'A sticky note');
  assert.equal((await drawn(ids.sticky)).font.color, 'rgb(0, 0, 0)');

  const canvas = await drawn(ids.canvas, '.frame');
  sameBox(canvas.box, { x: 0, y: 0, width: 1400, height: 900 }, 'canvas frame');
  assert.equal(canvas.attrs.stroke, rgba(80, 160, 255));
  assert.equal(canvas.attrs.fill, rgba(80, 160, 255, 0.1));
  assert.equal(canvas.text, 'Sprint');

  const stroke = await drawn(ids.stroke, 'polyline');
  sameBox(stroke.box, { x: 450, y: 460, width: 360, height: 120 }, 'stroke (points × scale, from its transform)');
  assert.equal(stroke.attrs.points, '0,0 60,40 120,0 180,60');
  assert.equal(stroke.attrs.stroke, rgba(120, 230, 120));

  const image = await drawn(ids.image, '.frame');
  sameBox(image.box, { x: 950, y: 480, width: 200, height: 150 }, 'image placeholder (size × scale)');
  assert.equal(image.text, 'Whiteboard photo (uploading…)', 'its title, and that its file has not arrived');

  const line = await drawn(ids.line, 'path[marker-start]');
  assert.equal(line.attrs.stroke, rgba(255, 200, 0));
  assert.ok(line.attrs['stroke-dasharray'], 'a dashed line');
  const marker = await page.$(`#board g[data-id="${ids.line}"] marker${line.attrs['marker-start'].slice(4, -1)} path`);
  assert.equal(await marker.getAttribute('fill'), rgba(255, 200, 0), 'the start cap is a filled arrow in the line\'s colour');
  assertOrthogonalLine(pathPoints(line.attrs.d), [500, 760], [700, 700], [900, 260]);
});

/** Right angles only, through the control point, ending on the anchor and meeting its edge
 * square (the start stops short of its point by the stroke width, under its arrow). */
function assertOrthogonalLine(points, start, control, end) {
  for (let i = 1; i < points.length; i++) {
    const [[ax, ay], [bx, by]] = [points[i - 1], points[i]];
    assert.ok(ax === bx || ay === by, `segment ${i} is horizontal or vertical: ${JSON.stringify(points)}`);
  }
  assert.ok(points.some(([x, y]) => x === control[0] && y === control[1]), `through the control point: ${JSON.stringify(points)}`);
  assert.deepEqual(points.at(-1), end, 'ends on the anchor: the middle of the shape\'s bottom edge');
  assert.equal(points.at(-2)[0], end[0], `meets the bottom edge vertically: ${JSON.stringify(points)}`);
  assert.ok(Math.hypot(points[0][0] - start[0], points[0][1] - start[1]) <= 4, `starts at its start: ${JSON.stringify(points)}`);
}

test('board: the shape moves and the line anchored to it follows', async () => {
  const before = await drawn(ids.line);
  await bot(`mutation($ws: String!, $id: String!) { updateShape(workspaceId: $ws, id: $id, input: {transform: {x: 1100, y: 200}}) { id } }`, { id: ids.shape });
  await waitForCursor(ids.shape, before.cursor);
  sameBox((await drawn(ids.shape, '.outline')).box, { x: 1100, y: 200, width: 200, height: 140 }, 'the moved diamond');
  const line = await drawn(ids.line, 'path[marker-start]');
  assertOrthogonalLine(pathPoints(line.attrs.d), [500, 760], [700, 700], [1200, 340]);
  assert.equal((await drawn(ids.line)).cursor, before.cursor, 'the line itself did not change');
  await h.screenshot(page, 'drawing-board-shape-moved');
});

test('board: a deleted element disappears', async () => {
  await bot(`mutation($ws: String!, $id: String!) { delete(workspaceId: $ws, id: $id) }`, { id: ids.stroke });
  await page.waitForSelector(`#board g[data-id="${ids.stroke}"]`, { state: 'detached', timeout: LOST_AFTER });
  assert.match(await page.textContent('#element-count'), /^6 elements/);
  assert.ok(await drawn(ids.image), 'the others stay');
});

test('board: documents, videos, browsers, grids, icons and windows; an attachment moves with its surface', async () => {
  const create = async (mutation, input, select = 'id') => {
    const { x } = await bot(`mutation($ws: String!) { x: ${mutation}(workspaceId: $ws, input: ${input}) { ${select} } }`);
    return x.id ?? Object.values(x)[0].id;
  };
  const found = await bot('{ searchIcons(queryString: "star", variantName: "solid") { results { variant { assetPath } } } }');
  const star = found.searchIcons.results[0].variant.assetPath;
  assert.equal(star, '/icons/Tessera/Shapes/solid/star.svg', 'the icon named "star" before others tagged with it');
  const iconLoaded = page.waitForResponse((r) => new URL(r.url()).pathname === star, { timeout: LOST_AFTER });
  ids.document = await create('createDocument', '{title: "Plan.pdf", documentFormat: pdf, width: 300, height: 400, transform: {x: 1500, y: 0}}', 'document { id }');
  ids.video = await create('createVideo', '{title: "Demo", videoFormat: mp4, width: 320, height: 180, transform: {x: 1500, y: 500}}', 'video { id }');
  ids.browser = await create('createBrowser', '{url: "https://example.com/plan", transform: {x: 1900, y: 0}, style: {width: 500, height: 300}}');
  ids.grid = await create('createGrid', `{rowCount: 2, columnCount: 3, cells: [], transform: {x: 1900, y: 400},
    style: {cellWidth: 100, cellHeight: 80, horizontalCellMargin: 5, verticalCellMargin: 10}}`);
  ids.icon = await create('createIcon', `{assetPath: "${star}", width: 120, height: 120, transform: {x: 2500, y: 0},
    style: {color: {r: 255, g: 0, b: 0, a: 1}}}`);
  ids.window = await create('createWindow', '{transform: {x: 2500, y: 300}, style: {width: 400, height: 300}}');
  // Attached to the window: its transform counts from the window's position.
  ids.note = await create('createText', `{text: "On the window", surface: "${ids.window}", transform: {x: 20, y: 60},
    style: {width: 200, height: 50, fontSize: 20}}`);
  await page.waitForFunction((n) => document.querySelectorAll('#board g[data-id]').length === n, 13, { timeout: LOST_AFTER });
  assert.equal((await iconLoaded).status(), 200, 'the icon\'s file came from the server');
  await page.waitForTimeout(100);
  await h.screenshot(page, 'drawing-board-more-types');

  const doc = await drawn(ids.document, '.frame');
  sameBox(doc.box, { x: 1500, y: 0, width: 300, height: 400 }, 'document');
  assert.equal(doc.text, 'Plan.pdf (uploading…)');
  sameBox((await drawn(ids.video, '.frame')).box, { x: 1500, y: 500, width: 320, height: 180 }, 'video');
  const browserEl = await drawn(ids.browser, '.frame');
  sameBox(browserEl.box, { x: 1900, y: 0, width: 500, height: 300 }, 'browser');
  assert.equal(browserEl.text, 'https://example.com/plan', 'the address in the title bar');
  // Six cells of 100×80, 5 and 10 of margin on each side: the outlines span 3×110−10 by 2×100−20.
  sameBox((await drawn(ids.grid, '.cells')).box, { x: 1905, y: 410, width: 320, height: 180 }, 'grid cells');
  const icon = await drawn(ids.icon, 'image');
  sameBox(icon.box, { x: 2500, y: 0, width: 120, height: 120 }, 'icon');
  assert.equal(new URL(icon.attrs.href).pathname, star);
  assert.match(icon.attrs.filter, /^url\(#board-tint-\d+\)$/, 'tinted in its colour');
  sameBox((await drawn(ids.window, '.frame')).box, { x: 2500, y: 300, width: 400, height: 300 }, 'window');
  const note = await drawn(ids.note, 'foreignObject');
  sameBox(note.box, { x: 2520, y: 360, width: 200, height: 50 }, 'the attached note, from the window\'s position');
  const order = await page.$$eval('#board g[data-id]', (gs) => gs.map((g) => g.dataset.id));
  assert.equal(order.indexOf(ids.note), order.indexOf(ids.window) + 1, 'drawn right above its surface');

  const windowCursor = (await drawn(ids.window)).cursor;
  await bot('mutation($ws: String!, $id: String!) { updateWindow(workspaceId: $ws, id: $id, input: {transform: {x: 2600, y: 400}}) { id } }', { id: ids.window });
  await waitForCursor(ids.window, windowCursor);
  sameBox((await drawn(ids.note, 'foreignObject')).box, { x: 2620, y: 460, width: 200, height: 50 }, 'the note moved with the window');
  // Detached without a transform: it stays where it is, on its own.
  const noteCursor = (await drawn(ids.note)).cursor;
  await bot('mutation($ws: String!, $id: String!) { updateText(workspaceId: $ws, id: $id, input: {surface: $ws}) { id } }', { id: ids.note });
  await waitForCursor(ids.note, noteCursor);
  sameBox((await drawn(ids.note, 'foreignObject')).box, { x: 2620, y: 460, width: 200, height: 50 }, 'detached in place');
  assert.equal(await page.$eval(`#board g[data-id="${ids.note}"]`, (g) => g.dataset.surface ?? null), null);
});

test('board: drag pans, the wheel and the buttons zoom, "Fit" frames every element', async () => {
  const view = () => page.$eval('#board-world', (g) => {
    const m = g.transform.baseVal.consolidate().matrix;
    return { x: m.e, y: m.f, k: m.a };
  });
  const frame = await page.$eval('#board', (svg) => JSON.parse(JSON.stringify(svg.getBoundingClientRect())));
  const at = [Math.round(frame.left + 300), Math.round(frame.top + 200)]; // mouse events have whole pixels

  const v0 = await view();
  await page.mouse.move(...at);
  await page.mouse.down();
  await page.mouse.move(at[0] + 120, at[1] - 80, { steps: 5 });
  await page.mouse.up();
  const v1 = await view();
  const moved = [v1.x - v0.x, v1.y - v0.y, v1.k / v0.k];
  assert.ok([120, -80, 1].every((want, i) => Math.abs(moved[i] - want) < 0.01), `dragging moves the view with the pointer: ${moved}`);

  // The wheel zooms about the pointer: the canvas point under it stays under it.
  const under = ({ x, y, k }) => [(at[0] - frame.left - x) / k, (at[1] - frame.top - y) / k];
  await page.mouse.move(...at);
  await page.mouse.wheel(0, -300);
  await page.waitForFunction((k) => document.querySelector('#board-world').transform.baseVal.consolidate().matrix.a > k, v1.k);
  const v2 = await view();
  assert.ok(v2.k > v1.k * 1.2, `the wheel zoomed in (${v1.k} → ${v2.k})`);
  under(v2).forEach((c, i) => assert.ok(Math.abs(c - under(v1)[i]) < 0.01, `the point under the pointer stays: ${under(v1)} → ${under(v2)}`));
  await h.screenshot(page, 'drawing-board-zoomed');

  await page.click('button[data-zoom=out]');
  const v3 = await view();
  assert.ok(Math.abs(v3.k / (v2.k / 1.25) - 1) < 1e-5, `"−" zooms out by 1.25: ${v2.k} → ${v3.k}`);

  await page.click('button[data-zoom=fit]');
  const inside = await page.$$eval('#board g[data-id]', (gs) => {
    const f = document.querySelector('#board').getBoundingClientRect();
    return gs.map((g) => g.getBoundingClientRect()).every((r) => r.left >= f.left && r.right <= f.right && r.top >= f.top && r.bottom <= f.bottom);
  });
  assert.ok(inside, 'after "Fit", every element is inside the board');
  assert.notDeepEqual(await view(), v3);
  await h.screenshot(page, 'drawing-board-fit');
});
