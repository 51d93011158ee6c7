// model.summary(): a Keras-style table.
import { shapeString } from '../validate.js';

export interface SummaryRow {
  name: string;
  type: string;
  outputShape: number[];
  params: number;
  /** Those of params that do not train: all of a frozen layer's, batch normalization's moving statistics. */
  nonTrainableParams?: number;
  /** Graph models: what each use of the layer reads ("Connected to"). */
  connectedTo?: string;
}

export function formatSummary(modelName: string, rows: SummaryRow[]): string {
  const graph = rows.some((r) => r.connectedTo !== undefined);
  const cells = rows.map((r) => [`${r.name} (${r.type})`, shapeString([null, ...r.outputShape]), r.params.toLocaleString('en-US'), ...(graph ? [r.connectedTo ?? ''] : [])]);
  const header = ['Layer (type)', 'Output shape', 'Param #', ...(graph ? ['Connected to'] : [])];
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)) + 2);
  const line = (row: string[]) => row.map((cell, c) => (c === 2 ? cell.padStart(widths[c]) + '  ' : cell.padEnd(widths[c]))).join('').trimEnd();
  const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0));
  const total = rows.reduce((n, r) => n + r.params, 0);
  const frozen = rows.reduce((n, r) => n + (r.nonTrainableParams ?? 0), 0);
  return [
    `Model: "${modelName}"`,
    rule('_'),
    line(header),
    rule('='),
    ...cells.map(line),
    rule('='),
    `Total params: ${total.toLocaleString('en-US')}`,
    `Trainable params: ${(total - frozen).toLocaleString('en-US')}`,
    `Non-trainable params: ${frozen.toLocaleString('en-US')}`,
    rule('_'),
  ].join('\n');
}
