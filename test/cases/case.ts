// One op's test case, in test/cases/<op>.ts (the op's native folder name): the layers a user builds
// and a float64 reference of their forward pass. From it, test/gradients.test.ts checks the
// native backward against finite differences of the reference, test/onnx.test.ts checks the
// exported ONNX in onnxruntime against gradloop, and the GPU checks (test/helpers/gpu-checks.ts)
// check the CUDA backend against the CPU. test/cases/index.ts finds every file here.
import { layers as L, type Layer, type Model, model, sequential, type SymbolicTensor } from '../../src/index.js';

export interface OpCase {
  /** What the case shows, e.g. 'dense with fused gelu'. */
  name: string;
  /** The layers under test, built through the public API; the first carries inputShape. */
  layers?: () => Layer[];
  /** Or a graph (merges, residuals) from one input: the functional API's input and output. */
  graph?: () => { inputs: SymbolicTensor; outputs: SymbolicTensor };
  /**
   * The layers' forward pass in float64: `params` in getWeights() order, the batch's inputs as
   * floats (`x`) or token ids (`ids`); returns the outputs, row-major.
   */
  reference: (params: Float64Array[], input: { x: Float64Array; ids: Int32Array; batch: number }) => Float64Array;
  /** Token ids in [0, vocab) instead of float inputs (an embedding first). */
  vocab?: number;
  /**
   * The ONNX check's inputs for n samples of `perSample` values (token ids, or floats), where
   * random ones will not do: a recurrent layer's mask exports as sequence_lens, which holds only
   * for padding at the end.
   */
  onnxInput?: (n: number, perSample: number) => Int32Array | Float32Array;
  /** The forward pass in training mode (dropout), with this fit seed. */
  training?: { seed: number };
  /**
   * The ONNX export: the operators it must contain, and the longest reduction and the number of
   * layers that reduce, which size the float32 tolerance (helpers/tolerance.ts).
   */
  onnx: { ops: string[]; reduction: number; depth: number };
  /** Not in the GPU parity checks, with the reason (e.g. the mask of a training forward is checked elsewhere). */
  skipGpu?: string;
}

/**
 * The case as a model: its layers in a sequential model, or its graph; with `head`, followed by
 * a flatten (when its output has several axes) and a dense layer of 5 units, as the GPU checks train it.
 */
export function caseModel(c: OpCase, options: { seed?: number; head?: boolean } = {}): Model {
  const seed = options.seed ?? 1;
  if (c.layers) {
    const stack = c.layers();
    if (options.head) {
      const rank = sequential(c.layers()).outputShape.length;
      stack.push(...(rank > 1 ? [L.flatten()] : []), L.dense({ units: 5 }));
    }
    return sequential(stack, { seed });
  }
  const { inputs, outputs } = c.graph!();
  const out = options.head ? L.dense({ units: 5 }).apply(outputs.shape.length > 1 ? L.flatten().apply(outputs) : outputs) : outputs;
  return model({ inputs, outputs: out, seed });
}
