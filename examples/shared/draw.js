// Drawing one element as SVG. Everything is built with createElementNS and textContent (element
// text comes from other users), and colours are rgba() strings made from numbers only.
import { outline, TEXT_AREA } from './shapes.js';
import { svg } from './view.js';

const XHTML = 'http://www.w3.org/1999/xhtml';

const num = (v, fallback = 0) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, num(v)));
const own = (table, key) => (Object.hasOwn(table, key) ? table[key] : undefined);

/** `{r, g, b, a}` (0–255, alpha 0–1) as `rgba(…)`. */
export function rgba(c) {
  if (!c) return 'none';
  return `rgba(${Math.round(clamp(c.r, 0, 255))},${Math.round(clamp(c.g, 0, 255))},${Math.round(clamp(c.b, 0, 255))},${clamp(c.a, 0, 1)})`;
}

/** An element's transform with its defaults. */
export function transformOf(el) {
  const t = el.transform ?? {};
  return { x: num(t.x), y: num(t.y), sx: num(t.scaleX, 1), sy: num(t.scaleY, 1) };
}

// The types whose width and height are the element's own fields (the others' are its style's).
const SIZED = new Set(['Image', 'Document', 'Video', 'Icon']);

/** A grid's cells: how many, their size, and the distance from one to the next (each cell has
 * its margin on either side). */
function gridCells(el) {
  const s = el.style ?? {};
  const [w, h, mx, my] = [num(s.cellWidth, 1000), num(s.cellHeight, 1000), num(s.horizontalCellMargin), num(s.verticalCellMargin)];
  return { rows: clamp(el.rowCount, 0, 1000), cols: clamp(el.columnCount, 0, 1000), w, h, mx, my, px: w + 2 * mx, py: h + 2 * my };
}

/** An element's own width and height before scaling (none for strokes and lines). */
export function sizeOf(el) {
  if (SIZED.has(el.type)) return { w: num(el.width), h: num(el.height) };
  if (el.type === 'Grid') {
    const g = gridCells(el);
    return { w: g.cols * g.px, h: g.rows * g.py };
  }
  const s = el.style;
  return s && s.width !== undefined ? { w: num(s.width), h: num(s.height) } : null;
}

/** Where the frame of an element's transform starts on the canvas: its surfaces' positions
 * added up (the canvas's origin for a top-level element, or one whose surface is missing). */
export function frameOf(el, elements) {
  let [x, y] = [0, 0];
  const seen = new Set([el.id]);
  for (let s = elements.get(el.surfaceId); s && !seen.has(s.id); s = elements.get(s.surfaceId)) {
    seen.add(s.id);
    const t = transformOf(s);
    x += t.x;
    y += t.y;
  }
  return { x, y };
}

function pairs(flat = []) {
  const out = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([num(flat[i]), num(flat[i + 1])]);
  return out;
}

function around(points) {
  if (!points.length) return null;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/** An element's box on the canvas (what a line's anchor's `u`, `v` run across), or null. */
export function boxOf(el, elements, depth = 0) {
  if (el.type === 'Line') return depth > 2 ? null : around(linePoints(el, elements, depth + 1) ?? []);
  const t = transformOf(el);
  const f = frameOf(el, elements);
  if (el.type === 'Stroke') {
    const b = around(pairs(el.points));
    return b && { x: f.x + t.x + b.x * t.sx, y: f.y + t.y + b.y * t.sy, width: b.width * t.sx, height: b.height * t.sy };
  }
  const size = sizeOf(el);
  return size && { x: f.x + t.x, y: f.y + t.y, width: size.w * t.sx, height: size.h * t.sy };
}

/** A line's points on the canvas: start, control points, end, as [x, y, axis] (see
 * `orthogonal`); null if an element it is anchored to is missing. */
export function linePoints(line, elements, depth = 0) {
  const points = [];
  const f = frameOf(line, elements);
  for (const p of [line.start, ...(line.controlPoints ?? []), line.end]) {
    if (p?.__typename === 'AnchorLinePoint') {
      const target = elements.get(p.id);
      const b = target && target !== line ? boxOf(target, elements, depth) : null;
      if (!b) return null;
      // On an edge, the axis a line meets it along (for orthogonal routing).
      const axis = p.v <= 0 || p.v >= 1 ? 'v' : p.u <= 0 || p.u >= 1 ? 'h' : undefined;
      points.push([b.x + num(p.u) * b.width, b.y + num(p.v) * b.height, axis]);
    } else if (p) {
      points.push([f.x + num(p.x), f.y + num(p.y)]);
    }
  }
  return points;
}

// Dosis, the platform's text font, is narrow: without it, a narrow font keeps lines as long.
const FALLBACK = { Dosis: '"Arial Narrow", "Liberation Sans Narrow", "DejaVu Sans Condensed",' };

/** A box of wrapped plain text (HTML inside a foreignObject, so the browser wraps it). */
function textBox(w, h, text, { fontSize, color, background, family, valign, center, padding = 0, upper }) {
  const outer = document.createElementNS(XHTML, 'div');
  outer.className = 'board-text';
  const inner = document.createElementNS(XHTML, 'div');
  inner.textContent = text;
  outer.append(inner);
  Object.assign(outer.style, {
    fontSize: `${fontSize}px`,
    color: rgba(color),
    background: background ? rgba(background) : 'none',
    padding: `${padding}px`,
    justifyContent: own({ top: 'flex-start', center: 'center', bottom: 'flex-end' }, valign) ?? 'flex-start',
    textAlign: center ? 'center' : 'left',
    textTransform: upper ? 'uppercase' : 'none',
  });
  const name = String(family ?? '').replace(/["\\\n]/g, '');
  outer.style.fontFamily = `"${name}", ${own(FALLBACK, name) ?? ''} system-ui, sans-serif`;
  return svg('foreignObject', { width: w, height: h, overflow: 'visible' }, outer);
}

/** A first guess at the font size (px) that fits `text` in a w×h box; `fitText` measures. */
function autoSize(w, h, text) {
  const chars = Math.max(1, String(text).length);
  return clamp(Math.min(h / 2, Math.sqrt((w * h) / (chars * 0.9))), 6, 400);
}

/** Shrink an auto-sized text until it fits its box (needs layout: call with the box attached). */
export function fitText(g) {
  for (const box of g.querySelectorAll('.board-text[data-auto]')) {
    const fits = () => box.scrollHeight <= box.clientHeight + 1 && box.scrollWidth <= box.clientWidth + 1;
    if (!box.clientHeight) continue;
    let lo = 4;
    let hi = parseFloat(box.style.fontSize) * 2;
    for (let i = 0; i < 10; i++) {
      const mid = (lo + hi) / 2;
      box.style.fontSize = `${mid}px`;
      if (fits()) lo = mid;
      else hi = mid;
    }
    box.style.fontSize = `${Math.floor(lo)}px`;
  }
}

function text(el) {
  const s = el.style;
  return [
    textBox(num(s.width), num(s.height), el.text ?? '', {
      fontSize: num(s.fontSize, 64),
      color: s.color,
      background: s.backgroundColor,
      family: s.fontFamily,
      valign: s.verticalAlign,
      upper: s.textTransform === 'uppercase',
    }),
  ];
}

function shape(el) {
  const s = el.style ?? {};
  const [w, h] = [num(s.width), num(s.height)];
  const sticky = el.kind === 'StickySquare' || s.__typename === 'StickyShapeStyle';
  const body = outline(sticky ? 'StickySquare' : el.kind, w, h);
  body.setAttribute('class', 'outline');
  body.setAttribute('fill', rgba(s.fillColor));
  if (!sticky && num(s.strokeWidth) > 0) {
    body.setAttribute('stroke', rgba(s.strokeColor));
    body.setAttribute('stroke-width', num(s.strokeWidth));
  }
  if (el.mirrorX || el.mirrorY) {
    const [mx, my] = [el.mirrorX ? -1 : 1, el.mirrorY ? -1 : 1];
    body.setAttribute('transform', `matrix(${mx} 0 0 ${my} ${el.mirrorX ? w : 0} ${el.mirrorY ? h : 0})`);
  }
  const out = [body];
  if (el.text) {
    const ts = el.textStyle ?? {};
    let [l, t, r, b] = (!sticky && own(TEXT_AREA, el.kind)) || [0, 0, 1, 1];
    if (el.mirrorX) [l, r] = [1 - r, 1 - l];
    if (el.mirrorY) [t, b] = [1 - b, 1 - t];
    const [tw, th] = [(r - l) * w, (b - t) * h];
    const padding = Math.min(tw, th) * 0.1;
    const auto = typeof ts.fontSize !== 'number'; // "auto": fit the text to the shape
    const size = auto ? autoSize(tw - 2 * padding, th - 2 * padding, el.text) : num(ts.fontSize);
    const box = textBox(tw, th, el.text, { fontSize: size, color: ts.color, family: ts.fontFamily, valign: ts.verticalAlign, center: true, padding });
    box.setAttribute('x', l * w);
    box.setAttribute('y', t * h);
    if (auto) box.firstChild.dataset.auto = '';
    out.push(box);
  }
  return out;
}

function canvas(el) {
  const s = el.style;
  const [w, h] = [num(s.width), num(s.height)];
  const label = svg('text', { class: 'name', x: 0, y: -12, fill: rgba({ ...s.borderColor, a: 1 }), 'font-size': clamp(w * 0.025, 16, 96) });
  label.textContent = el.name ?? '';
  const frame = svg('rect', { class: 'frame', width: w, height: h, fill: rgba(s.fillColor), stroke: rgba(s.borderColor), 'stroke-width': 2, 'vector-effect': 'non-scaling-stroke' });
  return [frame, label];
}

function stroke(el) {
  const s = el.style ?? {};
  const pts = pairs(el.points);
  if (pts.length === 1) pts.push(pts[0]); // a dot
  const colour = s.brushType === 'Eraser' ? 'var(--board-background)' : rgba(s.color);
  return [svg('polyline', { points: pts.map((p) => p.join(',')).join(' '), fill: 'none', stroke: colour, 'stroke-width': num(s.strokeWidth, 1), 'stroke-linecap': 'round', 'stroke-linejoin': 'round' })];
}

const LIGHT = { r: 230, g: 233, b: 240, a: 1 };

const STATES = { transferring: 'uploading…', processing: 'processing…', complete_failure: 'failed' };

/** An image, a document or a video: its preview once there is one (an http(s) URL only), else
 * its frame, its title and where its upload stands. */
function asset(el) {
  const [w, h] = [num(el.width), num(el.height)];
  if (/^https?:\/\//.test(el.previewUrl ?? '')) {
    return [svg('image', { class: 'asset-preview', href: el.previewUrl, width: w, height: h, preserveAspectRatio: 'none' })];
  }
  const state = STATES[el.ingestionState];
  const label = (el.title || el.type.toLowerCase()) + (state ? ` (${state})` : '');
  const frame = svg('rect', { class: 'frame', width: w, height: h, fill: 'rgba(255,255,255,0.08)', stroke: 'rgba(255,255,255,0.6)', 'stroke-width': 1.5, 'stroke-dasharray': '6 4', 'vector-effect': 'non-scaling-stroke' });
  const cross = svg('path', { d: `M0 0 L${w} ${h} M${w} 0 L0 ${h}`, stroke: 'rgba(255,255,255,0.18)', 'vector-effect': 'non-scaling-stroke' });
  const title = textBox(w, h, label, { fontSize: clamp(Math.min(w, h) * 0.1, 10, 200), color: LIGHT, valign: 'center', center: true, padding: Math.min(w, h) * 0.05 });
  return [frame, cross, title];
}

/** A window, or a browser showing its address in the title bar (the page is not loaded). */
function framed(el) {
  const [w, h] = [num(el.style?.width), num(el.style?.height)];
  const bar = Math.min(h, clamp(h * 0.08, 12, 60));
  const frame = svg('rect', { class: 'frame', width: w, height: h, fill: 'rgba(255,255,255,0.06)', stroke: 'rgba(255,255,255,0.6)', 'stroke-width': 1.5, 'vector-effect': 'non-scaling-stroke' });
  const title = svg('rect', { class: 'title-bar', width: w, height: bar, fill: 'rgba(255,255,255,0.25)' });
  const out = [frame, title];
  if (el.type === 'Browser') out.push(textBox(w, bar, el.url ?? '', { fontSize: bar * 0.6, color: LIGHT, valign: 'center', padding: bar * 0.15 }));
  return out;
}

/** A grid: each cell's outline, inside its margins. */
function grid(el) {
  const g = gridCells(el);
  const d = [];
  for (let r = 0; r < g.rows; r++) {
    for (let c = 0; c < g.cols; c++) d.push(`M${c * g.px + g.mx} ${r * g.py + g.my}h${g.w}v${g.h}h${-g.w}Z`);
  }
  return [svg('path', { class: 'cells', d: d.join(''), fill: 'none', stroke: 'rgba(255,255,255,0.45)', 'stroke-width': 1, 'vector-effect': 'non-scaling-stroke' })];
}

let tints = 0;

/** An icon: its SVG file from the server (`assetBase` + its path), in its colour if it has one. */
function icon(el, _elements, env) {
  const [w, h] = [num(el.width), num(el.height)];
  // Only a path on the server itself: an icon cannot make the board fetch another address.
  const base = new URL(env.assetBase ?? location.href);
  const url = new URL(String(el.assetPath ?? ''), base);
  if (url.origin !== base.origin) return [svg('rect', { class: 'frame', width: w, height: h, fill: 'none', stroke: 'rgba(255,255,255,0.4)' })];
  const image = svg('image', { href: url.href, width: w, height: h, preserveAspectRatio: 'xMidYMid meet' });
  const colour = el.style?.color;
  if (!colour) return [image];
  // The colour fills the icon's own shape (its alpha), whatever colours the file has.
  const id = `board-tint-${(tints += 1)}`;
  const filter = svg('filter', { id }, svg('feFlood', { 'flood-color': rgba(colour) }), svg('feComposite', { in2: 'SourceAlpha', operator: 'in' }));
  image.setAttribute('filter', `url(#${id})`);
  return [filter, image];
}

const DASHES = { Dot: [1, 2], DashShort: [3, 2], DashLong: [8, 3] };

/** Orthogonal routing: right angles only. An end on an element's edge meets it square (along
 * the edge's normal); elsewhere a segment turns halfway along its longer direction. */
function orthogonal(points) {
  const out = [points[0]];
  const push = (p) => (p[0] !== out.at(-1)[0] || p[1] !== out.at(-1)[1]) && out.push(p);
  const other = (axis) => (axis === 'h' ? 'v' : 'h');
  for (let i = 1; i < points.length; i++) {
    const [[ax, ay], [bx, by]] = [points[i - 1], points[i]];
    const leave = i === 1 ? points[0][2] : undefined;
    const arrive = i === points.length - 1 ? points[i][2] : undefined;
    const longer = Math.abs(bx - ax) >= Math.abs(by - ay) ? 'h' : 'v';
    const first = leave ?? (arrive ? other(arrive) : longer);
    const last = arrive ?? (leave ? other(leave) : first);
    if (first === 'h' && last === 'h') [[(ax + bx) / 2, ay], [(ax + bx) / 2, by]].forEach(push);
    else if (first === 'v' && last === 'v') [[ax, (ay + by) / 2], [bx, (ay + by) / 2]].forEach(push);
    else push(first === 'h' ? [bx, ay] : [ax, by]);
    push([bx, by]);
  }
  return out;
}

/** An arrow, bar or dot at a line's end, drawn pointing along +x with its tip at the origin
 * (a filled arrow's at `ahead`: the line stops that much short so that its end is hidden). */
function cap(kind, id, colour, width, start, ahead) {
  const size = Math.max(14, width * 5);
  const shapes = {
    ArrowFill: () => svg('path', { d: `M${ahead - size} ${-size / 2} L${ahead} 0 L${ahead - size} ${size / 2} Z`, fill: colour }),
    ArrowStroke: () => svg('path', { d: `M${-size} ${-size / 2} L0 0 L${-size} ${size / 2}`, fill: 'none', stroke: colour, 'stroke-width': Math.max(1, width), 'stroke-linejoin': 'miter' }),
    Tee: () => svg('path', { d: `M0 ${-size / 2} L0 ${size / 2}`, stroke: colour, 'stroke-width': Math.max(1, width) }),
    Circle: () => svg('circle', { r: size / 3, fill: colour }),
  };
  const make = own(shapes, kind);
  if (!make) return null;
  return svg('marker', { id, markerUnits: 'userSpaceOnUse', orient: start ? 'auto-start-reverse' : 'auto', overflow: 'visible', markerWidth: 1, markerHeight: 1 }, make());
}

let markers = 0;

/** Point `to` moved `by` towards `from` (not past it). */
function shortened(from, to, by) {
  const [dx, dy] = [to[0] - from[0], to[1] - from[1]];
  const len = Math.hypot(dx, dy);
  return len > by ? [to[0] - (dx / len) * by, to[1] - (dy / len) * by] : to;
}

/** A line on the canvas (absolute coordinates: its group has no transform); empty if an end's
 * element is gone. */
function line(el, elements) {
  const pts = linePoints(el, elements);
  if (!pts || pts.length < 2) return [];
  const s = el.style ?? {};
  const width = num(s.strokeWidth);
  const colour = rgba(s.strokeColor);
  const route = el.routing === 'Orthogonal' ? orthogonal(pts) : pts;
  // A filled arrow's tip is the line's end; the line stops short of it so as not to blunt it.
  const ahead = Math.max(width, 0);
  if (s.endCap === 'ArrowFill') route[route.length - 1] = shortened(route.at(-2), route.at(-1), ahead);
  if (s.startCap === 'ArrowFill') route[0] = shortened(route[1], route[0], ahead);
  const path = svg('path', {
    d: route.map(([x, y], i) => `${i ? 'L' : 'M'}${x} ${y}`).join(' '),
    fill: 'none',
    stroke: colour,
    'stroke-width': width > 0 ? width : 1,
    'vector-effect': width > 0 ? undefined : 'non-scaling-stroke', // 0: a hairline
    'stroke-dasharray': own(DASHES, s.strokeStyle)?.map((d) => d * Math.max(width, 1)).join(' '),
    'stroke-linejoin': 'round',
  });
  const out = [path];
  for (const [end, start] of [[s.startCap, true], [s.endCap, false]]) {
    const id = `board-cap-${(markers += 1)}`;
    const m = cap(end, id, colour, width, start, ahead);
    if (!m) continue;
    out.unshift(m);
    path.setAttribute(start ? 'marker-start' : 'marker-end', `url(#${id})`);
  }
  return out;
}

const DRAW = {
  Text: text,
  Shape: shape,
  Canvas: canvas,
  Stroke: stroke,
  Line: line,
  Image: asset,
  Document: asset,
  Video: asset,
  Browser: framed,
  Window: framed,
  Grid: grid,
  Icon: icon,
};

/** The SVG nodes of one element, in its own coordinates (see `placement`); `env.assetBase` is
 * the server that icon paths are on. */
export function draw(el, elements, env = {}) {
  return own(DRAW, el.type)?.(el, elements, env) ?? [];
}

/** The transform of an element's group: its position on the canvas (its surfaces' added up)
 * and its scale. Lines are drawn in canvas coordinates already. */
export function placement(el, elements) {
  if (el.type === 'Line') return null;
  const t = transformOf(el);
  const f = frameOf(el, elements);
  return `translate(${f.x + t.x} ${f.y + t.y}) scale(${t.sx} ${t.sy})`;
}
