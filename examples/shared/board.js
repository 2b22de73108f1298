// The board: a workspace's elements drawn as SVG, kept current by `command(cmd)`, pannable
// (drag) and zoomable (wheel, + / − / fit). Each element is a <g data-id data-type data-cursor>;
// a command redraws only its element, and the lines anchored to it.
import { applyCommand } from './live.js';
import { draw, fitText, placement } from './draw.js';
import { h, svg } from './view.js';

const MIN_ZOOM = 0.02;
const MAX_ZOOM = 20;

/** The board inside `container`; returns `{ command(cmd) }`. */
export function board(container) {
  const elements = new Map();
  const groups = new Map(); // element id → its <g>
  const layer = svg('g', { id: 'board-world' });
  const root = svg('svg', { id: 'board', role: 'img', 'aria-label': 'workspace board' }, layer);
  const count = h('p', { id: 'element-count', class: 'muted' });
  const button = (zoom, label, title) => h('button', { type: 'button', 'data-zoom': zoom, title, onclick: () => zoomButton(zoom) }, label);
  const controls = h('div', { class: 'board-controls' }, button('in', '+', 'Zoom in'), button('out', '−', 'Zoom out'), button('fit', 'Fit', 'Show every element'));
  container.replaceChildren(count, h('div', { class: 'board-frame' }, root, controls));

  // The view: world → screen is translate(x, y) scale(k). Until someone pans or zooms, it
  // follows the content (fits it after every change); "Fit" goes back to following.
  const view = { x: 0, y: 0, k: 1, follow: true };
  const show = () => layer.setAttribute('transform', `translate(${view.x} ${view.y}) scale(${view.k})`);
  show();

  function fitAll() {
    const [w, h] = [root.clientWidth, root.clientHeight];
    if (!w || !h || !groups.size) return;
    const b = layer.getBBox();
    if (!b.width && !b.height) return;
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, 0.9 * Math.min(w / (b.width || 1), h / (b.height || 1))));
    Object.assign(view, { k, x: w / 2 - (b.x + b.width / 2) * k, y: h / 2 - (b.y + b.height / 2) * k });
    show();
  }
  let pending = false;
  const refit = () => {
    if (!view.follow || pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      if (view.follow) fitAll();
    });
  };
  new ResizeObserver(refit).observe(root);

  /** Zoom by `factor` about the screen point (cx, cy): the world point under it stays put. */
  function zoomAt(factor, cx, cy) {
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.k * factor));
    Object.assign(view, { follow: false, x: cx - ((cx - view.x) * k) / view.k, y: cy - ((cy - view.y) * k) / view.k, k });
    show();
  }
  function zoomButton(zoom) {
    if (zoom === 'fit') {
      view.follow = true;
      return fitAll();
    }
    zoomAt(zoom === 'in' ? 1.25 : 1 / 1.25, root.clientWidth / 2, root.clientHeight / 2);
  }
  root.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = root.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  let drag = null;
  root.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY };
    root.setPointerCapture(e.pointerId);
    root.classList.add('dragging');
  });
  root.addEventListener('pointermove', (e) => {
    if (!drag) return;
    Object.assign(view, { follow: false, x: view.x + e.clientX - drag.x, y: view.y + e.clientY - drag.y });
    drag = { x: e.clientX, y: e.clientY };
    show();
  });
  const drop = () => {
    drag = null;
    root.classList.remove('dragging');
  };
  root.addEventListener('pointerup', drop);
  root.addEventListener('pointercancel', drop);

  // Stacking: by zIndex, then by creation.
  const order = (g) => [Number(g.dataset.z), Number(g.dataset.created)];
  const before = (a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
  function stack(g) {
    const key = order(g);
    const next = [...layer.children].find((other) => other !== g && before(key, order(other)));
    if (g.nextSibling !== next || g.parentNode !== layer) layer.insertBefore(g, next ?? null);
  }

  /** Draw element `id` again from the model (or remove it). */
  function redraw(id) {
    const el = elements.get(id);
    let g = groups.get(id);
    if (!el) {
      g?.remove();
      groups.delete(id);
      return;
    }
    if (!g) {
      g = svg('g', { 'data-id': el.id, 'data-type': el.type, 'data-created': el.created });
      groups.set(id, g);
    }
    g.dataset.cursor = el.cursor;
    const t = placement(el);
    if (t) g.setAttribute('transform', t);
    g.replaceChildren(...draw(el, elements));
    g.toggleAttribute('data-detached', el.type === 'Line' && !g.firstChild);
    if (g.dataset.z !== String(el.zIndex ?? 0) || !g.parentNode) {
      g.dataset.z = el.zIndex ?? 0;
      stack(g);
    }
    fitText(g);
  }

  /** The lines with an end or a control point on element `id`. */
  const anchoredTo = (id) =>
    [...elements.values()].filter(
      (el) => el.type === 'Line' && [el.start, el.end, ...(el.controlPoints ?? [])].some((p) => p?.id === id),
    );

  return {
    command(cmd) {
      applyCommand(elements, cmd);
      const id = cmd.element?.id ?? cmd.elementId;
      if (cmd.__typename === 'CreateElementCommand') elements.get(id).created = Number(cmd.cursor);
      if (id) {
        redraw(id);
        for (const line of anchoredTo(id)) if (line.id !== id) redraw(line.id);
      }
      count.textContent = `${elements.size} elements, last cursor ${cmd.cursor}`;
      refit();
    },
  };
}
