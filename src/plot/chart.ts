// A line chart as SVG markup: axes with "nice" ticks (1, 2, 5 x 10^k, as matplotlib's
// MaxNLocator and d3's ticks), an optional log-scaled y axis, a legend and a title. SVG is
// text, so the same markup goes inline into report.html and through resvg into PNG.

export interface Series {
  name: string;
  /** One value per x position; NaN/undefined leave a gap. */
  values: ArrayLike<number>;
  color: string;
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  /** x value of each position (epochs, 1-based). */
  x: number[];
  series: Series[];
  logY?: boolean;
}

export const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";

export const escapeXml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return niceTicks(lo - pad, hi + pad, count);
  }
  const raw = (hi - lo) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const first = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let v = first; v < hi + step * 0.999; v += step) ticks.push(Number((Math.round(v / step) * step).toPrecision(12)));
  return ticks;
}

/** Powers of ten covering [lo, hi] (both > 0). */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) ticks.push(Math.pow(10, e));
  return ticks;
}

export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(6)));
}

/** The chart as an SVG <g> of the given size (its own coordinates start at 0, 0). */
export function lineChart(spec: ChartSpec, width: number, height: number): string {
  const margin = { left: 64, right: 16, top: 34, bottom: 44 };
  const legendH = 20 * Math.ceil(spec.series.length / 2);
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom - legendH;
  const finite = spec.series.flatMap((s) => Array.from(s.values).filter((v) => Number.isFinite(v) && (!spec.logY || v > 0)));
  const out: string[] = [];
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`);

  const xs = spec.x;
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), Math.min(8, xs.length)).filter((t) => Number.isInteger(t) && t >= xs[0] && t <= xs[xs.length - 1]);
  const xLo = xs[0], xHi = xs.length > 1 ? xs[xs.length - 1] : xs[0] + 1;
  const px = (v: number) => margin.left + (xs.length > 1 ? ((v - xLo) / (xHi - xLo)) * plotW : plotW / 2);

  let yTicks: number[];
  let py: (v: number) => number;
  if (finite.length === 0) {
    yTicks = [0, 1];
  } else if (spec.logY) {
    yTicks = logTicks(Math.min(...finite), Math.max(...finite));
  } else {
    yTicks = niceTicks(Math.min(...finite), Math.max(...finite));
  }
  const yLo = yTicks[0], yHi = yTicks[yTicks.length - 1];
  const t = (v: number) => (spec.logY ? Math.log10(v) : v);
  py = (v: number) => margin.top + plotH - ((t(v) - t(yLo)) / (t(yHi) - t(yLo) || 1)) * plotH;

  // Grid, ticks and labels.
  out.push(`<g class="axis y" font-size="11" fill="#333">`);
  for (const v of yTicks) {
    const y = py(v).toFixed(1);
    out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(v)}</text>`);
  }
  out.push(`</g><g class="axis x" font-size="11" fill="#333">`);
  for (const v of xTicks.length ? xTicks : xs) {
    const x = px(v).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${margin.top + plotH + 17}" text-anchor="middle">${formatTick(v)}</text>`);
  }
  out.push('</g>');
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 35}" text-anchor="middle" font-size="12">${escapeXml(spec.xLabel)}</text>`);
  out.push(
    `<text transform="translate(14 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(spec.yLabel)}${spec.logY ? ' (log)' : ''}</text>`,
  );

  // Series: a path through the finite points (gaps split it) and a marker per point.
  spec.series.forEach((s) => {
    const pieces: string[] = [];
    let pen = 'M';
    const dots: string[] = [];
    for (let i = 0; i < xs.length; i++) {
      const v = s.values[i];
      if (v === undefined || !Number.isFinite(v) || (spec.logY && v <= 0)) {
        pen = 'M';
        continue;
      }
      const x = px(xs[i]).toFixed(1), y = py(v).toFixed(1);
      pieces.push(`${pen}${x} ${y}`);
      pen = 'L';
      if (xs.length <= 40) dots.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${s.color}"/>`);
    }
    out.push(
      `<g class="series" data-series="${escapeXml(s.name)}" data-values="${Array.from(s.values, (v) => (Number.isFinite(v) ? v : 'NaN')).join(' ')}">` +
        `<path d="${pieces.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>${dots.join('')}</g>`,
    );
  });

  // Legend below the plot, two entries per row.
  const legendTop = margin.top + plotH + 44;
  spec.series.forEach((s, i) => {
    const x = margin.left + (i % 2) * (plotW / 2), y = legendTop + 20 * Math.floor(i / 2);
    out.push(
      `<g class="legend"><line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>` +
        `<text x="${x + 30}" y="${y}" dominant-baseline="middle" font-size="12">${escapeXml(s.name)}</text></g>`,
    );
  });
  return `<g class="chart" data-title="${escapeXml(spec.title)}">${out.join('')}</g>`;
}
