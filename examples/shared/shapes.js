// The outlines of the platform's shape kinds, and where each one's text goes.
import { svg } from './view.js';

// Outlines in a unit square, scaled to the shape's box.
const UNIT = {
  TriangleUp: [[0.5, 0], [1, 1], [0, 1]],
  TriangleRight: [[0, 0], [1, 0.5], [0, 1]],
  Diamond: [[0.5, 0], [1, 0.5], [0.5, 1], [0, 0.5]],
  ArrowUp: [[0.5, 0], [1, 0.45], [0.72, 0.45], [0.72, 1], [0.28, 1], [0.28, 0.45], [0, 0.45]],
  ArrowUpDown: [[0.5, 0], [1, 0.3], [0.72, 0.3], [0.72, 0.7], [1, 0.7], [0.5, 1], [0, 0.7], [0.28, 0.7], [0.28, 0.3], [0, 0.3]],
  Hexagon: [[0.25, 0], [0.75, 0], [1, 0.5], [0.75, 1], [0.25, 1], [0, 0.5]],
  Octagon: [[0.29, 0], [0.71, 0], [1, 0.29], [1, 0.71], [0.71, 1], [0.29, 1], [0, 0.71], [0, 0.29]],
};
const turn = (pts) => pts.map(([x, y]) => [1 - y, x]); // a quarter turn clockwise
UNIT.ArrowRight = turn(UNIT.ArrowUp);
UNIT.ArrowLeftRight = turn(UNIT.ArrowUpDown);
UNIT.ArrowAll = (() => {
  const [a, b, c] = [0.24, 0.09, 0.19]; // head length, shaft half width, head half width
  let arm = [[0.5 - b, a], [0.5 - c, a], [0.5, 0], [0.5 + c, a], [0.5 + b, a], [0.5 + b, 0.5 - b]];
  const all = [];
  for (let i = 0; i < 4; i++, arm = turn(arm)) all.push(...arm);
  return all;
})();
UNIT.Star5 = (() => {
  const pts = [];
  for (let i = 0; i < 10; i++) {
    const r = i % 2 ? 0.382 : 1;
    const a = -Math.PI / 2 + (i * Math.PI) / 5;
    pts.push([r * Math.cos(a), r * Math.sin(a)]);
  }
  const [xs, ys] = [pts.map((p) => p[0]), pts.map((p) => p[1])];
  const [x0, y0, x1, y1] = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  return pts.map(([x, y]) => [(x - x0) / (x1 - x0), (y - y0) / (y1 - y0)]);
})();

// Where a shape's text goes, as [left, top, right, bottom] fractions of its box.
export const TEXT_AREA = {
  Ellipse: [0.15, 0.15, 0.85, 0.85],
  TriangleUp: [0.25, 0.45, 0.75, 0.95],
  TriangleRight: [0.04, 0.25, 0.56, 0.75],
  Diamond: [0.22, 0.22, 0.78, 0.78],
  Cylinder: [0, 0.24, 1, 0.94],
  ArrowUp: [0.28, 0.45, 0.72, 1],
  ArrowRight: [0, 0.28, 0.55, 0.72],
  ArrowUpDown: [0.28, 0.28, 0.72, 0.72],
  ArrowLeftRight: [0.28, 0.28, 0.72, 0.72],
  ArrowAll: [0.3, 0.3, 0.7, 0.7],
  Star5: [0.3, 0.38, 0.7, 0.78],
  Hexagon: [0.18, 0.08, 0.82, 0.92],
  Octagon: [0.1, 0.1, 0.9, 0.9],
};

/** The outline of a `kind` shape in a w×h box (a rectangle for Rectangle and StickySquare). */
export function outline(kind, w, h) {
  if (kind === 'Ellipse') return svg('ellipse', { cx: w / 2, cy: h / 2, rx: w / 2, ry: h / 2 });
  if (kind === 'Cylinder') {
    const [rx, e] = [w / 2, Math.min(h * 0.12, w * 0.25)];
    const d = `M0 ${e} A${rx} ${e} 0 0 1 ${w} ${e} L${w} ${h - e} A${rx} ${e} 0 0 1 0 ${h - e} Z M0 ${e} A${rx} ${e} 0 0 0 ${w} ${e}`;
    return svg('path', { d });
  }
  const unit = Object.hasOwn(UNIT, kind) ? UNIT[kind] : null;
  if (!unit) return svg('rect', { width: w, height: h }); // Rectangle, StickySquare
  return svg('polygon', { points: unit.map(([x, y]) => `${x * w},${y * h}`).join(' ') });
}
