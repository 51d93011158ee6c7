// layerNormalization: Keras' LayerNormalization over the last axis (the transformer's): every
// position is normalized by the mean and variance of its own features, in fit and predict alike,
// then scaled by gamma and shifted by beta. native/ops/layer_normalization.
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer, type SequenceMask, type WeightSpec } from './layer.js';
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';
import { type Affine, AFFINE_KEYS, affineConfig, affineNumbers, type AffineOptions, affineWeights, readAffine } from './normalization-config.js';

export interface LayerNormalizationOptions extends BaseLayerOptions, AffineOptions {
  /** Only -1 (the last axis, Keras' default and the transformer's). */
  axis?: -1;
}

export class LayerNormalization extends Layer {
  readonly className = 'LayerNormalization';
  readonly affine: Affine;

  constructor(options: LayerNormalizationOptions = {}) {
    super(options, ['axis', ...AFFINE_KEYS], 'layerNormalization');
    const label = 'layerNormalization';
    if (options.axis !== undefined && options.axis !== -1) throw new TypeError(`${label}: only axis -1 (the last) is supported, got ${String(options.axis)}; put a permute before it to normalize another axis`);
    this.affine = readAffine(options, label);
  }

  get epsilon(): number {
    return this.affine.epsilon;
  }

  /** Keeps the steps: a mask passes through (Keras' supports_masking). */
  outputMask<R>(_input: R, mask: SequenceMask<R> | undefined): SequenceMask<R> | undefined {
    return mask;
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32' || input.length === 0) throw new TypeError(`${this.label}: expects float32 samples with at least one axis, got ${dtype} ${shapeString(input)}`);
    return [...input];
  }

  weightSpecs(input: number[]): WeightSpec[] {
    return affineWeights(this.affine, input[input.length - 1]);
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{ op: 'layer_normalization', name: this.name!, inputs: [input], numbers: affineNumbers(this.affine) }];
  }

  // ONNX LayerNormalization from opset 17; before that its arithmetic (ReduceMean, Sub, Mul, Sqrt, Div).
  toOnnx(g: GraphBuilder, x: string, _inputRank: number, weights: LayerWeights): string {
    const scope = this.name!;
    const d = (weights.gamma ?? weights.beta)?.shape[0];
    const gamma = weights.gamma ? g.constant(`${scope}/gamma`, [weights.gamma.shape[0]], weights.gamma.data) : undefined;
    const beta = weights.beta ? g.constant(`${scope}/beta`, [weights.beta.shape[0]], weights.beta.data) : undefined;
    if (g.opset >= 17 && d !== undefined) {
      const scale = gamma ?? g.constant(`${scope}/ones`, [d], new Float32Array(d).fill(1));
      return g.node('LayerNormalization', [x, scale, ...(beta ? [beta] : [])], scope, [{ name: 'axis', i: -1 }, { name: 'epsilon', f: this.epsilon }]);
    }
    const mean = (v: string) => g.node('ReduceMean', [v], scope, [{ name: 'axes', ints: [-1] }, { name: 'keepdims', i: 1 }]);
    const centred = g.node('Sub', [x, mean(x)], scope);
    const variance = mean(g.node('Mul', [centred, centred], scope));
    const std = g.node('Sqrt', [g.node('Add', [variance, g.constant(`${scope}/epsilon`, [], Float32Array.of(this.epsilon))], scope)], scope);
    let y = g.node('Div', [centred, std], scope);
    if (gamma) y = g.node('Mul', [y, gamma], scope);
    if (beta) y = g.node('Add', [y, beta], scope);
    return y;
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), ...affineConfig(this.affine) };
  }
}

export const factories = defineLayers({
  layerNormalization: { className: 'LayerNormalization', create: (options: LayerNormalizationOptions = {}) => new LayerNormalization(options) },
});
