/**
 * The interactive graph view: Graphviz (compiled to WebAssembly, bundled) lays out the DOT
 * from `graphModel.toDot`; the view adds pan and zoom, search, click-for-details, collapsible
 * clusters and the before/after toggle.
 */
import { codeBlock, el, errorBox, note } from './dom';
import {
  IViewState,
  LARGE_GRAPH,
  MAX_LAYOUT_NODES,
  Mode,
  PATTERN_COLORS,
  PATTERN_NAMES,
  bodyFor,
  changeSummary,
  clustersHiding,
  defaultCollapsed,
  details,
  opHistogram,
  searchNodes,
  toDot
} from './graphModel';
import { IGraphPayload } from './types';

type Viz = { renderSVGElement(dot: string): SVGSVGElement };
/** Pixels per graph unit below which text is too small to read: the view opens zoomed in instead. */
const READABLE = 0.75;
let vizPromise: Promise<Viz> | null = null;

function viz(): Promise<Viz> {
  if (!vizPromise) {
    vizPromise = import('@viz-js/viz').then(m => m.instance() as Promise<Viz>);
  }
  return vizPromise;
}

interface IBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Renders a graph payload into ``host`` and keeps it interactive. */
export class GraphView {
  readonly node: HTMLElement;
  private state: IViewState;
  private canvas: HTMLElement;
  private side: HTMLElement;
  private info: HTMLElement;
  private count: HTMLElement;
  private svg: SVGSVGElement | null = null;
  private box: IBox = { x: 0, y: 0, w: 1, h: 1 };
  private home: IBox = { x: 0, y: 0, w: 1, h: 1 };
  private search = '';
  private matchList: string[] = [];
  private matchAt = -1;
  private needsView = false;

  constructor(private payload: IGraphPayload) {
    this.state = { mode: 'after', collapsed: defaultCollapsed(payload), selected: null, matches: new Set() };
    this.canvas = el('div', { class: 'wb-graph-canvas', tabindex: 0 });
    this.side = el('div', { class: 'wb-graph-details' }, el('div', { class: 'wb-muted' }, 'Click a node or a group for its details.'));
    this.info = el('div', { class: 'wb-graph-info' });
    this.count = el('span', { class: 'wb-muted wb-search-count' });
    this.node = el('div', { class: 'wb-graph' }, this.toolbar(), this.info, el('div', { class: 'wb-graph-main' }, this.canvas, this.side), this.legend());
    this.wirePanZoom();
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => {
        if (this.needsView && this.canvas.clientWidth > 0) {
          this.needsView = false;
          this.initialView();
        }
      }).observe(this.canvas);
    }
  }

  private toolbar(): HTMLElement {
    const search = el('input', {
      class: 'wb-search',
      type: 'search',
      placeholder: 'search op or name (Enter: next)',
      'aria-label': 'search nodes by op or name'
    });
    search.addEventListener('input', () => this.setSearch(search.value));
    search.addEventListener('keydown', (e: KeyboardEvent) => {
      if (e.key === 'Enter') {
        this.nextMatch();
      }
    });
    const bar = el(
      'div',
      { class: 'wb-toolbar' },
      el('span', { class: 'wb-title' }, this.payload.title || 'graph'),
      search,
      this.count,
      el('button', { class: 'wb-btn', title: 'fit the graph to the view', onclick: () => this.fit() }, 'Fit'),
      el('button', { class: 'wb-btn', title: 'zoom in', onclick: () => this.zoom(1 / 1.3) }, '+'),
      el('button', { class: 'wb-btn', title: 'zoom out', onclick: () => this.zoom(1.3) }, '−'),
      el('button', { class: 'wb-btn', title: 'collapse every group', onclick: () => this.setCollapsed(true) }, 'Collapse all'),
      el('button', { class: 'wb-btn', title: 'expand every group', onclick: () => this.setCollapsed(false) }, 'Expand all')
    );
    if (this.payload.changes) {
      const mk = (mode: Mode, label: string) => {
        const b = el('button', { class: 'wb-btn wb-mode', 'data-mode': mode, onclick: () => this.setMode(mode) }, label);
        return b;
      };
      bar.append(
        el('span', { class: 'wb-seg' }, mk('before', 'Before'), mk('after', 'After')),
        el('span', { class: 'wb-changes' }, changeSummary(this.payload))
      );
    }
    return bar;
  }

  private legend(): HTMLElement {
    const body = bodyFor(this.payload, this.state.mode);
    const used = new Set(body.nodes.map(n => n.pattern));
    const items = Object.keys(PATTERN_NAMES)
      .filter(p => used.has(p))
      .map(p => el('span', { class: 'wb-legend-item' }, el('span', { class: 'wb-swatch', style: `background:${PATTERN_COLORS[p]}` }), PATTERN_NAMES[p]));
    if (this.payload.changes) {
      items.push(el('span', { class: 'wb-legend-item' }, el('span', { class: 'wb-swatch wb-swatch-added' }), 'added by the pass'));
      items.push(el('span', { class: 'wb-legend-item' }, el('span', { class: 'wb-swatch wb-swatch-removed' }), 'removed (Before)'));
    }
    return el('div', { class: 'wb-legend' }, ...items);
  }

  /** Lay out and draw the current state (also the first render). */
  async render(focus?: string): Promise<void> {
    const body = bodyFor(this.payload, this.state.mode);
    this.node.querySelectorAll('.wb-mode').forEach(b => b.classList.toggle('wb-active', (b as HTMLElement).dataset.mode === this.state.mode));
    const { dot, count } = toDot(this.payload, this.state);
    const groups = body.clusters.length;
    this.info.replaceChildren();
    if (body.nodes.length > LARGE_GRAPH && groups && this.state.collapsed.size) {
      this.info.append(
        note(`${body.nodes.length} nodes in ${groups} groups: groups start collapsed to keep the graph readable; click one to expand it, or search.`)
      );
    }
    if (count > MAX_LAYOUT_NODES) {
      const hist = opHistogram(body).slice(0, 12).map(([op, k]) => `${op} × ${k}`).join(', ');
      this.canvas.replaceChildren(
        errorBox(
          `Graph too large to lay out (${count} boxes to draw, limit ${MAX_LAYOUT_NODES})`,
          `It has ${body.nodes.length} nodes and ${groups} groups. Collapse groups ("Collapse all"), or show a part of the model ` +
            '(e.g. one block) from Python.',
          `most frequent ops: ${hist}`
        )
      );
      this.svg = null;
      return;
    }
    let svg: SVGSVGElement;
    try {
      svg = (await viz()).renderSVGElement(dot);
    } catch (e) {
      this.canvas.replaceChildren(errorBox('Graphviz could not lay out this graph', String((e as Error).message ?? e)));
      this.svg = null;
      return;
    }
    const vb = svg.viewBox.baseVal;
    this.home = { x: vb.x, y: vb.y, w: vb.width || 1, h: vb.height || 1 };
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    svg.classList.add('wb-graph-svg');
    const scale = this.scale();
    this.svg = svg;
    this.canvas.replaceChildren(svg);
    // an output rendered before it is on screen has no size yet: choose the view once it has one
    this.needsView = !this.canvas.clientWidth;
    this.initialView();
    if (focus && scale) {
      this.centerOn(focus, scale);
    }
    this.markSelection();
  }

  /** Pixels per graph unit now (null before anything is drawn). */
  private scale(): number | null {
    const m = this.svg?.getScreenCTM();
    return m && m.a > 0 ? m.a : null;
  }

  /** The whole graph when it is readable that way; else the top of it at a readable zoom. */
  private initialView(): void {
    const cw = this.canvas.clientWidth;
    const ch = this.canvas.clientHeight;
    const h = this.home;
    if (!cw || !ch || Math.min(cw / h.w, ch / h.h) >= READABLE) {
      this.fit();
      return;
    }
    const s = Math.min(1, Math.max(READABLE, cw / h.w));
    const w = cw / s;
    this.setBox({ x: h.x + h.w / 2 - w / 2, y: h.y, w, h: ch / s });
  }

  /** Centre the view on a drawn node or group at ``scale`` pixels per graph unit. */
  private centerOn(id: string, scale: number): void {
    const svg = this.svg;
    const g = svg?.querySelector(`[id="${CSS.escape(id)}"], [id="${CSS.escape('cluster_' + id)}"]`);
    const m = svg?.getScreenCTM();
    if (!svg || !g || !m) {
      return;
    }
    const r = g.getBoundingClientRect();
    const c = new DOMPoint(r.x + r.width / 2, r.y + r.height / 2).matrixTransform(m.inverse());
    const w = this.canvas.clientWidth / scale;
    const h = this.canvas.clientHeight / scale;
    this.setBox({ x: c.x - w / 2, y: c.y - h / 2, w, h });
  }

  private setMode(mode: Mode): void {
    if (mode === this.state.mode) {
      return;
    }
    this.state.mode = mode;
    this.state.collapsed = defaultCollapsed(bodyFor(this.payload, mode));
    this.select(null);
    this.setSearch(this.search, false);
    void this.render();
  }

  private setCollapsed(all: boolean): void {
    const body = bodyFor(this.payload, this.state.mode);
    this.state.collapsed = all ? new Set(body.clusters.map(c => c.id)) : new Set();
    void this.render();
  }

  private setSearch(text: string, redraw = true): void {
    this.search = text;
    const body = bodyFor(this.payload, this.state.mode);
    this.matchList = searchNodes(body, text);
    this.matchAt = -1;
    this.state.matches = new Set(this.matchList);
    for (const c of clustersHiding(body, this.matchList, this.state.collapsed)) {
      this.state.collapsed.delete(c);
    }
    this.count.textContent = text.trim() ? `${this.matchList.length} match${this.matchList.length === 1 ? '' : 'es'}` : '';
    if (redraw) {
      void this.render();
    }
  }

  private nextMatch(): void {
    if (!this.matchList.length || !this.svg) {
      return;
    }
    this.matchAt = (this.matchAt + 1) % this.matchList.length;
    const id = this.matchList[this.matchAt];
    this.select(id);
    this.centerOn(id, Math.max(this.scale() ?? 1, 1));
  }

  private select(id: string | null): void {
    this.state.selected = id;
    this.markSelection();
    const body = bodyFor(this.payload, this.state.mode);
    const d = id ? details(body, id) : null;
    if (!d) {
      this.side.replaceChildren(el('div', { class: 'wb-muted' }, 'Click a node or a group for its details.'));
      return;
    }
    const table = el('table', { class: 'wb-kv' });
    for (const [k, v] of d.rows) {
      table.append(el('tr', {}, el('th', {}, k), el('td', {}, v)));
    }
    const parts: HTMLElement[] = [el('div', { class: 'wb-details-title' }, d.title), table];
    const cluster = body.clusters.find(c => c.id === id);
    if (cluster) {
      const collapsed = this.state.collapsed.has(cluster.id);
      parts.push(
        el(
          'button',
          {
            class: 'wb-btn',
            onclick: () => {
              collapsed ? this.state.collapsed.delete(cluster.id) : this.state.collapsed.add(cluster.id);
              void this.render(cluster.id).then(() => this.select(cluster.id));
            }
          },
          collapsed ? 'Expand group' : 'Collapse group'
        )
      );
    }
    for (const c of d.code) {
      parts.push(el('div', { class: 'wb-details-sub' }, c.title));
      parts.push(c.note ? el('div', { class: 'wb-muted' }, c.note) : codeBlock(c.text, true, c.lang));
    }
    this.side.replaceChildren(...parts);
  }

  private markSelection(): void {
    if (!this.svg) {
      return;
    }
    this.svg.querySelectorAll('.wb-selected').forEach(e => e.classList.remove('wb-selected'));
    const id = this.state.selected;
    if (id) {
      const g = this.svg.querySelector(`[id="${CSS.escape(id)}"], [id="${CSS.escape('cluster_' + id)}"]`);
      g?.classList.add('wb-selected');
    }
  }

  private onClick(target: Element): void {
    const g = target.closest('g.node, g.cluster');
    if (!g || !this.svg?.contains(g)) {
      return;
    }
    const body = bodyFor(this.payload, this.state.mode);
    const id = g.id.startsWith('cluster_') ? g.id.slice('cluster_'.length) : g.id;
    const isCluster = body.clusters.some(c => c.id === id);
    if (isCluster && g.classList.contains('node')) {
      // a collapsed group: expand it in place
      this.state.collapsed.delete(id);
      void this.render(id).then(() => this.select(id));
    } else if (isCluster) {
      // an expanded group's frame or label: collapse it
      this.state.collapsed.add(id);
      void this.render(id).then(() => this.select(id));
    } else {
      this.select(id);
    }
  }

  private setBox(b: IBox): void {
    this.box = b;
    this.svg?.setAttribute('viewBox', `${b.x} ${b.y} ${b.w} ${b.h}`);
  }

  /** Show the whole graph (Graphviz's own bounding box). */
  fit(): void {
    this.setBox({ ...this.home });
  }

  private zoom(factor: number, cx?: number, cy?: number): void {
    const b = this.box;
    const x = cx ?? b.x + b.w / 2;
    const y = cy ?? b.y + b.h / 2;
    this.setBox({ x: x - (x - b.x) * factor, y: y - (y - b.y) * factor, w: b.w * factor, h: b.h * factor });
  }

  private toSvgPoint(e: MouseEvent): { x: number; y: number } | null {
    const m = this.svg?.getScreenCTM();
    if (!m) {
      return null;
    }
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  }

  private wirePanZoom(): void {
    let drag: { x: number; y: number; box: IBox; moved: boolean } | null = null;
    this.canvas.addEventListener(
      'wheel',
      (e: WheelEvent) => {
        if (!this.svg) {
          return;
        }
        e.preventDefault();
        const p = this.toSvgPoint(e);
        this.zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, p?.x, p?.y);
      },
      { passive: false }
    );
    this.canvas.addEventListener('pointerdown', (e: PointerEvent) => {
      if (e.button !== 0) {
        return;
      }
      drag = { x: e.clientX, y: e.clientY, box: { ...this.box }, moved: false };
    });
    this.canvas.addEventListener('pointermove', (e: PointerEvent) => {
      if (!drag || !this.svg) {
        return;
      }
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) {
        return;
      }
      if (!drag.moved) {
        this.canvas.setPointerCapture(e.pointerId);
      }
      drag.moved = true;
      const m = this.svg.getScreenCTM();
      const scale = m ? 1 / m.a : 1;
      this.setBox({ ...drag.box, x: drag.box.x - dx * scale, y: drag.box.y - dy * scale });
    });
    const end = (e: PointerEvent) => {
      if (drag && !drag.moved && e.type === 'pointerup') {
        this.onClick(e.target as Element);
      }
      drag = null;
    };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
  }
}
