// Central finite differences of a float64 reference loss against the native
// (float32) backward pass, for every parameter and the input.
import { expect } from 'vitest';
import { native, type NodeSpec } from '../../src/backend/native.js';
import { Random } from '../../src/random.js';
import { caseModel, type OpCase } from '../cases/case.js';
import * as ref from './reference.js';

export interface GradCase {
  inputShape: number[];
  inputDtype?: 'float32' | 'int32';
  nodes: NodeSpec[];
  loss: 'mse' | 'softmaxCrossEntropy' | 'binaryCrossEntropy' | 'categoricalCrossEntropy' | 'mae' | 'huber' | 'logCosh' | 'hinge' | 'poisson' | 'kld' | 'cosineSimilarity';
  /** The loss's parameter: huber's delta, a cross-entropy's label smoothing. */
  param?: number;
  /** float32 targets of a loss that needs particular ones (a distribution per row, -1/1 labels), for `count` values. */
  targets?: (count: number, rng: Random) => Float32Array;
  batch: number;
  /** Float64 loss of the whole mini-model for the given parameters and input. */
  reference: (params: Float64Array[], x: Float64Array, ids: Int32Array, labels: Float32Array | Int32Array) => number;
  vocab?: number; // int32 inputs: ids in [0, vocab)
  training?: boolean;
  seed?: number;
  /** softmaxCrossEntropy over a sequence output [steps, classes]: a class index per position. */
  sequence?: boolean;
  /** softmaxCrossEntropy: every third label becomes this padding value, which the loss ignores. */
  ignoreIndex?: number;
}

const H = 1e-6; // step in float64: truncation ~H^2, round-off ~1e-16/H, both far below the tolerance
const RTOL = 1e-3; // the analytic side is float32
const ATOL = 1e-5;

function near(analytic: number, numeric: number): boolean {
  return Math.abs(analytic - numeric) <= ATOL + RTOL * Math.abs(numeric);
}

export function checkGradients(c: GradCase, seed = 1): { loss: number; checked: number } {
  const rng = new Random(seed);
  const program = new native.Program({ inputShape: c.inputShape, inputDtype: c.inputDtype ?? 'float32', nodes: c.nodes, inputGradient: true });
  const shapes = program.tensorShapes();
  const outElems = shapes[shapes.length - 1].reduce((a, b) => a * b, 1);
  const perSample = c.inputShape.reduce((a, b) => a * b, 1);

  const params = program.parameters().map((p, i) => {
    // A variance (batch normalization's moving one) must be positive: drawn from [0.4, 2).
    const draw = p.name.endsWith('/moving_variance') ? () => 0.4 + rng.uniform() * 1.6 : () => (rng.uniform() * 2 - 1) * 0.8;
    const values = Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, draw);
    program.setParameter(i, values);
    return values;
  });
  if (c.ignoreIndex !== undefined || c.param !== undefined) program.compile([{ loss: c.loss, tensor: shapes.length - 1, weight: 1, ignoreIndex: c.ignoreIndex, param: c.param }], { type: 'sgd' });
  else program.compile(c.loss, { type: 'sgd' });

  let x: Float32Array | Int32Array;
  if (c.inputDtype === 'int32') x = Int32Array.from({ length: c.batch * perSample }, () => rng.int(c.vocab!));
  else x = Float32Array.from({ length: c.batch * perSample }, () => { let v = 0; while (Math.abs(v) < 0.05) v = rng.uniform() * 4 - 2; return v; });
  let labels: Float32Array | Int32Array;
  const classes = shapes[shapes.length - 1].at(-1)!, positions = c.sequence ? outElems / classes : 1;
  if (c.loss === 'softmaxCrossEntropy') labels = Int32Array.from({ length: c.batch * positions }, (_, i) => (c.ignoreIndex !== undefined && i % 3 === 1 ? c.ignoreIndex : rng.int(c.sequence ? classes : outElems)));
  else if (c.loss === 'binaryCrossEntropy') labels = Float32Array.from({ length: c.batch * outElems }, () => rng.uniform());
  else if (c.targets) labels = c.targets(c.batch * outElems, rng);
  else labels = Float32Array.from({ length: c.batch * outElems }, () => rng.uniform() * 2 - 1);

  const data = new native.Dataset(x, c.inputShape, labels, c.loss === 'softmaxCrossEntropy' ? [positions] : shapes[shapes.length - 1]);
  const rows = Int32Array.from({ length: c.batch }, (_, i) => i);
  const result = program.computeGradients(data, rows, c.training ?? false, c.seed ?? 0);

  const p64 = params.map((p) => Float64Array.from(p));
  const x64 = Float64Array.from(x);
  const ids = x instanceof Int32Array ? x : new Int32Array(0);
  const f = () => c.reference(p64, x64, ids, labels);

  // The forward pass itself matches the reference.
  const refLoss = f();
  expect(Math.abs(result.loss - refLoss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(refLoss)));

  let checked = 0;
  const compare = (what: string, analytic: Float32Array, target: Float64Array) => {
    const bad: string[] = [];
    for (let i = 0; i < target.length; i++) {
      const keep = target[i];
      target[i] = keep + H;
      const up = f();
      target[i] = keep - H;
      const down = f();
      target[i] = keep;
      const numeric = (up - down) / (2 * H);
      if (!near(analytic[i], numeric)) bad.push(`${what}[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`);
      checked++;
    }
    expect(bad, bad.slice(0, 5).join('\n')).toEqual([]);
  };
  // A weight that is not trained (batch normalization's moving statistics) has no gradient.
  program.parameters().forEach((p, i) => p.trainable && compare(p.name, program.getGradient(i), p64[i]));
  if (c.inputDtype !== 'int32') compare('input', program.inputGradient(c.batch), x64);
  return { loss: result.loss, checked };
}

/** An op case's finite-difference check: its layers, under mse against random targets. */
export function checkCase(c: OpCase, batch = 3): { loss: number; checked: number } {
  const { inputShape, inputDtype, nodes } = caseModel(c)._spec; // the nodes a model builds (names given, shapes checked)
  return checkGradients({
    inputShape, inputDtype, nodes, batch, loss: 'mse', vocab: c.vocab,
    training: c.training !== undefined, seed: c.training?.seed,
    reference: (params, x, ids, labels) => ref.mse(c.reference(params, { x, ids, batch }), labels),
  });
}
