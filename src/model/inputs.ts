// Checks on the data handed to fit/evaluate/predict, done once per call in
// TypeScript so every problem is reported with the argument, row and column.
import type { LabelSpec, LossName } from './losses.js';

/** What the targets must be: one loss's labels, or for a model with several outputs each one's (packed side by side into `labels`). */
export interface TargetSpec {
  loss: LossName;
  labels: LabelSpec;
  heads?: { name: string; loss: LossName; labels: LabelSpec }[];
}

/** What fit and evaluate take as y: a tensor, or for several outputs an array in output order or an object by output name. */
export type TargetData = Tensor | Tensor[] | Record<string, Tensor>;
import { Tensor } from '../tensor.js';
import { sameShape, shapeString } from '../validate.js';

export interface ModelInput {
  shape: number[];
  dtype: 'float32' | 'int32';
  /** When the input feeds an embedding: ids must lie in [0, vocab). */
  vocab?: { size: number; layer: string };
  /**
   * A model with several inputs: each one's name, shape and type. The data are checked one input
   * at a time, then packed side by side into rows of `shape` 4-byte values (int32 ids as their
   * bits), one native data set whose rows a step gathers in one copy.
   */
  parts?: (ModelInput & { name: string })[];
}

/** What fit, evaluate and predict take as x: a tensor, or for a model with several inputs an array of tensors in input order, or an object by input name. */
export type InputData = Tensor | Tensor[] | Record<string, Tensor>;

/** Number of samples in a checked tensor. */
export const rowsOf = (t: Tensor): number => t.shape[0];

export function checkFeatures(x: unknown, argument: string, input: ModelInput): Tensor {
  if (input.parts) return packInputs(x, argument, input.parts);
  if (Array.isArray(x) && x.length === 1) x = x[0]; // [x] for a one-input model, as Keras accepts
  if (!(x instanceof Tensor)) throw new TypeError(`${argument} must be a Tensor; create one with tensor(data, shape)`);
  if (x.rank < 1 || x.shape[0] === 0) throw new RangeError(`${argument}: the data set is empty (shape ${shapeString(x.shape)})`);
  if (!sameShape(x.shape.slice(1), input.shape))
    throw new TypeError(
      `${argument}: each sample has shape ${shapeString(x.shape.slice(1))} but the model expects ${shapeString(input.shape)} ` +
        `(x should be ${shapeString([null, ...input.shape])})`,
    );
  if (x.dtype !== input.dtype)
    throw new TypeError(
      `${argument}: the model expects ${input.dtype} inputs, got ${x.dtype}` +
        (input.dtype === 'int32' ? "; token ids go in tensor(ids, shape, 'int32')" : ''),
    );
  if (x.dtype === 'float32') checkFinite(x, argument);
  if (input.vocab) {
    const { size, layer } = input.vocab;
    const per = x.size / x.shape[0];
    const d = x.data;
    for (let i = 0; i < d.length; i++)
      if (d[i] < 0 || d[i] >= size)
        throw new RangeError(
          `${argument}: token id ${d[i]} at sample ${Math.floor(i / per)} is outside [0, ${size}) of layer '${layer}'; raise its inputDim or fix the ids`,
        );
  }
  return x;
}

export function checkFinite(t: Tensor, argument: string): void {
  const d = t.data;
  const per = t.shape[0] ? d.length / t.shape[0] : 1;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (v - v !== 0) {
      // NaN - NaN and Inf - Inf are NaN; only finite values give 0.
      throw new RangeError(
        `${argument}: ${v} at sample ${Math.floor(i / per)}, position ${i % per}; inputs must be finite (remove or impute NaN/Infinity first)`,
      );
    }
  }
}

export function checkLabels(y: unknown, argument: string, rows: number, loss: LossName, spec: LabelSpec, xArgument = 'x'): Tensor {
  if (!(y instanceof Tensor)) throw new TypeError(`${argument} must be a Tensor; create one with tensor(data, shape${spec.dtype === 'int32' ? ", 'int32'" : ''})`);
  if (y.rank < 1 || y.shape[0] !== rows)
    throw new TypeError(`${xArgument} has ${rows} samples but ${argument} has ${y.rank < 1 ? 0 : y.shape[0]}; they must match row for row`);
  const per = y.size / rows;
  if (spec.dtype === 'int32') {
    if (y.dtype !== 'int32')
      throw new TypeError(`${argument}: loss '${loss}' expects int32 class indices; create the labels with tensor(labels, [n], 'int32')`);
    const positions = spec.positions ?? [];
    if (per !== spec.elements)
      throw new TypeError(positions.length
        ? `${argument}: loss '${loss}' over a sequence output expects a class index per position (shape [n, ${positions.join(', ')}]), got ${shapeString(y.shape)}`
        : `${argument}: loss '${loss}' expects one class index per sample (shape [n]), got ${shapeString(y.shape)}`);
    const classes = spec.classes!;
    for (let i = 0; i < y.size; i++)
      if ((y.data[i] < 0 || y.data[i] >= classes) && y.data[i] !== spec.ignoreIndex)
        throw new RangeError(`${argument}: label ${y.data[i]} at sample ${Math.floor(i / per)}${per > 1 ? `, position ${i % per}` : ''} is outside [0, ${classes}) for the model's ${classes} output classes${spec.ignoreIndex !== undefined ? ` (nor the ignoreIndex ${spec.ignoreIndex})` : ''}`);
    return y;
  }
  if (y.dtype !== 'float32') throw new TypeError(`${argument}: loss '${loss}' expects float32 targets, got ${y.dtype}`);
  if (per !== spec.elements)
    throw new TypeError(`${argument}: loss '${loss}' expects ${spec.elements} target value(s) per sample to match the model output, got ${per} (shape ${shapeString(y.shape)})`);
  checkFinite(y, argument);
  if (loss === 'binaryCrossEntropy')
    for (let i = 0; i < y.size; i++)
      if (y.data[i] < 0 || y.data[i] > 1)
        throw new RangeError(`${argument}: binaryCrossEntropy targets must lie in [0, 1], got ${y.data[i]} at sample ${Math.floor(i / per)}`);
  return y;
}

/** The given rows of a tensor, copied in that order. */
export function takeRows(t: Tensor, rows: Int32Array): Tensor {
  const per = t.size / t.shape[0];
  const out = t.dtype === 'int32' ? new Int32Array(rows.length * per) : new Float32Array(rows.length * per);
  rows.forEach((r, i) => out.set(t.data.subarray(r * per, (r + 1) * per), i * per));
  return new Tensor(out, [rows.length, ...t.shape.slice(1)], t.dtype);
}

/** Rows [start, end) of a tensor, sharing its memory. */
export function sliceRows(t: Tensor, start: number, end: number): Tensor {
  const per = t.size / t.shape[0];
  return new Tensor(t.data.subarray(start * per, end * per), [end - start, ...t.shape.slice(1)], t.dtype);
}

/**
 * Data for several named parts (a model's inputs, or its outputs' targets), given as an array in
 * their order or an object by name: the values in order, each with the argument name its errors use.
 */
function byOrderOrName(value: unknown, argument: string, names: string[], what: { plural: string; pass: string; noData: string }): { value: unknown; where: string }[] {
  const list = names.join(', ');
  if (value instanceof Tensor || typeof value !== 'object' || value === null)
    throw new TypeError(`${argument}: the model has ${names.length} ${what.plural} (${list}); pass ${what.pass} as an array in that order, or an object { ${list} }`);
  if (Array.isArray(value)) {
    if (value.length !== names.length) throw new TypeError(`${argument}: the model has ${names.length} ${what.plural} (${list}), got an array of ${value.length}`);
    return value.map((v, k) => ({ value: v, where: `${argument}[${k}] (${what.plural.slice(0, -1)} '${names[k]}')` }));
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((k) => !names.includes(k));
  if (unknown.length) throw new TypeError(`${argument}: the model has no ${what.plural.slice(0, -1)} named ${unknown.map((k) => `'${k}'`).join(', ')}; its ${what.plural} are ${list}`);
  const missing = names.filter((n) => record[n] === undefined);
  if (missing.length) throw new TypeError(`${argument}: no ${what.noData} for ${what.plural.slice(0, -1)} ${missing.map((n) => `'${n}'`).join(', ')}; the model's ${what.plural} are ${list}`);
  return names.map((n) => ({ value: record[n], where: `${argument}.${n}` }));
}

/** Checked tensors of `rows` rows side by side, row by row, as 4-byte words (int32 values as their bits). */
function packRows(tensors: Tensor[], rows: number): Tensor {
  const widths = tensors.map((t) => t.size / rows);
  const total = widths.reduce((a, b) => a + b, 0);
  const buffer = new ArrayBuffer(rows * total * 4);
  const floats = new Float32Array(buffer), ints = new Int32Array(buffer);
  let offset = 0;
  tensors.forEach((t, k) => {
    const w = widths[k], target = t.dtype === 'int32' ? ints : floats;
    for (let r = 0; r < rows; r++) target.set(t.data.subarray(r * w, (r + 1) * w), r * total + offset);
    offset += w;
  });
  return new Tensor(floats, [rows, total], 'float32');
}

/** Several inputs, checked each against its part, then packed side by side row by row. */
function packInputs(x: unknown, argument: string, parts: NonNullable<ModelInput['parts']>): Tensor {
  const items = byOrderOrName(x, argument, parts.map((p) => p.name), { plural: 'inputs', pass: 'their tensors', noData: 'data' });
  const tensors = items.map((item, k) => checkFeatures(item.value, item.where, { ...parts[k], parts: undefined }));
  const rows = rowsOf(tensors[0]);
  tensors.forEach((t, k) => {
    if (rowsOf(t) !== rows) throw new TypeError(`${argument}: input '${parts[0].name}' has ${rows} samples but '${parts[k].name}' has ${rowsOf(t)}; they must match row for row`);
  });
  return packRows(tensors, rows);
}

/**
 * The targets, checked: one loss's labels as checkLabels checks them, or for several outputs each
 * against its loss, then packed side by side row by row (int32 class ids as their bits) into the
 * one label tensor the native data set holds.
 */
export function checkTargets(y: unknown, argument: string, rows: number, spec: TargetSpec, xArgument = 'x'): Tensor {
  if (!spec.heads) return checkLabels(Array.isArray(y) && y.length === 1 ? y[0] : y, argument, rows, spec.loss, spec.labels, xArgument);
  const heads = spec.heads;
  const items = byOrderOrName(y, argument, heads.map((h) => h.name), { plural: 'outputs', pass: 'their targets', noData: 'targets' });
  return packRows(items.map((item, k) => checkLabels(item.value, item.where, rows, heads[k].loss, heads[k].labels, xArgument)), rows);
}
