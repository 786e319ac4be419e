/**
 * workbench-extension: JupyterLab renderers for Workbench's JSON MIME types (graph, loop nest,
 * tuning) and a dashboard for tuning records files. The renderers are "safe" (they draw data,
 * run no code), so they work in a saved notebook opened without a kernel or trust.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { RECORDS_FACTORY, RECORDS_FILE_TYPE, RecordsWidgetFactory } from './dashboard';
import { errorBox } from './dom';
import { GraphView } from './graphView';
import { LoopNestView } from './loopnestView';
import { TuningView } from './tuningView';
import { GRAPH_MIME, LOOPNEST_MIME, TUNING_MIME } from './types';
import { PayloadError, checkGraph, checkLoopNest, checkTuning } from './validate';

/** Before HTML (50), SVG and text: Workbench's own view wins when the extension is installed. */
const RANK = 10;

interface IView {
  node: HTMLElement;
  render(): Promise<void>;
}

class WorkbenchRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(
    private mimeType: string,
    private what: string,
    private make: (data: unknown) => IView
  ) {
    super();
    this.addClass('wb-output');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[this.mimeType];
    let view: IView;
    try {
      view = this.make(data);
    } catch (e) {
      const known = e instanceof PayloadError;
      this.node.replaceChildren(
        errorBox(
          `Workbench ${this.what} view: this output cannot be shown`,
          known ? (e as Error).message : `unexpected error: ${String((e as Error)?.message ?? e)}`,
          known ? undefined : (e as Error)?.stack
        )
      );
      return;
    }
    this.node.replaceChildren(view.node);
    try {
      await view.render();
    } catch (e) {
      this.node.append(errorBox(`Workbench ${this.what} view failed while drawing`, String((e as Error)?.message ?? e)));
    }
  }
}

function factory(mimeType: string, what: string, make: (data: unknown) => IView): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [mimeType],
    defaultRank: RANK,
    createRenderer: () => new WorkbenchRenderer(mimeType, what, make)
  };
}

/** The three renderer factories (exported for tests and for other front ends). */
export const rendererFactories: IRenderMime.IRendererFactory[] = [
  factory(GRAPH_MIME, 'graph', d => new GraphView(checkGraph(d))),
  factory(LOOPNEST_MIME, 'loop nest', d => {
    const v = new LoopNestView(checkLoopNest(d));
    return { node: v.node, render: () => Promise.resolve() };
  }),
  factory(TUNING_MIME, 'tuning', d => new TuningView(checkTuning(d)))
];

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'workbench-extension:plugin',
  description: 'Interactive views of Workbench graphs, loop nests, tuning runs and records files.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  activate: (app: JupyterFrontEnd, rendermime: IRenderMimeRegistry) => {
    for (const f of rendererFactories) {
      rendermime.addFactory(f, RANK);
    }
    app.docRegistry.addFileType({
      name: RECORDS_FILE_TYPE,
      displayName: 'Workbench tuning records',
      extensions: ['.wbrecords.jsonl'],
      mimeTypes: ['application/jsonl'],
      fileFormat: 'text',
      contentType: 'file',
      iconClass: 'wb-records-icon'
    });
    app.docRegistry.addWidgetFactory(
      new RecordsWidgetFactory({
        name: RECORDS_FACTORY,
        label: 'Workbench Records',
        fileTypes: [RECORDS_FILE_TYPE, 'jsonl'],
        defaultFor: [RECORDS_FILE_TYPE],
        readOnly: true
      })
    );
  }
};

export default plugin;
