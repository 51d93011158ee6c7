// plotHistory(history, file): the training curves as SVG or PNG, or a full HTML report;
// the format follows the file's extension.
import { isMain } from '../distributed/index.js';
import path from 'node:path';
import type { History } from '../train/history.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { describe } from '../validate.js';
import { curvesSvg } from './curves.js';
import { svgToPng } from './png.js';
import { type ReportContext, reportHtml } from './report.js';

export type { ReportContext };

export interface PlotOptions extends ReportContext {
  /** PNG pixels per SVG unit (default 2, for sharp text on high-density screens). */
  scale?: number;
}

/**
 * Writes `history`'s curves to `file`: .svg (vector), .png (rendered by resvg) or .html (a
 * self-contained report with the curves, final metrics, hyperparameters, model summary and
 * ONNX check; pass them in options). Returns the bytes written.
 */
export async function plotHistory(history: History, file: string, options: PlotOptions = {}): Promise<Uint8Array> {
  if (!history || typeof history !== 'object' || !Array.isArray((history as History).epoch) || typeof (history as History).history !== 'object')
    throw new TypeError(`plotHistory: expected the History that fit() returns, got ${describe(history)}`);
  if (typeof file !== 'string') throw new TypeError(`plotHistory: file must be a path ending in .svg, .png or .html, got ${describe(file)}`);
  const ext = path.extname(file).toLowerCase();
  let bytes: Uint8Array;
  if (ext === '.svg') bytes = Buffer.from(curvesSvg(history, options.title));
  else if (ext === '.png') bytes = await svgToPng(curvesSvg(history, options.title), options.scale ?? 2);
  else if (ext === '.html' || ext === '.htm') {
    if (history.epoch.length === 0) throw new Error('plotHistory: the history has no epochs to plot (did fit() run?)');
    bytes = Buffer.from(reportHtml(history, options));
  } else throw new TypeError(`plotHistory: '${file}' must end in .svg, .png or .html`);
  if (isMain()) await writeFileAtomic(file, bytes, 'plotHistory'); // data parallel: rank 0 writes
  return bytes;
}
