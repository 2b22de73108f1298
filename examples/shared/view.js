// Small DOM helpers shared by the sample apps (the board itself is in board.js).

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

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes (numbers and strings, set as attributes, never as markup). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

export function setStatus(text, kind = '') {
  const el = $('#status');
  el.textContent = text;
  el.className = kind;
}
