// verifyOnnx(): runs an exported file in onnxruntime-node and compares it with
// gradloop's own predictions on the same rows. A mismatch is a report with
// passed: false (and the worst element), not an exception.
import { readFile } from 'node:fs/promises';
import { onnx } from './proto.js';
import type { Model } from '../model/model.js';
import type { InputData } from '../model/inputs.js';
import { Tensor } from '../tensor.js';
import { checkKeys, checkNumber } from '../validate.js';
import { HEAD_KEY } from './export.js';

export interface VerifyOnnxOptions {
  /**
   * Absolute tolerance per unit of the output's scale (default 1e-5): an element passes when
   * |onnx - gradloop| <= atol * scale + rtol * |gradloop|, where scale is max(1, the output's root
   * mean square). Float32 rounding is relative to the magnitudes of the values a sum adds up, which
   * an element near zero through cancellation (a logit of 0.001 among logits of 5) does not show.
   */
  atol?: number;
  /** Relative tolerance (default 1e-4). */
  rtol?: number;
}

export interface OnnxReport {
  passed: boolean;
  maxAbsDiff: number;
  maxRelDiff: number;
  /** Fraction of rows whose largest output has the same index in both. */
  argmaxAgreement: number;
  rows: number;
  opset: number;
  /** Operator types in the graph, in order of first use. */
  ops: string[];
  inputName: string;
  outputName: string;
  atol: number;
  rtol: number;
  /** Each output's scale, max(1, its root mean square): the unit atol is counted in. */
  scales: number[];
  /** The element furthest outside the tolerance (or the largest difference when all pass). */
  worst: { row: number; column: number; expected: number; actual: number; output?: string } | null;
}

type Ort = typeof import('onnxruntime-node');

async function loadOnnxRuntime(): Promise<Ort> {
  try {
    const mod = (await import('onnxruntime-node')) as Ort & { default?: Ort };
    return mod.InferenceSession ? mod : mod.default!;
  } catch (err) {
    throw new Error(
      'verifyOnnx needs the optional peer dependency onnxruntime-node: run `npm install onnxruntime-node` ' +
        `(${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

function softmaxRows(x: Float32Array, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / cols; r++) {
    let mx = -Infinity;
    for (let c = 0; c < cols; c++) mx = Math.max(mx, x[r * cols + c]);
    let s = 0;
    for (let c = 0; c < cols; c++) s += (out[r * cols + c] = Math.exp(x[r * cols + c] - mx));
    for (let c = 0; c < cols; c++) out[r * cols + c] /= s;
  }
  return out;
}

export async function verifyOnnx(model: Model, file: string | Uint8Array, x: InputData, options: VerifyOnnxOptions = {}): Promise<OnnxReport> {
  checkKeys(options, 'verifyOnnx', ['atol', 'rtol']);
  const atol = checkNumber(options.atol ?? 1e-5, 'verifyOnnx: atol', { min: 0 });
  const rtol = checkNumber(options.rtol ?? 1e-4, 'verifyOnnx: rtol', { min: 0 });
  // The rows for each input, in the model's input order (one tensor for a one-input model).
  const inputs = model.wiring.inputs;
  const parts: unknown[] = x instanceof Tensor ? [x] : Array.isArray(x) ? x : typeof x === 'object' && x !== null ? inputs.map((i) => (x as Record<string, unknown>)[i.name]) : [x];
  if (parts.length !== inputs.length || parts.some((t) => !(t instanceof Tensor)))
    throw new TypeError(`verifyOnnx: x must be ${inputs.length === 1 ? 'a Tensor of sample rows' : `the model's ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}) as an array of Tensors or an object by name`}`);
  const tensors = parts as Tensor[];
  const where = typeof file === 'string' ? `'${file}'` : 'the given bytes';

  let bytes: Uint8Array;
  try {
    bytes = typeof file === 'string' ? await readFile(file) : file;
  } catch (err) {
    throw new Error(`verifyOnnx: cannot read ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const ort = await loadOnnxRuntime();
  let session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  } catch (err) {
    throw new Error(`verifyOnnx: onnxruntime could not load ${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  // What the file says about itself.
  const proto = onnx.ModelProto.decode(bytes);
  const opset = Number((proto.opsetImport ?? []).find((o) => !o.domain)?.version ?? 0);
  const ops = [...new Set((proto.graph?.node ?? []).map((n) => n.opType!))];
  const head = (proto.metadataProps ?? []).find((p) => p.key === HEAD_KEY)?.value ?? 'none';
  const inputName = session.inputNames.join(', ');
  const outputName = session.outputNames.join(', ');

  // gradloop's outputs (the head exportOnnx appended, applied here too), one per ONNX output.
  const predicted = model.predictOutputs(x);
  const expectedAll = predicted.map((p) => {
    const raw = p.data as Float32Array;
    return head === 'softmax' ? softmaxRows(raw, p.shape[p.shape.length - 1]) : head === 'sigmoid' ? raw.map((v) => 1 / (1 + Math.exp(-v))) : raw;
  });
  const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
  (proto.graph?.input ?? []).forEach((declared, k) => {
    const t = tensors[inputs.findIndex((i) => i.name === declared.name)] ?? tensors[k];
    feeds[declared.name!] = declared.type?.tensorType?.elemType === onnx.TensorProto.DataType.INT64
      ? new ort.Tensor('int64', BigInt64Array.from(t.data, (v) => BigInt(v)), t.shape)
      : new ort.Tensor(t.dtype === 'int32' ? 'int32' : 'float32', t.data, t.shape);
  });
  const result = await session.run(feeds);
  const actualAll = session.outputNames.map((name) => result[name].data as Float32Array);
  await session.release();

  // Every output, element by element; argmax agreement over every (row, output) pair.
  const rows = tensors[0].shape[0];
  let maxAbsDiff = 0, maxRelDiff = 0, agree = 0, worstExcess = -Infinity, sizesMatch = actualAll.length === expectedAll.length;
  let worst: OnnxReport['worst'] = null;
  const scales = expectedAll.map((expected) => {
    let squares = 0;
    for (const v of expected) squares += v * v;
    return Math.max(1, Math.sqrt(squares / Math.max(expected.length, 1)));
  });
  expectedAll.forEach((expected, k) => {
    const actual = actualAll[k] ?? new Float32Array(0);
    const cols = expected.length / rows;
    sizesMatch &&= actual.length === expected.length;
    for (let r = 0; r < rows; r++) {
      let eBest = 0, aBest = 0;
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const e = expected[i], a = actual[i];
        const diff = Math.abs(a - e);
        maxAbsDiff = Math.max(maxAbsDiff, diff);
        maxRelDiff = Math.max(maxRelDiff, diff / Math.max(Math.abs(e), Number.MIN_VALUE));
        const excess = diff - (atol * scales[k] + rtol * Math.abs(e));
        if (excess > worstExcess || Number.isNaN(diff)) {
          worstExcess = Number.isNaN(diff) ? Infinity : excess;
          worst = { row: r, column: c, expected: e, actual: a, ...(expectedAll.length > 1 ? { output: session.outputNames[k] } : {}) };
        }
        if (e > expected[r * cols + eBest]) eBest = c;
        if (a > actual[r * cols + aBest]) aBest = c;
      }
      if (eBest === aBest) agree++;
    }
  });
  return {
    passed: worstExcess <= 0 && sizesMatch,
    maxAbsDiff, maxRelDiff,
    argmaxAgreement: agree / (rows * expectedAll.length),
    rows, opset, ops, inputName, outputName, atol, rtol, scales, worst,
  };
}
