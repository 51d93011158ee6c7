// batchNormalization: Keras' BatchNormalization. Training normalizes each channel (one axis of
// the sample, the last by default) with the batch's mean and variance and moves the moving
// statistics towards them; inference, and a frozen layer (trainable = false, as in Keras),
// normalizes with the moving statistics. Weights, in Keras' order: gamma, beta (trained),
// moving_mean, moving_variance (not trained: in getWeights, checkpoints and ONNX, never updated
// by the optimizer). native/ops/batch_normalization.
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { getRegularizer, type Regularizer, regularizerConfig } from './regularizers.js';
import { checkInteger, checkNumber, shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer, type WeightSpec } from './layer.js';
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface BatchNormalizationOptions extends BaseLayerOptions {
  /** The channel axis, counting the batch as axis 0 (Keras): -1 (default) the last; 1 for channelsFirst images. */
  axis?: number;
  /** Weight of the old value in each moving-statistics update (default 0.99). */
  momentum?: number;
  /** Added to the variance before its square root (default 1e-3). */
  epsilon?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
  betaInitializer?: InitializerName | Initializer;
  gammaInitializer?: InitializerName | Initializer;
  movingMeanInitializer?: InitializerName | Initializer;
  movingVarianceInitializer?: InitializerName | Initializer;
  betaRegularizer?: Regularizer | 'l2';
  gammaRegularizer?: Regularizer | 'l2';
}

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly movingMeanInitializer: Initializer;
  readonly movingVarianceInitializer: Initializer;
  readonly betaRegularizer: Regularizer | undefined;
  readonly gammaRegularizer: Regularizer | undefined;
  /** The sample's shape and its channel axis (0-based, without the batch), from the output shape. */
  private sample: number[] = [];
  private channelAxis = 0;

  constructor(options: BatchNormalizationOptions = {}) {
    super(options, ['axis', 'momentum', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', 'movingMeanInitializer', 'movingVarianceInitializer', 'betaRegularizer', 'gammaRegularizer'], 'batchNormalization');
    const label = 'batchNormalization';
    this.axis = checkInteger(options.axis ?? -1, `${label}: axis`, -64);
    if (this.axis === 0) throw new TypeError(`${label}: axis 0 is the batch; normalize a sample's axis (-1, the default, for channels last; 1 for channels first)`);
    this.momentum = checkNumber(options.momentum ?? 0.99, `${label}: momentum`, { min: 0, max: 1 });
    this.epsilon = checkNumber(options.epsilon ?? 1e-3, `${label}: epsilon`, { min: 0, minExclusive: true });
    for (const key of ['center', 'scale'] as const)
      if (options[key] !== undefined && typeof options[key] !== 'boolean') throw new TypeError(`${label}: ${key} must be true or false`);
    this.center = options.center ?? true;
    this.scale = options.scale ?? true;
    this.betaInitializer = getInitializer(options.betaInitializer ?? 'zeros', `${label}: betaInitializer`);
    this.gammaInitializer = getInitializer(options.gammaInitializer ?? 'ones', `${label}: gammaInitializer`);
    this.movingMeanInitializer = getInitializer(options.movingMeanInitializer ?? 'zeros', `${label}: movingMeanInitializer`);
    this.movingVarianceInitializer = getInitializer(options.movingVarianceInitializer ?? 'ones', `${label}: movingVarianceInitializer`);
    this.betaRegularizer = getRegularizer(options.betaRegularizer, `${label}: betaRegularizer`);
    this.gammaRegularizer = getRegularizer(options.gammaRegularizer, `${label}: gammaRegularizer`);
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
    const spec = (suffix: WeightSpec['suffix'], initializer: Initializer, trainable = true): WeightSpec => ({ suffix, shape: [c], initializer, fanIn: c, fanOut: c, ...(trainable ? {} : { trainable: false }) });
    return [
      ...(this.scale ? [spec('gamma', this.gammaInitializer)] : []),
      ...(this.center ? [spec('beta', this.betaInitializer)] : []),
      spec('moving_mean', this.movingMeanInitializer, false),
      spec('moving_variance', this.movingVarianceInitializer, false),
    ];
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{
      op: 'batch_normalization', name: this.name!, inputs: [input],
      numbers: { axis: this.channelAxis, momentum: this.momentum, epsilon: this.epsilon, center: this.center ? 1 : 0, scale: this.scale ? 1 : 0, gammaL2: this.gammaRegularizer?.l2 ?? 0, betaL2: this.betaRegularizer?.l2 ?? 0 },
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
    const y = g.node('BatchNormalization', [view, gamma, beta, mean, variance], scope, [{ name: 'epsilon', f: this.epsilon }]);
    return g.node('Reshape', [y, g.int64Constant(`${scope}/sample_shape`, [-1, ...this.sample])], scope);
  }

  getConfig(): Record<string, unknown> {
    const init = (i: Initializer) => ({ name: i.name, config: i.getConfig() });
    return {
      ...super.getConfig(),
      axis: this.axis, momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale,
      betaInitializer: init(this.betaInitializer), gammaInitializer: init(this.gammaInitializer),
      movingMeanInitializer: init(this.movingMeanInitializer), movingVarianceInitializer: init(this.movingVarianceInitializer),
      ...(this.betaRegularizer ? { betaRegularizer: regularizerConfig(this.betaRegularizer) } : {}),
      ...(this.gammaRegularizer ? { gammaRegularizer: regularizerConfig(this.gammaRegularizer) } : {}),
    };
  }
}

export const factories = defineLayers({
  batchNormalization: { className: 'BatchNormalization', create: (options: BatchNormalizationOptions = {}) => new BatchNormalization(options) },
});
