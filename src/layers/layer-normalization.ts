// layerNormalization: Keras' LayerNormalization over the last axis (the transformer's): every
// position is normalized by the mean and variance of its own features, in fit and predict alike,
// then scaled by gamma and shifted by beta. native/ops/layer_normalization.
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { getRegularizer, type Regularizer, regularizerConfig } from './regularizers.js';
import { checkNumber, shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer, type WeightSpec } from './layer.js';
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface LayerNormalizationOptions extends BaseLayerOptions {
  /** Only -1 (the last axis, Keras' default and the transformer's). */
  axis?: -1;
  /** Added to the variance before its square root (default 1e-3, Keras'; PyTorch's is 1e-5). */
  epsilon?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
  betaInitializer?: InitializerName | Initializer;
  gammaInitializer?: InitializerName | Initializer;
  betaRegularizer?: Regularizer | 'l2';
  gammaRegularizer?: Regularizer | 'l2';
}

export class LayerNormalization extends Layer {
  readonly className = 'LayerNormalization';
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  readonly betaRegularizer: Regularizer | undefined;
  readonly gammaRegularizer: Regularizer | undefined;

  constructor(options: LayerNormalizationOptions = {}) {
    super(options, ['axis', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', 'betaRegularizer', 'gammaRegularizer'], 'layerNormalization');
    const label = 'layerNormalization';
    if (options.axis !== undefined && options.axis !== -1) throw new TypeError(`${label}: only axis -1 (the last) is supported, got ${String(options.axis)}; put a permute before it to normalize another axis`);
    this.epsilon = checkNumber(options.epsilon ?? 1e-3, `${label}: epsilon`, { min: 0, minExclusive: true });
    for (const key of ['center', 'scale'] as const)
      if (options[key] !== undefined && typeof options[key] !== 'boolean') throw new TypeError(`${label}: ${key} must be true or false`);
    this.center = options.center ?? true;
    this.scale = options.scale ?? true;
    this.betaInitializer = getInitializer(options.betaInitializer ?? 'zeros', `${label}: betaInitializer`);
    this.gammaInitializer = getInitializer(options.gammaInitializer ?? 'ones', `${label}: gammaInitializer`);
    this.betaRegularizer = getRegularizer(options.betaRegularizer, `${label}: betaRegularizer`);
    this.gammaRegularizer = getRegularizer(options.gammaRegularizer, `${label}: gammaRegularizer`);
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32' || input.length === 0) throw new TypeError(`${this.label}: expects float32 samples with at least one axis, got ${dtype} ${shapeString(input)}`);
    return [...input];
  }

  weightSpecs(input: number[]): WeightSpec[] {
    const d = input[input.length - 1];
    return [
      ...(this.scale ? [{ suffix: 'gamma' as const, shape: [d], initializer: this.gammaInitializer, fanIn: d, fanOut: d }] : []),
      ...(this.center ? [{ suffix: 'beta' as const, shape: [d], initializer: this.betaInitializer, fanIn: d, fanOut: d }] : []),
    ];
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{
      op: 'layer_normalization', name: this.name!, inputs: [input],
      numbers: { epsilon: this.epsilon, center: this.center ? 1 : 0, scale: this.scale ? 1 : 0, gammaL2: this.gammaRegularizer?.l2 ?? 0, betaL2: this.betaRegularizer?.l2 ?? 0 },
    }];
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
    const init = (i: Initializer) => ({ name: i.name, config: i.getConfig() });
    return {
      ...super.getConfig(), epsilon: this.epsilon, center: this.center, scale: this.scale,
      betaInitializer: init(this.betaInitializer), gammaInitializer: init(this.gammaInitializer),
      ...(this.betaRegularizer ? { betaRegularizer: regularizerConfig(this.betaRegularizer) } : {}),
      ...(this.gammaRegularizer ? { gammaRegularizer: regularizerConfig(this.gammaRegularizer) } : {}),
    };
  }
}

export const factories = defineLayers({
  layerNormalization: { className: 'LayerNormalization', create: (options: LayerNormalizationOptions = {}) => new LayerNormalization(options) },
});
