// The README's performance chart, drawn from a bench:compare result: samples/s per workload
// and system on a log axis. A template of a few dozen SVG elements; a charting library
// (vega, chart.js + canvas) would add a large dependency tree for 16 bars.
const SYSTEMS = [
  { key: 'gradloop', label: 'gradloop', color: '#2563eb' },
  { key: 'pytorch', label: 'PyTorch (CPU)', color: '#ee4c2c' },
  { key: 'tfjs-wasm', label: 'TF.js wasm', color: '#f59e0b' },
  { key: 'tfjs-cpu', label: 'TF.js cpu', color: '#9ca3af' },
];

interface Result {
  host: string;
  cpu: string;
  date: string;
  summary: Record<string, unknown>[];
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderChart(result: Result): string {
  const left = 70, right = 40, top = 56, bar = 14, gap = 3, groupGap = 18, width = 760;
  const plotWidth = width - left - right;
  const values = result.summary.flatMap((row) => SYSTEMS.map((s) => (row[s.key] as { median?: number } | undefined)?.median ?? 0)).filter((v) => v > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values)))), hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values))));
  const x = (v: number) => left + (plotWidth * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const groupHeight = SYSTEMS.length * (bar + gap) + groupGap;
  const height = top + result.summary.length * groupHeight + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="bold">Training throughput, samples/s (log scale, higher is better)</text>`,
    `<text x="${left}" y="40" fill="#555">${escape(`${result.cpu}, ${result.date.slice(0, 10)}; median of interleaved runs`)}</text>`,
  ];
  for (let decade = lo; decade <= hi; decade *= 10) {
    out.push(`<line x1="${x(decade)}" y1="${top - 6}" x2="${x(decade)}" y2="${height - 34}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${x(decade)}" y="${height - 20}" text-anchor="middle" fill="#555">${decade.toLocaleString('en-US')}</text>`);
  }
  result.summary.forEach((row, g) => {
    const y0 = top + g * groupHeight;
    out.push(`<text x="${left - 10}" y="${y0 + (SYSTEMS.length * (bar + gap)) / 2 + 4}" text-anchor="end" font-weight="bold">${escape(String(row.workload))}</text>`);
    SYSTEMS.forEach((s, i) => {
      const v = (row[s.key] as { median?: number } | undefined)?.median;
      if (!v) return;
      const y = y0 + i * (bar + gap);
      out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(v) - left).toFixed(1)}" height="${bar}" fill="${s.color}"/>`);
      out.push(`<text x="${(x(v) + 4).toFixed(1)}" y="${y + bar - 3}" fill="#111">${v.toLocaleString('en-US')}</text>`);
    });
  });
  SYSTEMS.forEach((s, i) => {
    const lx = width - right - 130, ly = top + i * 18 - 4;
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${s.color}"/><text x="${lx + 18}" y="${ly + 10}">${s.label}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
