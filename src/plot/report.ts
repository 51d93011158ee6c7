// report.html: one self-contained page (inline CSS and SVG, no scripts, nothing fetched) with
// what a run produced: final metrics, the curves, the diagnosis, hyperparameters, the model
// summary and the ONNX verification report.
import type { History } from '../train/history.js';
import type { OnnxReport } from '../onnx/verify.js';
import { VERSION } from '../version.js';
import { type Metric, metricLabel } from '../metrics/metrics.js';
import { escapeXml as esc, FONT, lineChart } from './chart.js';
import { CHART_H, CHART_W, historyCharts } from './curves.js';
import { confusionMatrixSvg } from './confusion.js';

/** What a report shows besides the history; every part is optional. */
export interface ReportContext {
  title?: string;
  /** The trained model: its summary and compile settings go into the page. */
  model?: { name: string; summary(printFn?: (line: string) => void): string; compileConfig?: { loss: string; optimizer: { getConfig(): Record<string, unknown> }; metrics: Metric[]; weightedMetrics?: Metric[] } };
  /** Extra hyperparameters to list (fit options, data settings, ...). */
  hyperparameters?: Record<string, unknown>;
  /** Metrics measured after training, e.g. { testLoss, testAccuracy }. */
  evaluation?: Record<string, number>;
  /** Confusion matrices to draw (evaluate()'s confusionMatrices, e.g. on the test data), by title. */
  confusionMatrices?: Record<string, number[][]>;
  /** The classes' names for the matrices' axes (default 0, 1, ...). */
  classNames?: string[];
  /** verifyOnnx()'s report, with the file it checked. */
  onnx?: OnnxReport & { path?: string };
}

const fmt = (v: unknown): string => {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(3) : v.toFixed(4);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
};

const table = (rows: [string, unknown][]) =>
  `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(fmt(v))}</td></tr>`).join('')}</table>`;

export function reportHtml(history: History, context: ReportContext = {}): string {
  const title = context.title ?? `Training report${context.model ? `: ${context.model.name}` : ''}`;
  const last = Object.entries(history.history).map(([k, v]) => [k, v[v.length - 1]] as [string, number]);
  const charts = historyCharts(history)
    .map((c) => `<figure><svg xmlns="http://www.w3.org/2000/svg" width="${CHART_W}" height="${CHART_H}" viewBox="0 0 ${CHART_W} ${CHART_H}" font-family="${FONT}">${lineChart(c, CHART_W, CHART_H)}</svg></figure>`)
    .join('');

  const sections: string[] = [];
  sections.push(`<section id="metrics"><h2>Final metrics</h2>${table([
    [`epochs trained`, history.epoch.length],
    ...last.map(([k, v]) => [`${k} (last epoch)`, v] as [string, unknown]),
    ...Object.entries(context.evaluation ?? {}),
  ])}</section>`);
  sections.push(`<section id="curves"><h2>Curves</h2><div class="charts">${charts}</div></section>`);
  // The last epoch's matrices (compile's 'confusionMatrix' metric), then the caller's.
  const matrices = { ...(history.confusionMatrices ?? {}), ...(context.confusionMatrices ?? {}) };
  if (Object.keys(matrices).length)
    sections.push(`<section id="confusion"><h2>Confusion matrices</h2><div class="charts">${Object.entries(matrices)
      .map(([name, m]) => `<figure>${confusionMatrixSvg(m, name, context.classNames)}</figure>`).join('')}</div></section>`);

  const findings = history.diagnose();
  const notes = [...findings.map((f) => f.message), ...history.warnings.map((w) => `Warning: ${w.message}`)];
  sections.push(`<section id="diagnosis"><h2>Diagnosis</h2>${notes.length ? `<ul>${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '<p>No problems found in the curves.</p>'}</section>`);

  const hyper: [string, unknown][] = [];
  const compiled = context.model?.compileConfig;
  if (compiled) {
    hyper.push(['loss', compiled.loss], ['metrics', compiled.metrics.map(metricLabel).join(', ') || '-']);
    if (compiled.weightedMetrics?.length) hyper.push(['weighted metrics', compiled.weightedMetrics.map(metricLabel).join(', ')]);
    hyper.push(['optimizer', compiled.optimizer.getConfig()]);
  }
  for (const [k, v] of Object.entries(history.params)) hyper.push([k, v]);
  for (const [k, v] of Object.entries(context.hyperparameters ?? {})) hyper.push([k, v]);
  sections.push(`<section id="hyperparameters"><h2>Hyperparameters</h2>${table(hyper)}</section>`);

  if (context.model) sections.push(`<section id="model"><h2>Model</h2><pre>${esc(context.model.summary(() => {}))}</pre></section>`);

  if (context.onnx) {
    const r = context.onnx;
    sections.push(`<section id="onnx"><h2>ONNX export</h2><p class="${r.passed ? 'pass' : 'fail'}">${r.passed ? 'PASSED' : 'FAILED'}: onnxruntime's outputs match gradloop's on ${r.rows} samples</p>${table([
      ...(r.path ? [['file', r.path] as [string, unknown]] : []),
      ['opset', r.opset],
      ['operators', r.ops.join(', ')],
      ['max abs difference', r.maxAbsDiff],
      ['max rel difference', r.maxRelDiff],
      ['argmax agreement', `${(r.argmaxAgreement * 100).toFixed(2)}%`],
      ['tolerance', `atol ${r.atol}, rtol ${r.rtol}`],
    ])}</section>`);
  }

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body { font-family: ${FONT}; margin: 24px auto; max-width: 980px; color: #222; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 28px; }
.meta { color: #666; font-size: 13px; }
table { border-collapse: collapse; font-size: 14px; } th, td { text-align: left; padding: 4px 12px 4px 0; border-bottom: 1px solid #eee; vertical-align: top; }
th { font-weight: 600; color: #444; } td { font-family: DejaVu Sans Mono, Menlo, Consolas, monospace; word-break: break-all; }
.charts { display: flex; flex-wrap: wrap; gap: 8px; } figure { margin: 0; border: 1px solid #eee; }
pre { background: #f7f7f7; padding: 12px; overflow-x: auto; font-size: 13px; }
.pass { color: #1a7f37; font-weight: 600; } .fail { color: #cf222e; font-weight: 600; }
</style></head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">gradloop ${esc(VERSION)} · ${esc(new Date().toISOString().replace('T', ' ').slice(0, 19))} UTC</p>
${sections.join('\n')}
</body></html>
`;
}
