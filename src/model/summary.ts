// model.summary(): a Keras-style table.
import { shapeString } from '../validate.js';

export interface SummaryRow {
  name: string;
  type: string;
  outputShape: number[];
  params: number;
}

export function formatSummary(modelName: string, rows: SummaryRow[]): string {
  const cells = rows.map((r) => [`${r.name} (${r.type})`, shapeString([null, ...r.outputShape]), r.params.toLocaleString('en-US')]);
  const header = ['Layer (type)', 'Output shape', 'Param #'];
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)) + 2);
  const line = (row: string[]) => row.map((cell, c) => (c === 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('').trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0));
  const total = rows.reduce((n, r) => n + r.params, 0);
  return [
    `Model: "${modelName}"`,
    rule('_'),
    line(header),
    rule('='),
    ...cells.map(line),
    rule('='),
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${total.toLocaleString('en-US')}`,
    `Non-trainable params: 0`,
    rule('_'),
  ].join('\n');
}
