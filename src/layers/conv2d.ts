// conv2d: a 2-D convolution over channels-last samples [height, width, channels] (Keras' Conv2D),
// with strides, dilation, 'valid' or 'same' padding, and bias and activation fused as in dense;
// native/ops/conv2d (im2col and one matrix product per batch).
import type { Initializer } from './initializers.js';
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import type { Regularizer } from './regularizers.js';
import { heightWidth, kernelAndBiasConfig, type KernelAndBiasOptions, readKernelAndBias } from './weights-config.js';
import { checkInteger, checkOneOf, shapeString } from '../validate.js';
import type { ActivationName } from './activations.js';
import { type BaseLayerOptions, Layer, type WeightSpec } from './layer.js';
import { activation, type GraphBuilder, type LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface Conv2dOptions extends BaseLayerOptions, KernelAndBiasOptions {
  filters: number;
  /** Window height and width, or one number for both. */
  kernelSize: number | [number, number];
  /** Step between windows (default 1). */
  strides?: number | [number, number];
  /** 'valid' (default): windows inside the input; 'same': zero padding so the output is ceil(input / stride). */
  padding?: 'valid' | 'same';
  /** Spacing of the window's taps (default 1); strides must be 1 where it is above 1, as in Keras. */
  dilationRate?: number | [number, number];
  /** Only 'channelsLast' ([height, width, channels], Keras' default) for now. */
  dataFormat?: 'channelsLast';
}

const pair = (v: number | [number, number] | undefined, fallback: number, what: string): [number, number] => heightWidth(v ?? fallback, what);

export class Conv2d extends Layer {
  readonly className = 'Conv2D';
  readonly filters: number;
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
  private pads: [number, number, number, number] = [0, 0, 0, 0];

  constructor(options: Conv2dOptions) {
    super(options, ['filters', 'kernelSize', 'strides', 'padding', 'dilationRate', 'activation', 'alpha', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'dataFormat'], 'conv2d');
    this.filters = checkInteger(options.filters, 'conv2d: filters', 1);
    if (options.kernelSize === undefined) throw new TypeError('conv2d: kernelSize is required, e.g. 3 or [3, 3]');
    this.kernelSize = pair(options.kernelSize, 1, 'conv2d: kernelSize');
    this.strides = pair(options.strides, 1, 'conv2d: strides');
    this.padding = checkOneOf(options.padding ?? 'valid', 'conv2d: padding', ['valid', 'same'] as const);
    this.dilationRate = pair(options.dilationRate, 1, 'conv2d: dilationRate');
    if (this.dilationRate.some((d) => d > 1) && this.strides.some((s) => s > 1))
      throw new TypeError('conv2d: strides above 1 with dilationRate above 1 is not supported (as in Keras); use one or the other');
    checkOneOf(options.dataFormat ?? 'channelsLast', 'conv2d: dataFormat', ['channelsLast'] as const);
    ({ activation: this.activation, alpha: this.alpha, useBias: this.useBias, kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer } = readKernelAndBias(options, 'conv2d'));
    if (this.activation === 'softmax') throw new TypeError("conv2d: activation 'softmax' is not fused into a convolution; add layers.softmax() after it");

  }

  get outputActivation(): string | undefined {
    return this.activation === 'linear' ? undefined : this.activation;
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32' || input.length !== 3)
      throw new TypeError(`${this.label}: expects float32 samples [height, width, channels], got ${shapeString(input)}${input.length === 2 ? '; add a channel axis with layers.reshape({ targetShape: [h, w, 1] })' : ''}`);
    const [h, w] = input;
    const [kh, kw] = this.kernelSize, [sh, sw] = this.strides, [dh, dw] = this.dilationRate;
    const spanH = dh * (kh - 1) + 1, spanW = dw * (kw - 1) + 1;
    let oh: number, ow: number;
    if (this.padding === 'same') {
      oh = Math.ceil(h / sh), ow = Math.ceil(w / sw);
      const padH = Math.max(0, (oh - 1) * sh + spanH - h), padW = Math.max(0, (ow - 1) * sw + spanW - w);
      this.pads = [Math.floor(padH / 2), Math.floor(padW / 2), padH - Math.floor(padH / 2), padW - Math.floor(padW / 2)];
    } else {
      if (spanH > h || spanW > w) throw new TypeError(`${this.label}: a ${spanH}x${spanW} window does not fit in input ${shapeString(input)}; use padding: 'same' or a smaller kernelSize`);
      oh = Math.floor((h - spanH) / sh) + 1, ow = Math.floor((w - spanW) / sw) + 1;
      this.pads = [0, 0, 0, 0];
    }
    return [oh, ow, this.filters];
  }

  weightSpecs(input: number[]): WeightSpec[] {
    const [kh, kw] = this.kernelSize, c = input[2];
    // Keras' fans for a convolution: the receptive field times the channels in, and times the filters.
    const fanIn = kh * kw * c, fanOut = kh * kw * this.filters;
    const specs: WeightSpec[] = [{ suffix: 'kernel', shape: [kh, kw, c, this.filters], initializer: this.kernelInitializer, fanIn, fanOut }];
    if (this.useBias) specs.push({ suffix: 'bias', shape: [this.filters], initializer: this.biasInitializer, fanIn, fanOut });
    return specs;
  }

  toNodes([input]: number[], firstOutput: number, options: { separateActivation?: boolean } = {}): NodeSpec[] {
    const separate = options.separateActivation === true && this.activation !== 'linear';
    const [kh, kw] = this.kernelSize, [sh, sw] = this.strides, [dh, dw] = this.dilationRate;
    const nodes: NodeSpec[] = [{
      op: 'conv2d', name: this.name!, inputs: [input],
      numbers: { filters: this.filters, kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, useBias: this.useBias ? 1 : 0, alpha: this.alpha, kernelL2: this.kernelRegularizer?.l2 ?? 0, biasL2: this.biasRegularizer?.l2 ?? 0 },
      strings: { padding: this.padding, activation: separate ? 'linear' : this.activation },
    }];
    if (separate) nodes.push({ op: 'activation', name: `${this.name}/${this.activation}`, inputs: [firstOutput], strings: { activation: this.activation }, numbers: { alpha: this.alpha } });
    return nodes;
  }

  // ONNX's Conv is channels-first with its kernel [filters, channels, kh, kw]: transposes around it.
  toOnnx(g: GraphBuilder, x: string, _inputRank: number, weights: LayerWeights): string {
    const scope = this.name!;
    const [kh, kw, c, f] = weights.kernel.shape;
    const oihw = new Float32Array(weights.kernel.data.length);
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let ch = 0; ch < c; ch++)
          for (let o = 0; o < f; o++) oihw[((o * c + ch) * kh + i) * kw + j] = weights.kernel.data[((i * kw + j) * c + ch) * f + o];
    const kernel = g.constant(`${scope}/kernel`, [f, c, kh, kw], oihw);
    const inputs = [g.node('Transpose', [x], scope, [{ name: 'perm', ints: [0, 3, 1, 2] }]), kernel];
    if (this.useBias) inputs.push(g.constant(`${scope}/bias`, weights.bias.shape, weights.bias.data));
    const y = g.node('Conv', inputs, scope, [
      { name: 'kernel_shape', ints: [kh, kw] }, { name: 'strides', ints: this.strides }, { name: 'dilations', ints: this.dilationRate }, { name: 'pads', ints: this.pads },
    ]);
    return activation(g, g.node('Transpose', [y], scope, [{ name: 'perm', ints: [0, 2, 3, 1] }]), this.activation, scope, this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dilationRate: this.dilationRate,
      activation: this.activation, useBias: this.useBias,
      ...kernelAndBiasConfig(this),
    };
  }
}

export const factories = defineLayers({
  conv2d: { className: 'Conv2D', create: (options: Conv2dOptions) => new Conv2d(options) },
});
