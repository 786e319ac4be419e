/**
 * The loop-nest view: a collapsible tree (loop kinds coloured, extents and stages on hover)
 * beside the highlighted printed nest; hovering a row highlights its line of text.
 */
import { codeBlock, el } from './dom';
import { KIND_COLORS, hoverText, loopKinds, rowLabel } from './loopnestModel';
import { ILoopNestPayload, ILoopNode } from './types';

export class LoopNestView {
  readonly node: HTMLElement;
  private text: HTMLPreElement;

  constructor(payload: ILoopNestPayload) {
    this.text = codeBlock(payload.text);
    const tree = el('div', { class: 'wb-ln-tree', role: 'tree' });
    this.rows(payload.tree, tree);
    if (!payload.tree.length) {
      tree.append(el('div', { class: 'wb-muted' }, '(empty loop nest)'));
    }
    const kinds = loopKinds(payload.tree);
    const legend = Object.keys(KIND_COLORS).map(k =>
      el('span', { class: `wb-kind-badge wb-kind-${k}`, title: `${kinds[k] ?? 0} ${k} loop(s)` }, `${k} ${kinds[k] ?? 0}`)
    );
    const header = el(
      'div',
      { class: 'wb-toolbar' },
      el('span', { class: 'wb-title' }, payload.name ? `${payload.name}(${payload.params.map(p => p.name).join(', ')})` : 'loop nest'),
      ...legend,
      el('button', { class: 'wb-btn', onclick: () => this.toggleAll(false) }, 'Expand all'),
      el('button', { class: 'wb-btn', onclick: () => this.toggleAll(true) }, 'Collapse all')
    );
    this.node = el('div', { class: 'wb-loopnest' }, header, el('div', { class: 'wb-ln-main' }, tree, el('div', { class: 'wb-ln-text' }, this.text)));
  }

  private rows(nodes: ILoopNode[], parent: HTMLElement): void {
    for (const n of nodes) {
      const kids = [...(n.children ?? []), ...(n.else_children ?? [])];
      const box = el('div', { class: 'wb-ln-node', role: 'treeitem' });
      const caret = el('span', { class: 'wb-caret' }, kids.length ? '▾' : '');
      const label = el('span', { class: `wb-ln-label wb-ln-${n.type}` });
      if (n.type === 'for') {
        label.append(el('span', { class: `wb-kind-badge wb-kind-${n.kind}` }, n.kind ?? ''));
      }
      label.append(rowLabel(n));
      const row = el('div', { class: 'wb-ln-row', title: hoverText(n), 'data-line': n.line }, caret, label);
      if (n.type === 'for' && n.stage) {
        row.append(el('span', { class: 'wb-ln-stage' }, n.stage));
      }
      const sub = el('div', { class: 'wb-ln-children' });
      if (kids.length) {
        caret.addEventListener('click', () => {
          const closed = box.classList.toggle('wb-closed');
          caret.textContent = closed ? '▸' : '▾';
        });
        this.rows(kids, sub);
      }
      row.addEventListener('mouseenter', () => this.mark(n.line, true));
      row.addEventListener('mouseleave', () => this.mark(n.line, false));
      box.append(row, sub);
      parent.append(box);
    }
  }

  private mark(line: number, on: boolean): void {
    const row = this.text.querySelector(`[data-line="${line}"]`);
    row?.classList.toggle('wb-line-hl', on);
    if (on) {
      (row as HTMLElement | null)?.scrollIntoView?.({ block: 'nearest' });
    }
  }

  private toggleAll(closed: boolean): void {
    this.node.querySelectorAll('.wb-ln-node').forEach(b => {
      const caret = b.querySelector(':scope > .wb-ln-row > .wb-caret');
      if (caret && caret.textContent) {
        b.classList.toggle('wb-closed', closed);
        caret.textContent = closed ? '▸' : '▾';
      }
    });
  }
}
