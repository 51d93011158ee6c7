// conv1d and the 1-D poolings over channels-last sequences [steps, channels] (Keras' Conv1D,
// MaxPooling1D, AveragePooling1D, GlobalMaxPooling1D, GlobalAveragePooling1D): each runs as its 2-D
// counterpart on samples of height 1 ([1, steps, channels]) between two reshapes; conv1d's kernel
// keeps Keras' 1-D shape [kernelSize, channels, filters] (the same memory as [1, k, c, filters]).
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkInteger, checkOneOf, shapeString } from '../validate.js';
import { Conv2d } from './conv2d.js';
import { type BaseLayerOptions, Layer, type WeightSpec } from './layer.js';
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { GlobalPooling2d, Pooling2d } from './pooling2d.js';
import { defineLayers } from './registry.js';
import { kernelAndBiasConfig, type KernelAndBiasOptions } from './weights-config.js';

/** A 1-D layer made of a 2-D one: the input reshaped to height 1, the inner layer's nodes, the result reshaped back. */
abstract class HeightOne<Inner extends Layer> extends Layer {
  /** The input's [steps, channels], from computeOutputShape. */
  protected input: [number, number] = [0, 0];
  protected abstract readonly inner: Inner;

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32' || input.length !== 2) throw new TypeError(`${this.label}: expects float32 samples [steps, channels], got ${shapeString(input)}`);
    this.input = [input[0], input[1]];
    this.inner.name = this.name;
    const out = this.inner.computeOutputShape([1, ...input], dtype);
    return out.length === 3 ? out.slice(1) : out;
  }

  get outputActivation(): string | undefined {
    return this.inner.outputActivation;
  }

  /** Nodes: [steps, c] to [1, steps, c]; the inner nodes (`adjust`ed); back to the output shape; an output's activation last. */
  protected nodes(input: number, firstOutput: number, separateActivation: boolean, adjust: (n: NodeSpec) => NodeSpec = (n) => n): NodeSpec[] {
    const out = this.computeOutputShape(this.input, 'float32');
    const inner = this.inner.toNodes([firstOutput], firstOutput + 1, { separateActivation }).map(adjust);
    const activation = separateActivation && inner.length > 1 && inner[inner.length - 1].op === 'activation' ? inner.pop()! : undefined;
    const nodes: NodeSpec[] = [{ op: 'reshape', name: `${this.name}/2d`, inputs: [input], strings: { targetShape: `1,${this.input.join(',')}` } }, ...inner];
    nodes.push({ op: 'reshape', name: `${this.name}/1d`, inputs: [firstOutput + nodes.length - 1], strings: { targetShape: out.join(',') } });
    if (activation) nodes.push({ ...activation, inputs: [firstOutput + nodes.length - 1] });
    return nodes;
  }

  toNodes([input]: number[], firstOutput: number, options: { separateActivation?: boolean } = {}): NodeSpec[] {
    return this.nodes(input, firstOutput, options.separateActivation === true);
  }

  toOnnx(g: GraphBuilder, x: string, _rank: number, weights: LayerWeights): string {
    const scope = this.name!;
    const out = this.computeOutputShape(this.input, 'float32');
    const four = g.node('Reshape', [x, g.int64Constant(`${scope}/shape2d`, [-1, 1, ...this.input])], scope);
    const y = this.inner.toOnnx(g, four, 4, weights.kernel ? { ...weights, kernel: { shape: [1, ...weights.kernel.shape], data: weights.kernel.data } } : weights);
    return g.node('Reshape', [y, g.int64Constant(`${scope}/shape1d`, [-1, ...out])], scope);
  }
}

export interface Conv1dOptions extends BaseLayerOptions, KernelAndBiasOptions {
  filters: number;
  kernelSize: number;
  /** Step between windows (default 1). */
  strides?: number;
  /** 'valid' (default) or 'same'. */
  padding?: 'valid' | 'same';
  dilationRate?: number;
  /** Split the input channels and the filters into this many groups (default 1). */
  groups?: number;
}

export class Conv1d extends HeightOne<Conv2d> {
  readonly className = 'Conv1D';
  protected readonly inner: Conv2d;

  constructor(options: Conv1dOptions) {
    super(options, ['filters', 'kernelSize', 'strides', 'padding', 'dilationRate', 'groups', 'activation', 'alpha', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer'], 'conv1d');
    if (options.kernelSize === undefined) throw new TypeError('conv1d: kernelSize is required, e.g. 3');
    const k = checkInteger(options.kernelSize, 'conv1d: kernelSize', 1), s = checkInteger(options.strides ?? 1, 'conv1d: strides', 1);
    const d = checkInteger(options.dilationRate ?? 1, 'conv1d: dilationRate', 1);
    const { inputShape: _i, name: _n, trainable: _t, ...rest } = options;
    this.inner = new Conv2d({ ...rest, kernelSize: [1, k], strides: [1, s], dilationRate: [1, d] });
  }

  weightSpecs(input: number[]): WeightSpec[] {
    return this.inner.weightSpecs([1, ...input]).map((w) => (w.suffix === 'kernel' ? { ...w, shape: w.shape.slice(1) } : w));
  }

  toNodes([input]: number[], firstOutput: number, options: { separateActivation?: boolean } = {}): NodeSpec[] {
    // The conv2d node declares Keras' 1-D kernel shape.
    return this.nodes(input, firstOutput, options.separateActivation === true, (n) => (n.op === 'conv2d' ? { ...n, numbers: { ...n.numbers, kernelRank: 3 } } : n));
  }

  getConfig(): Record<string, unknown> {
    const c = this.inner;
    return {
      ...super.getConfig(),
      filters: c.filters, kernelSize: c.kernelSize[1], strides: c.strides[1], padding: c.padding, dilationRate: c.dilationRate[1], ...(c.groups > 1 ? { groups: c.groups } : {}),
      activation: c.activation, useBias: c.useBias, ...kernelAndBiasConfig(c),
    };
  }
}

export interface Pooling1dOptions extends BaseLayerOptions {
  /** Window length (default 2). */
  poolSize?: number;
  /** Step between windows (default poolSize). */
  strides?: number;
  padding?: 'valid' | 'same';
}

export class Pooling1d extends HeightOne<Pooling2d> {
  protected readonly inner: Pooling2d;

  constructor(kind: 'max' | 'average', readonly className: string, options: Pooling1dOptions = {}) {
    super(options, ['poolSize', 'strides', 'padding'], `${kind}Pooling1d`);
    const p = checkInteger(options.poolSize ?? 2, `${kind}Pooling1d: poolSize`, 1);
    const s = checkInteger(options.strides ?? p, `${kind}Pooling1d: strides`, 1);
    this.inner = new Pooling2d(kind, className, { poolSize: [1, p], strides: [1, s], padding: checkOneOf(options.padding ?? 'valid', `${kind}Pooling1d: padding`, ['valid', 'same'] as const) });
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: this.inner.poolSize[1], strides: this.inner.strides[1], padding: this.inner.padding };
  }
}

export class GlobalPooling1d extends HeightOne<GlobalPooling2d> {
  protected readonly inner: GlobalPooling2d;

  constructor(kind: 'max' | 'average', readonly className: string, options: BaseLayerOptions = {}) {
    super(options, [], `global${kind === 'max' ? 'Max' : 'Average'}Pooling1d`);
    this.inner = new GlobalPooling2d(kind, className);
  }
}

export const factories = defineLayers({
  conv1d: { className: 'Conv1D', create: (options: Conv1dOptions) => new Conv1d(options) },
  maxPooling1d: { className: 'MaxPooling1D', create: (options: Pooling1dOptions = {}) => new Pooling1d('max', 'MaxPooling1D', options) },
  averagePooling1d: { className: 'AveragePooling1D', create: (options: Pooling1dOptions = {}) => new Pooling1d('average', 'AveragePooling1D', options) },
  globalMaxPooling1d: { className: 'GlobalMaxPooling1D', create: (options: BaseLayerOptions = {}) => new GlobalPooling1d('max', 'GlobalMaxPooling1D', options) },
  globalAveragePooling1d: { className: 'GlobalAveragePooling1D', create: (options: BaseLayerOptions = {}) => new GlobalPooling1d('average', 'GlobalAveragePooling1D', options) },
});
