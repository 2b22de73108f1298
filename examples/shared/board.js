// The board: a workspace's elements drawn as SVG, kept current by `command(cmd)`, pannable
// (drag) and zoomable (wheel, + / − / fit). Each element is a <g data-id data-type data-cursor>;
// a command redraws only its element, and the lines anchored to it.
import { applyCommand } from './live.js';
import { draw, fitText, placement } from './draw.js';
import { h, svg } from './view.js';

const MIN_ZOOM = 0.02;
const MAX_ZOOM = 20;

/** The board inside `container`, of workspace `workspaceId` on the server at `apiBase` (where
 * icons' files are); with `readAsset(id)` (an `ASSET` query's element), images, documents and
 * videos show their previews once processed. Returns `{ command(cmd) }`. */
export function board(container, { apiBase, workspaceId, readAsset } = {}) {
  const env = { assetBase: apiBase };
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

  // Stacking: by zIndex, then by creation; what is attached to an element right above it, in
  // the same order among itself (its key is its surfaces' keys, then its own).
  function orderOf(el) {
    const key = [];
    const seen = new Set();
    for (let e = el; e && !seen.has(e.id); e = elements.get(e.surfaceId)) {
      seen.add(e.id);
      key.unshift(Number(e.zIndex ?? 0), Number(e.created ?? 0));
    }
    return key;
  }
  const before = (a, b) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i];
    return a.length < b.length;
  };
  function stack(g) {
    const key = JSON.parse(g.dataset.order);
    const next = [...layer.children].find((other) => other !== g && before(key, JSON.parse(other.dataset.order)));
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
    if (el.surfaceId) g.dataset.surface = el.surfaceId;
    else delete g.dataset.surface;
    const t = placement(el, elements);
    if (t) g.setAttribute('transform', t);
    g.replaceChildren(...draw(el, elements, env));
    g.toggleAttribute('data-detached', el.type === 'Line' && !g.firstChild);
    const order = JSON.stringify(orderOf(el));
    if (g.dataset.order !== order || !g.parentNode) {
      g.dataset.order = order;
      stack(g);
    }
    fitText(g);
  }

  /** Element `id` and everything attached to it, at any depth. */
  function withAttached(id) {
    const out = [id];
    for (let i = 0; i < out.length; i++) {
      for (const el of elements.values()) if (el.surfaceId === out[i] && !out.includes(el.id)) out.push(el.id);
    }
    return out;
  }

  /** The lines with an end or a control point on one of `ids`. */
  const anchoredTo = (ids) =>
    [...elements.values()].filter(
      (el) => el.type === 'Line' && [el.start, el.end, ...(el.controlPoints ?? [])].some((p) => ids.includes(p?.id)),
    );

  return {
    command(cmd) {
      applyCommand(elements, cmd, workspaceId);
      const id = cmd.element?.id ?? cmd.elementId;
      if (cmd.__typename === 'CreateElementCommand') elements.get(id).created = Number(cmd.cursor);
      if (cmd.__typename === 'UploadAssetCommand' && cmd.ingestionState === 'complete_success' && readAsset) {
        readAsset(id).then((found) => {
          const el = elements.get(id);
          if (!el || !found) return;
          Object.assign(el, { width: found.width, height: found.height, transform: found.transform, previewUrl: found.preview?.url ?? null });
          redraw(id);
          refit();
        }).catch(() => {});
      }
      if (id) {
        // Moving an element moves what is attached to it, and the lines anchored to any of them.
        const moved = withAttached(id);
        for (const each of moved) redraw(each);
        for (const line of anchoredTo(moved)) if (!moved.includes(line.id)) redraw(line.id);
      }
      count.textContent = `${elements.size} elements, last cursor ${cmd.cursor}`;
      refit();
    },
  };
}
