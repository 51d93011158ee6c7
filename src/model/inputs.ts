// Checks on the data handed to fit/evaluate/predict, done once per call in
// TypeScript so every problem is reported with the argument, row and column.
import type { LabelSpec, LossName } from './losses.js';
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
    if (per !== 1) throw new TypeError(`${argument}: loss '${loss}' expects one class index per sample (shape [n]), got ${shapeString(y.shape)}`);
    const classes = spec.classes!;
    for (let i = 0; i < y.size; i++)
      if (y.data[i] < 0 || y.data[i] >= classes)
        throw new RangeError(`${argument}: label ${y.data[i]} at sample ${i} is outside [0, ${classes}) for the model's ${classes} output classes`);
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

/** Several inputs, checked each against its part, then packed side by side row by row. */
function packInputs(x: unknown, argument: string, parts: NonNullable<ModelInput['parts']>): Tensor {
  const names = parts.map((p) => p.name).join(', ');
  let list: unknown[];
  if (x instanceof Tensor || typeof x !== 'object' || x === null)
    throw new TypeError(`${argument}: the model has ${parts.length} inputs (${names}); pass an array of tensors in that order, or an object { ${names} }`);
  if (Array.isArray(x)) {
    if (x.length !== parts.length) throw new TypeError(`${argument}: the model has ${parts.length} inputs (${names}), got an array of ${x.length}`);
    list = x;
  } else {
    const record = x as Record<string, unknown>;
    const unknown = Object.keys(record).filter((k) => !parts.some((p) => p.name === k));
    if (unknown.length) throw new TypeError(`${argument}: the model has no input named ${unknown.map((k) => `'${k}'`).join(', ')}; its inputs are ${names}`);
    const missing = parts.filter((p) => record[p.name] === undefined);
    if (missing.length) throw new TypeError(`${argument}: no data for input ${missing.map((p) => `'${p.name}'`).join(', ')}; the model's inputs are ${names}`);
    list = parts.map((p) => record[p.name]);
  }
  const tensors = list.map((t, k) => checkFeatures(t, Array.isArray(x) ? `${argument}[${k}] (input '${parts[k].name}')` : `${argument}.${parts[k].name}`, { ...parts[k], parts: undefined }));
  const rows = rowsOf(tensors[0]);
  tensors.forEach((t, k) => {
    if (rowsOf(t) !== rows) throw new TypeError(`${argument}: input '${parts[0].name}' has ${rows} samples but '${parts[k].name}' has ${rowsOf(t)}; they must match row for row`);
  });
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
