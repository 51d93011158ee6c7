// A confusion matrix as an SVG picture: true class down, predicted class across, each cell shaded by
// its share of its row (so a rare class reads as clearly as a common one) and labelled with its count.
import { escapeXml as esc, FONT } from './chart.js';

const CELL_MAX = 56;
const CELL_MIN = 14;

/** `matrix[i][j]`: samples of true class i predicted as j. `names`: the classes' names (default 0, 1, ...). */
export function confusionMatrixSvg(matrix: number[][], title: string, names?: string[]): string {
  const n = matrix.length;
  const label = (i: number) => names?.[i] ?? String(i);
  const cell = Math.max(CELL_MIN, Math.min(CELL_MAX, Math.floor(560 / Math.max(n, 1))));
  const showCounts = cell >= 24;
  const labelWidth = Math.min(140, 12 + 7 * Math.max(...Array.from({ length: n }, (_, i) => label(i).length), 4));
  const left = labelWidth + 22, top = 52, size = n * cell;
  const width = left + size + 16, height = top + size + 44;
  const parts: string[] = [
    `<text x="${left + size / 2}" y="18" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>`,
    `<text x="${left + size / 2}" y="38" text-anchor="middle" font-size="12" fill="#555">predicted class</text>`,
    `<text transform="translate(12 ${top + size / 2}) rotate(-90)" text-anchor="middle" font-size="12" fill="#555">true class</text>`,
  ];
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const share = total > 0 ? count / total : 0;
      // White to blue for the diagonal (right), white to red elsewhere (mistakes, on a square-root
      // scale so that a 5% confusion still shows).
      const shade = Math.round(255 * (1 - 0.85 * (i === j ? share : Math.sqrt(share))));
      const fill = i === j ? `rgb(${shade},${Math.round(255 - 0.5 * (255 - shade))},255)` : `rgb(255,${shade},${shade})`;
      const x = left + j * cell, y = top + i * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#fff"><title>true ${esc(label(i))}, predicted ${esc(label(j))}: ${count} (${(share * 100).toFixed(1)}% of the row)</title></rect>`);
      if (showCounts)
        parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="${cell >= 40 ? 12 : 10}" fill="${(i === j ? share : Math.sqrt(share)) > 0.6 ? '#fff' : '#222'}">${Number.isInteger(count) ? count : count.toFixed(1)}</text>`);
    });
    parts.push(`<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" font-size="11">${esc(label(i))}</text>`);
  });
  for (let j = 0; j < n; j++)
    parts.push(`<text x="${left + j * cell + cell / 2}" y="${top + size + 14}" text-anchor="middle" font-size="11">${esc(label(j))}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">${parts.join('')}</svg>`;
}
