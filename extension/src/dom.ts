/** Small DOM helpers shared by the views: element builder, error box, highlighted code. */
import { tokenize, tokenizeLLVM } from './loopnestModel';

type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

/** ``el('div', {class: 'x', onclick: f}, child, 'text')``. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) {
      continue;
    }
    if (typeof v === 'function') {
      e.addEventListener(k.replace(/^on/, ''), v as EventListener);
    } else if (k === 'class') {
      e.className = String(v);
    } else {
      e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children) {
    if (c !== null && c !== undefined) {
      e.append(c);
    }
  }
  return e;
}

/** A visible message box for data a view cannot show (never a blank output). */
export function errorBox(title: string, message: string, details?: string): HTMLElement {
  const box = el(
    'div',
    { class: 'wb-error', role: 'alert' },
    el('div', { class: 'wb-error-title' }, '⚠ ' + title),
    el('div', { class: 'wb-error-message' }, message)
  );
  if (details) {
    box.append(el('pre', { class: 'wb-error-details' }, details));
  }
  return box;
}

/** A note above a view (e.g. skipped lines, a collapsed large graph). */
export function note(text: string, kind: 'info' | 'warn' = 'info'): HTMLElement {
  return el('div', { class: `wb-note wb-note-${kind}` }, text);
}

/** Printed loop-nest, graph or LLVM IR text as a highlighted ``pre``, one span per line (``data-line``). */
export function codeBlock(text: string, lineNumbers = true, lang: 'tir' | 'llvm' = 'tir'): HTMLPreElement {
  const lex = lang === 'llvm' ? tokenizeLLVM : tokenize;
  const pre = el('pre', { class: 'wb-code' });
  text.split('\n').forEach((line, k) => {
    const row = el('span', { class: 'wb-code-line', 'data-line': k });
    if (lineNumbers) {
      row.append(el('span', { class: 'wb-code-ln' }, String(k + 1)));
    }
    for (const t of lex(line)) {
      row.append(t.cls ? el('span', { class: t.cls }, t.text) : t.text);
    }
    pre.append(row, '\n');
  });
  return pre;
}
