// batchNormalization: Keras' BatchNormalization. Training normalizes each channel (one axis of
// the sample, the last by default) with the batch's mean and variance and moves the moving
// statistics towards them; inference, and a frozen layer (trainable = false, as in Keras),
// normalizes with the moving statistics. Weights, in Keras' order: gamma, beta (trained),
// moving_mean, moving_variance (not trained: in getWeights, checkpoints and ONNX, never updated
// by the optimizer). native/ops/batch_normalization.
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkInteger, checkNumber, shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer, type WeightSpec } from './layer.js';
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';
import { type Affine, AFFINE_KEYS, affineConfig, affineNumbers, type AffineOptions, affineWeights, readAffine } from './normalization-config.js';

export interface BatchNormalizationOptions extends BaseLayerOptions, AffineOptions {
  /** The channel axis, counting the batch as axis 0 (Keras): -1 (default) the last; 1 for channelsFirst images. */
  axis?: number;
  /** Weight of the old value in each moving-statistics update (default 0.99). */
  momentum?: number;
  movingMeanInitializer?: InitializerName | Initializer;
  movingVarianceInitializer?: InitializerName | Initializer;
}

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly affine: Affine;
  readonly movingMeanInitializer: Initializer;
  readonly movingVarianceInitializer: Initializer;
  /** The sample's shape and its channel axis (0-based, without the batch), from the output shape. */
  private sample: number[] = [];
  private channelAxis = 0;

  constructor(options: BatchNormalizationOptions = {}) {
    super(options, ['axis', 'momentum', 'movingMeanInitializer', 'movingVarianceInitializer', ...AFFINE_KEYS], 'batchNormalization');
    const label = 'batchNormalization';
    this.axis = checkInteger(options.axis ?? -1, `${label}: axis`, -64);
    if (this.axis === 0) throw new TypeError(`${label}: axis 0 is the batch; normalize a sample's axis (-1, the default, for channels last; 1 for channels first)`);
    this.momentum = checkNumber(options.momentum ?? 0.99, `${label}: momentum`, { min: 0, max: 1 });
    this.affine = readAffine(options, label);
    this.movingMeanInitializer = getInitializer(options.movingMeanInitializer ?? 'zeros', `${label}: movingMeanInitializer`);
    this.movingVarianceInitializer = getInitializer(options.movingVarianceInitializer ?? 'ones', `${label}: movingVarianceInitializer`);
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    const rank = input.length + 1; // with the batch
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    if (dtype !== 'float32' || axis < 1 || axis >= rank)
      throw new TypeError(`${this.label}: axis ${this.axis} needs float32 samples with that axis (counting the batch as axis 0), got ${dtype} ${shapeString(input)}`);
    this.sample = [...input];
    this.channelAxis = axis - 1;
    return [...input];
  }

  weightSpecs(input: number[]): WeightSpec[] {
    this.computeOutputShape(input, 'float32');
    const c = input[this.channelAxis];
    const moving = (suffix: WeightSpec['suffix'], initializer: Initializer): WeightSpec => ({ suffix, shape: [c], initializer, fanIn: c, fanOut: c, trainable: false });
    return [...affineWeights(this.affine, c), moving('moving_mean', this.movingMeanInitializer), moving('moving_variance', this.movingVarianceInitializer)];
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{
      op: 'batch_normalization', name: this.name!, inputs: [input],
      numbers: { axis: this.channelAxis, momentum: this.momentum, ...affineNumbers(this.affine) },
    }];
  }

  // ONNX's BatchNormalization (inference form) takes [N, C, ...]: the input is viewed as
  // [batch * outer, channels, inner] around it, which covers channels last and first alike.
  toOnnx(g: GraphBuilder, x: string, _inputRank: number, weights: LayerWeights): string {
    const scope = this.name!;
    const c = this.sample[this.channelAxis];
    const inner = this.sample.slice(this.channelAxis + 1).reduce((a, b) => a * b, 1);
    const view = g.node('Reshape', [x, g.int64Constant(`${scope}/channels_view`, [-1, c, inner])], scope);
    const gamma = weights.gamma ? g.constant(`${scope}/gamma`, [c], weights.gamma.data) : g.constant(`${scope}/ones`, [c], new Float32Array(c).fill(1));
    const beta = weights.beta ? g.constant(`${scope}/beta`, [c], weights.beta.data) : g.constant(`${scope}/zeros`, [c], new Float32Array(c));
    const mean = g.constant(`${scope}/moving_mean`, [c], weights.moving_mean.data);
    const variance = g.constant(`${scope}/moving_variance`, [c], weights.moving_variance.data);
    const y = g.node('BatchNormalization', [view, gamma, beta, mean, variance], scope, [{ name: 'epsilon', f: this.affine.epsilon }]);
    return g.node('Reshape', [y, g.int64Constant(`${scope}/sample_shape`, [-1, ...this.sample])], scope);
  }

  getConfig(): Record<string, unknown> {
    const init = (i: Initializer) => ({ name: i.name, config: i.getConfig() });
    return {
      ...super.getConfig(),
      axis: this.axis, momentum: this.momentum, ...affineConfig(this.affine),
      movingMeanInitializer: init(this.movingMeanInitializer), movingVarianceInitializer: init(this.movingVarianceInitializer),
    };
  }
}

export const factories = defineLayers({
  batchNormalization: { className: 'BatchNormalization', create: (options: BatchNormalizationOptions = {}) => new BatchNormalization(options) },
});
