// How each gradloop layer becomes ONNX operators. Every mapping appends nodes
// and initializers to a GraphBuilder and returns the name of its output tensor.
import { onnx } from './proto.js';
import { Activation, Dense, Dropout, Embedding, Flatten, type Layer } from '../layers/index.js';

type Attribute = { name: string; f?: number; i?: number; s?: string };

export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private counter = 0;

  constructor(readonly opset: number) {}

  /** Adds a node; returns its (single) output name. */
  node(opType: string, inputs: string[], scope: string, attributes: Attribute[] = []): string {
    const output = `${scope}/${opType}_${this.counter++}`;
    this.nodes.push({
      opType,
      name: output,
      input: inputs,
      output: [output],
      attribute: attributes.map((a) =>
        a.f !== undefined
          ? { name: a.name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.f }
          : a.i !== undefined
            ? { name: a.name, type: onnx.AttributeProto.AttributeType.INT, i: a.i }
            : { name: a.name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(a.s!) },
      ),
    });
    return output;
  }

  /** A float32 initializer (weights as raw little-endian bytes); returns its name. */
  constant(name: string, dims: number[], values: Float32Array): string {
    const raw = new Uint8Array(values.byteLength);
    new Float32Array(raw.buffer).set(values);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }
}

const SIMPLE: Record<string, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' };

/** Appends `activation` applied to `x`; returns the result (x itself for linear). */
export function activation(g: GraphBuilder, x: string, name: string, scope: string, alpha: number): string {
  if (name === 'linear') return x;
  if (SIMPLE[name]) return g.node(SIMPLE[name], [x], scope);
  if (name === 'leakyRelu') return g.node('LeakyRelu', [x], scope, [{ name: 'alpha', f: alpha }]);
  if (name === 'softmax') return g.node('Softmax', [x], scope, [{ name: 'axis', i: -1 }]);
  if (name === 'gelu') {
    // Gelu is an operator from opset 20; before that, its exact form 0.5 x (1 + erf(x / sqrt 2)).
    if (g.opset >= 20) return g.node('Gelu', [x], scope, [{ name: 'approximate', s: 'none' }]);
    const sqrt2 = g.constant(`${scope}/sqrt2`, [], Float32Array.of(Math.SQRT2));
    const one = g.constant(`${scope}/one`, [], Float32Array.of(1));
    const half = g.constant(`${scope}/half`, [], Float32Array.of(0.5));
    const erf = g.node('Erf', [g.node('Div', [x, sqrt2], scope)], scope);
    return g.node('Mul', [g.node('Mul', [x, g.node('Add', [erf, one], scope)], scope), half], scope);
  }
  throw new Error(`no ONNX mapping for activation '${name}'`);
}

export interface LayerWeights {
  [suffix: string]: { shape: number[]; data: Float32Array };
}

/**
 * Appends one layer. `inputRank` is the rank of x including the batch dimension.
 * Throws an Error naming the layer when it has no ONNX form.
 */
export function appendLayer(g: GraphBuilder, layer: Layer, x: string, inputRank: number, weights: LayerWeights): string {
  const scope = layer.name!;
  if (layer instanceof Dense) {
    const kernel = g.constant(`${scope}/kernel`, weights.kernel.shape, weights.kernel.data);
    const bias = layer.useBias ? g.constant(`${scope}/bias`, weights.bias.shape, weights.bias.data) : undefined;
    let y: string;
    if (inputRank === 2) {
      y = g.node('Gemm', bias ? [x, kernel, bias] : [x, kernel], scope);
    } else {
      // Gemm is 2-D only; over the last axis of a higher-rank input, MatMul broadcasts.
      y = g.node('MatMul', [x, kernel], scope);
      if (bias) y = g.node('Add', [y, bias], scope);
    }
    return activation(g, y, layer.activation, scope, layer.alpha);
  }
  if (layer instanceof Activation) return activation(g, x, layer.activation, scope, layer.alpha);
  if (layer instanceof Dropout) return x; // identity at inference
  if (layer instanceof Flatten) return g.node('Flatten', [x], scope, [{ name: 'axis', i: 1 }]);
  if (layer instanceof Embedding) {
    const table = g.constant(`${scope}/embeddings`, weights.embeddings.shape, weights.embeddings.data);
    return g.node('Gather', [table, x], scope, [{ name: 'axis', i: 0 }]); // int32 ids are valid Gather indices
  }
  throw new Error(`exportOnnx: layer '${layer.name}' (${layer.className}) has no ONNX mapping; remove it or export without it`);
}
