// A History as a page of charts: loss, accuracy, the other metrics, learning rate and gradient norm per epoch,
// training solid and validation dashed, as TensorBoard's scalars and Keras' plotted history.
import type { History } from '../train/history.js';
import { type ChartSpec, escapeXml, FONT, lineChart } from './chart.js';

const TRAIN = '#1f77b4', VAL = '#ff7f0e', EXTRA = '#2ca02c';

/** The charts a history has data for, in display order. */
export function historyCharts(history: History): ChartSpec[] {
  const h = history.history;
  const x = history.epoch.map((e) => e + 1);
  const charts: ChartSpec[] = [];
  const pair = (title: string, yLabel: string, train: string, val: string) => {
    const series = [];
    if (h[train]) series.push({ name: train, values: h[train], color: TRAIN });
    if (h[val]) series.push({ name: val, values: h[val], color: VAL, dashed: true });
    if (series.length) charts.push({ title, xLabel: 'epoch', yLabel, x, series });
  };
  pair('Loss', 'loss', 'loss', 'valLoss');
  pair('Accuracy', 'accuracy', 'accuracy', 'valAccuracy');
  // Every other metric (precision, auc, r2, an output's label_loss, ...), each with its validation
  // values (valAuc, val_label_loss), in the order fit recorded them; at most 8 charts more.
  const shown = new Set(['loss', 'accuracy', 'learningRate', 'gradNorm', 'gradNormMax']);
  const valKey = (k: string) => (k.includes('_') ? `val_${k}` : `val${k[0].toUpperCase()}${k.slice(1)}`);
  const others = Object.keys(h).filter((k) => !shown.has(k) && !/^val[A-Z_]/.test(k));
  for (const k of others.slice(0, 8)) pair(k, k, k, valKey(k));
  const spans = (values: number[]) => {
    const pos = values.filter((v) => v > 0);
    return pos.length > 0 && Math.max(...pos) / Math.min(...pos) >= 20;
  };
  if (h.learningRate)
    charts.push({ title: 'Learning rate', xLabel: 'epoch', yLabel: 'learning rate', x, series: [{ name: 'learningRate', values: h.learningRate, color: EXTRA }], logY: spans(h.learningRate) });
  if (h.gradNorm) {
    const series = [{ name: 'gradNorm', values: h.gradNorm, color: TRAIN }];
    if (h.gradNormMax) series.push({ name: 'gradNormMax', values: h.gradNormMax, color: VAL, dashed: true } as never);
    charts.push({ title: 'Gradient norm (global, before clipping)', xLabel: 'epoch', yLabel: 'L2 norm', x, series, logY: spans([...h.gradNorm, ...(h.gradNormMax ?? [])]) });
  }
  return charts;
}

export const CHART_W = 460, CHART_H = 300;

/** A standalone SVG document: the charts on a grid, two per row, under a title. */
export function curvesSvg(history: History, title = 'Training curves'): string {
  if (history.epoch.length === 0) throw new Error('plotHistory: the history has no epochs to plot (did fit() run?)');
  const charts = historyCharts(history);
  const cols = Math.min(2, charts.length);
  const rows = Math.ceil(charts.length / cols);
  const top = 44;
  const width = cols * CHART_W, height = top + rows * CHART_H;
  const body = charts.map((c, i) => `<g transform="translate(${(i % cols) * CHART_W} ${top + Math.floor(i / cols) * CHART_H})">${lineChart(c, CHART_W, CHART_H)}</g>`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<text x="${width / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">${escapeXml(title)}</text>` +
    body.join('') +
    '</svg>\n'
  );
}
