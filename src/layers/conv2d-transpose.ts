// conv2dTranspose: Keras' Conv2DTranspose, the convolution's gradient with respect to its input run
// forward: each input position adds its kernel-weighted window to the output, which grows by the
// strides (upsampling with learned filters: decoders, segmentation). native/ops/conv2d_transpose.
import type { NodeSpec } from '../backend/native.js';
import { checkInteger } from '../validate.js';
import type { WeightSpec } from './layer.js';
import { ConvWindow, type ConvWindowOptions } from './conv2d.js';
import { activation, type GraphBuilder, type LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';
import { kernelAndBiasConfig } from './weights-config.js';

export interface Conv2dTransposeOptions extends ConvWindowOptions {
  /** Output channels. */
  filters: number;
}

export class Conv2dTranspose extends ConvWindow {
  readonly className = 'Conv2DTranspose';
  readonly filters: number;
  private input: [number, number, number] = [1, 1, 1];

  constructor(options: Conv2dTransposeOptions) {
    super(options, ['filters'], 'conv2dTranspose');
    this.filters = checkInteger(options.filters, 'conv2dTranspose: filters', 1);
  }

  protected outputChannels(): number {
    return this.filters;
  }

  /** Keras' size without outputPadding: 'same' input * stride; 'valid' input * stride + max(span - stride, 0). */
  protected imageOutputShape([h, w, c]: [number, number, number]): number[] {
    this.input = [h, w, c];
    const size = (n: number, k: number, s: number, d: number) => n * s + (this.padding === 'same' ? 0 : Math.max(d * (k - 1) + 1 - s, 0));
    return [size(h, this.kernelSize[0], this.strides[0], this.dilationRate[0]), size(w, this.kernelSize[1], this.strides[1], this.dilationRate[1]), this.filters];
  }

  weightSpecs(input: number[]): WeightSpec[] {
    const [kh, kw] = this.kernelSize, c = this.channelsLast(input)[2];
    // Keras' kernel [kh, kw, filters, channels]; its fans from that shape (in: filters, out: channels).
    const fanIn = kh * kw * this.filters, fanOut = kh * kw * c;
    const specs: WeightSpec[] = [{ suffix: 'kernel', shape: [kh, kw, this.filters, c], initializer: this.kernelInitializer, fanIn, fanOut }];
    if (this.useBias) specs.push({ suffix: 'bias', shape: [this.filters], initializer: this.biasInitializer, fanIn, fanOut });
    return specs;
  }

  protected imageNodes(input: number, firstOutput: number, options: { separateActivation?: boolean }): NodeSpec[] {
    return this.convNode(input, firstOutput, { filters: this.filters }, options.separateActivation === true, 'conv2d_transpose');
  }

  // ONNX ConvTranspose: kernel [channels, filters, kh, kw]; the output size is set by pads and
  // output_padding: (n - 1) * stride + span - pads + output_padding.
  protected onnxNchw(g: GraphBuilder, x: string, weights: LayerWeights): string {
    const scope = this.name!;
    const [kh, kw] = this.kernelSize, f = this.filters, c = this.input[2];
    const k = weights.kernel.data;
    const w = new Float32Array(k.length);
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let o = 0; o < f; o++)
          for (let ch = 0; ch < c; ch++) w[((ch * f + o) * kh + i) * kw + j] = k[((i * kw + j) * f + o) * c + ch];
    const [oh, ow] = this.imageOutputShape(this.input);
    const pads: number[] = [0, 0, 0, 0], extra: number[] = [0, 0];
    [[this.input[0], oh], [this.input[1], ow]].forEach(([n, out], axis) => {
      const span = this.dilationRate[axis] * (this.kernelSize[axis] - 1) + 1;
      const full = (n - 1) * this.strides[axis] + span;
      if (full >= out) {
        const total = full - out; // 'same': the convolution's padding, the larger half at the end
        pads[axis] = Math.floor(total / 2);
        pads[axis + 2] = total - pads[axis];
      } else extra[axis] = out - full;
    });
    const inputs = [x, g.constant(`${scope}/kernel`, [c, f, kh, kw], w)];
    if (this.useBias) inputs.push(g.constant(`${scope}/bias`, weights.bias.shape, weights.bias.data));
    const y = g.node('ConvTranspose', inputs, scope, [
      { name: 'kernel_shape', ints: [kh, kw] }, { name: 'strides', ints: this.strides }, { name: 'dilations', ints: this.dilationRate }, { name: 'pads', ints: pads },
      ...(extra.some((e) => e > 0) ? [{ name: 'output_padding', ints: extra }] : []),
    ]);
    return activation(g, y, this.activation, scope, this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), filters: this.filters, ...this.windowConfig(), ...kernelAndBiasConfig(this) };
  }
}

export const factories = defineLayers({
  conv2dTranspose: { className: 'Conv2DTranspose', create: (options: Conv2dTransposeOptions) => new Conv2dTranspose(options) },
});
