// Rendering shared by the sample apps: a workspace's elements as a list, and a status line.
import { applyCommand } from './live.js';

export const $ = (selector) => document.querySelector(selector);

/** Build an element with text content (never innerHTML: element text comes from other users). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  for (const c of children) el.append(c);
  return el;
}

function label(el) {
  return el.text ?? el.name ?? '';
}

/** A list view of one workspace's elements, kept current by `command(cmd)`. */
export function elementList(container) {
  const elements = new Map();
  const list = h('ul', { id: 'elements' });
  const count = h('p', { id: 'element-count', class: 'muted' });
  container.replaceChildren(count, list);
  return {
    command(cmd) {
      applyCommand(elements, cmd);
      list.replaceChildren(
        ...[...elements.values()].map((el) =>
          h('li', { 'data-id': el.id, 'data-cursor': el.cursor }, h('span', { class: 'type' }, el.type), ' ', label(el)),
        ),
      );
      count.textContent = `${elements.size} elements, last cursor ${cmd.cursor}`;
    },
  };
}

export function setStatus(text, kind = '') {
  const el = $('#status');
  el.textContent = text;
  el.className = kind;
}
