// The ONNX graph under construction, and the activation functions' ONNX forms. Each layer maps
// itself (Layer.toOnnx, in its own file): it appends nodes and initializers to the GraphBuilder
// and returns the name of its output tensor.
import type { onnx as OnnxTypes } from 'onnx-proto';
import { onnx } from './proto.js';

type Attribute = { name: string; f?: number; i?: number; s?: string; ints?: number[]; floats?: number[]; strings?: string[] };

export class GraphBuilder {
  // Typed from onnx-proto itself, so the declarations layers expose (Layer.toOnnx) need not go
  // through proto.ts's `export import`, which the .d.ts bundler cannot read.
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly initializers: OnnxTypes.ITensorProto[] = [];
  private counter = 0;

  constructor(readonly opset: number) {}

  /** Adds a node; returns its (single) output name. */
  node(opType: string, inputs: string[], scope: string, attributes: Attribute[] = []): string {
    return this.nodeWithOutputs(opType, inputs, scope, 1, attributes)[0];
  }

  /** Adds a node of `count` outputs (an LSTM's Y, Y_h, Y_c); returns their names. An input '' is an omitted optional one. */
  nodeWithOutputs(opType: string, inputs: string[], scope: string, count: number, attributes: Attribute[] = []): string[] {
    const name = `${scope}/${opType}_${this.counter++}`;
    const outputs = Array.from({ length: count }, (_, k) => (k === 0 ? name : `${name}:${k}`));
    const { FLOATS, INTS, STRINGS } = onnx.AttributeProto.AttributeType;
    this.nodes.push({
      opType,
      name,
      input: inputs,
      output: outputs,
      attribute: attributes.map((a) =>
        a.ints !== undefined
          ? { name: a.name, type: INTS, ints: a.ints }
          : a.floats !== undefined
          ? { name: a.name, type: FLOATS, floats: a.floats }
          : a.strings !== undefined
          ? { name: a.name, type: STRINGS, strings: a.strings.map((v) => new TextEncoder().encode(v)) }
          : a.f !== undefined
          ? { name: a.name, type: onnx.AttributeProto.AttributeType.FLOAT, f: a.f }
          : a.i !== undefined
            ? { name: a.name, type: onnx.AttributeProto.AttributeType.INT, i: a.i }
            : { name: a.name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(a.s!) },
      ),
    });
    return outputs;
  }

  /** An int64 initializer (a shape for Reshape); returns its name. */
  int64Constant(name: string, values: number[]): string {
    if (this.initializers.some((t) => t.name === name)) return name; // asked for again (the same axes, the same shape)
    const raw = new Uint8Array(values.length * 8);
    new BigInt64Array(raw.buffer).set(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: raw });
    return name;
  }

  /** A small float32 initializer of one dimension (Resize's scales); returns its name. */
  floatConstant(name: string, values: number[]): string {
    return this.constant(name, [values.length], Float32Array.from(values));
  }

  /** A float32 initializer (weights as raw little-endian bytes); returns its name. */
  constant(name: string, dims: number[], values: Float32Array): string {
    if (this.initializers.some((t) => t.name === name)) return name; // a shared layer's weights, used again
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
