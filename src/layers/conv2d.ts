// conv2d and depthwiseConv2d: 2-D convolutions (Keras' Conv2D, with groups, and DepthwiseConv2D)
// with strides, dilation, 'valid' or 'same' padding, and bias and activation fused as in dense;
// native/ops/conv2d (im2col and one matrix product per batch, or per group). Channels last, or
// channels first through dataFormat (image-layer.ts).
import type { Initializer } from './initializers.js';
import type { NodeSpec } from '../backend/native.js';
import type { Regularizer } from './regularizers.js';
import { heightWidth, kernelAndBiasConfig, type KernelAndBiasOptions, readKernelAndBias } from './weights-config.js';
import { checkInteger, checkOneOf } from '../validate.js';
import type { ActivationName } from './activations.js';
import type { WeightSpec } from './layer.js';
import { ImageLayer, type ImageLayerOptions } from './image-layer.js';
import { activation, type GraphBuilder, type LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface ConvWindowOptions extends ImageLayerOptions, KernelAndBiasOptions {
  /** Window height and width, or one number for both. */
  kernelSize: number | [number, number];
  /** Step between windows (default 1). */
  strides?: number | [number, number];
  /** 'valid' (default): windows inside the input; 'same': zero padding so the output is ceil(input / stride). */
  padding?: 'valid' | 'same';
  /** Spacing of the window's taps (default 1); strides must be 1 where it is above 1, as in Keras. */
  dilationRate?: number | [number, number];
}

export interface Conv2dOptions extends ConvWindowOptions {
  filters: number;
  /** Split the input channels and the filters into this many groups, each convolved on its own (default 1; must divide both). */
  groups?: number;
}

export interface DepthwiseConv2dOptions extends Omit<ConvWindowOptions, 'kernelInitializer' | 'kernelRegularizer'> {
  /** Filters per input channel (default 1): the output has channels * depthMultiplier channels. */
  depthMultiplier?: number;
  /** The kernel's initializer (Keras' name for a depthwise kernel; default glorotUniform). */
  depthwiseInitializer?: KernelAndBiasOptions['kernelInitializer'];
  depthwiseRegularizer?: KernelAndBiasOptions['kernelRegularizer'];
}

const pair = (v: number | [number, number] | undefined, fallback: number, what: string): [number, number] => heightWidth(v ?? fallback, what);

/** A window moved over the image: the options, the output size and the padding, shared by the convolutions. */
export abstract class ConvWindow extends ImageLayer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly alpha: number;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  /** [top, left, bottom, right] zero padding, worked out with the output shape. */
  protected pads: [number, number, number, number] = [0, 0, 0, 0];

  constructor(options: ConvWindowOptions, ownKeys: readonly string[], label: string) {
    super(options, ['kernelSize', 'strides', 'padding', 'dilationRate', 'activation', 'alpha', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', ...ownKeys], label);
    if (options.kernelSize === undefined) throw new TypeError(`${label}: kernelSize is required, e.g. 3 or [3, 3]`);
    this.kernelSize = pair(options.kernelSize, 1, `${label}: kernelSize`);
    this.strides = pair(options.strides, 1, `${label}: strides`);
    this.padding = checkOneOf(options.padding ?? 'valid', `${label}: padding`, ['valid', 'same'] as const);
    this.dilationRate = pair(options.dilationRate, 1, `${label}: dilationRate`);
    if (this.dilationRate.some((d) => d > 1) && this.strides.some((s) => s > 1))
      throw new TypeError(`${label}: strides above 1 with dilationRate above 1 is not supported (as in Keras); use one or the other`);
    ({ activation: this.activation, alpha: this.alpha, useBias: this.useBias, kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer } = readKernelAndBias(options, label));
    if (this.activation === 'softmax') throw new TypeError(`${label}: activation 'softmax' is not fused into a convolution; add layers.softmax() after it`);
  }

  get outputActivation(): string | undefined {
    return this.activation === 'linear' ? undefined : this.activation;
  }

  /** Output positions [oh, ow] for an input of [h, w] (TensorFlow's 'same': ceil(size / stride), extra padding at the end). */
  protected positions(h: number, w: number): [number, number] {
    const [kh, kw] = this.kernelSize, [sh, sw] = this.strides, [dh, dw] = this.dilationRate;
    const spanH = dh * (kh - 1) + 1, spanW = dw * (kw - 1) + 1;
    if (this.padding === 'same') {
      const oh = Math.ceil(h / sh), ow = Math.ceil(w / sw);
      const padH = Math.max(0, (oh - 1) * sh + spanH - h), padW = Math.max(0, (ow - 1) * sw + spanW - w);
      this.pads = [Math.floor(padH / 2), Math.floor(padW / 2), padH - Math.floor(padH / 2), padW - Math.floor(padW / 2)];
      return [oh, ow];
    }
    if (spanH > h || spanW > w) throw new TypeError(`${this.label}: a ${spanH}x${spanW} window does not fit in input ${h}x${w}; use padding: 'same' or a smaller kernelSize`);
    this.pads = [0, 0, 0, 0];
    return [Math.floor((h - spanH) / sh) + 1, Math.floor((w - spanW) / sw) + 1];
  }

  /** The native node (conv2d, or conv2d_transpose) with the window's attributes, and an output's activation of its own. */
  protected convNode(input: number, firstOutput: number, numbers: Record<string, number>, separateActivation: boolean, op = 'conv2d'): NodeSpec[] {
    const separate = separateActivation && this.activation !== 'linear';
    const [kh, kw] = this.kernelSize, [sh, sw] = this.strides, [dh, dw] = this.dilationRate;
    const nodes: NodeSpec[] = [{
      op, name: this.name!, inputs: [input],
      numbers: { ...numbers, kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, useBias: this.useBias ? 1 : 0, alpha: this.alpha, kernelL2: this.kernelRegularizer?.l2 ?? 0, biasL2: this.biasRegularizer?.l2 ?? 0 },
      strings: { padding: this.padding, activation: separate ? 'linear' : this.activation },
    }];
    if (separate) nodes.push({ op: 'activation', name: `${this.name}/${this.activation}`, inputs: [firstOutput], strings: { activation: this.activation }, numbers: { alpha: this.alpha } });
    return nodes;
  }

  /** ONNX Conv over NCHW with its kernel [filters, channels per group, kh, kw], taken from ours [kh, kw, channels per group, filters]. */
  protected onnxConv(g: GraphBuilder, x: string, weights: LayerWeights, groups: number): string {
    const scope = this.name!;
    const [kh, kw] = this.kernelSize;
    const data = weights.kernel.data, f = this.outputChannels(), c = data.length / (kh * kw * f);
    const oihw = new Float32Array(data.length);
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let ch = 0; ch < c; ch++)
          for (let o = 0; o < f; o++) oihw[((o * c + ch) * kh + i) * kw + j] = data[((i * kw + j) * c + ch) * f + o];
    const inputs = [x, g.constant(`${scope}/kernel`, [f, c, kh, kw], oihw)];
    if (this.useBias) inputs.push(g.constant(`${scope}/bias`, weights.bias.shape, weights.bias.data));
    const y = g.node('Conv', inputs, scope, [
      { name: 'kernel_shape', ints: [kh, kw] }, { name: 'strides', ints: this.strides }, { name: 'dilations', ints: this.dilationRate }, { name: 'pads', ints: this.pads },
      ...(groups > 1 ? [{ name: 'group', i: groups }] : []),
    ]);
    return activation(g, y, this.activation, scope, this.alpha);
  }

  /** The output's channels. */
  protected abstract outputChannels(): number;

  protected windowConfig(): Record<string, unknown> {
    return {
      kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dilationRate: this.dilationRate,
      activation: this.activation, useBias: this.useBias,
    };
  }
}

export class Conv2d extends ConvWindow {
  readonly className = 'Conv2D';
  readonly filters: number;
  readonly groups: number;

  constructor(options: Conv2dOptions) {
    super(options, ['filters', 'groups'], 'conv2d');
    this.filters = checkInteger(options.filters, 'conv2d: filters', 1);
    this.groups = checkInteger(options.groups ?? 1, 'conv2d: groups', 1);
    if (this.filters % this.groups !== 0) throw new TypeError(`conv2d: groups ${this.groups} must divide filters ${this.filters}`);
  }

  protected outputChannels(): number {
    return this.filters;
  }

  protected imageOutputShape([h, w, c]: [number, number, number]): number[] {
    if (c % this.groups !== 0) throw new TypeError(`${this.label}: groups ${this.groups} must divide the input's ${c} channels`);
    return [...this.positions(h, w), this.filters];
  }

  weightSpecs(input: number[]): WeightSpec[] {
    const [kh, kw] = this.kernelSize, c = this.channelsLast(input)[2] / this.groups;
    // Keras' fans for a convolution kernel [kh, kw, in, out]: the receptive field times in, and times out.
    const fanIn = kh * kw * c, fanOut = kh * kw * this.filters;
    const specs: WeightSpec[] = [{ suffix: 'kernel', shape: [kh, kw, c, this.filters], initializer: this.kernelInitializer, fanIn, fanOut }];
    if (this.useBias) specs.push({ suffix: 'bias', shape: [this.filters], initializer: this.biasInitializer, fanIn, fanOut });
    return specs;
  }

  protected imageNodes(input: number, firstOutput: number, options: { separateActivation?: boolean }): NodeSpec[] {
    return this.convNode(input, firstOutput, { filters: this.filters, groups: this.groups }, options.separateActivation === true);
  }

  protected onnxNchw(g: GraphBuilder, x: string, weights: LayerWeights): string {
    return this.onnxConv(g, x, weights, this.groups);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), filters: this.filters, ...this.windowConfig(), ...(this.groups > 1 ? { groups: this.groups } : {}), ...kernelAndBiasConfig(this) };
  }
}

/** One filter per input channel and depth multiplier (Keras' DepthwiseConv2D): a convolution with groups = channels. */
export class DepthwiseConv2d extends ConvWindow {
  readonly className = 'DepthwiseConv2D';
  readonly depthMultiplier: number;
  private channels = 1;

  constructor(options: DepthwiseConv2dOptions) {
    const { depthwiseInitializer, depthwiseRegularizer, ...rest } = options ?? ({} as DepthwiseConv2dOptions);
    super({ ...rest, ...(depthwiseInitializer !== undefined ? { kernelInitializer: depthwiseInitializer } : {}), ...(depthwiseRegularizer !== undefined ? { kernelRegularizer: depthwiseRegularizer } : {}) }, ['depthMultiplier'], 'depthwiseConv2d');
    this.depthMultiplier = checkInteger(options.depthMultiplier ?? 1, 'depthwiseConv2d: depthMultiplier', 1);
  }

  protected outputChannels(): number {
    return this.channels * this.depthMultiplier;
  }

  protected imageOutputShape([h, w, c]: [number, number, number]): number[] {
    this.channels = c;
    return [...this.positions(h, w), c * this.depthMultiplier];
  }

  weightSpecs(input: number[]): WeightSpec[] {
    const [kh, kw] = this.kernelSize, c = this.channelsLast(input)[2], m = this.depthMultiplier;
    // Keras' kernel [kh, kw, channels, multiplier], and its fans from that shape.
    const fanIn = kh * kw * c, fanOut = kh * kw * m;
    const specs: WeightSpec[] = [{ suffix: 'kernel', shape: [kh, kw, c, m], initializer: this.kernelInitializer, fanIn, fanOut }];
    if (this.useBias) specs.push({ suffix: 'bias', shape: [c * m], initializer: this.biasInitializer, fanIn, fanOut });
    return specs;
  }

  protected imageNodes(input: number, firstOutput: number, options: { separateActivation?: boolean }): NodeSpec[] {
    return this.convNode(input, firstOutput, { filters: this.channels * this.depthMultiplier, depthMultiplier: this.depthMultiplier }, options.separateActivation === true);
  }

  // The depthwise kernel [kh, kw, c, m] is, in memory, the grouped kernel [kh, kw, 1, c * m].
  protected onnxNchw(g: GraphBuilder, x: string, weights: LayerWeights): string {
    const [kh, kw] = this.kernelSize;
    return this.onnxConv(g, x, { ...weights, kernel: { shape: [kh, kw, 1, this.channels * this.depthMultiplier], data: weights.kernel.data } }, this.channels);
  }

  getConfig(): Record<string, unknown> {
    const { kernelInitializer, kernelRegularizer, ...rest } = kernelAndBiasConfig(this);
    return {
      ...super.getConfig(), ...this.windowConfig(), depthMultiplier: this.depthMultiplier,
      depthwiseInitializer: kernelInitializer, ...(kernelRegularizer ? { depthwiseRegularizer: kernelRegularizer } : {}), ...rest,
    };
  }
}

export const factories = defineLayers({
  conv2d: { className: 'Conv2D', create: (options: Conv2dOptions) => new Conv2d(options) },
  depthwiseConv2d: { className: 'DepthwiseConv2D', create: (options: DepthwiseConv2dOptions) => new DepthwiseConv2d(options) },
});
