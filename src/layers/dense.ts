// dense: y = activation(x · kernel + bias) over the last axis.
// kernel [inputs, units], bias [units]; bias and activation run fused after the matrix product.
import type { Initializer } from './initializers.js';
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import type { Regularizer } from './regularizers.js';
import { kernelAndBiasConfig, type KernelAndBiasOptions, readKernelAndBias } from './weights-config.js';
import { checkInteger, shapeString } from '../validate.js';
import type { ActivationName } from './activations.js';
import { type BaseLayerOptions, Layer, type SequenceMask, type WeightSpec } from './layer.js';
import { activation, type GraphBuilder, type LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface DenseOptions extends BaseLayerOptions, KernelAndBiasOptions {
  units: number;
  /** Shorthand for inputShape: [inputDim]. */
  inputDim?: number;
}

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: ActivationName;
  readonly alpha: number;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;

  constructor(options: DenseOptions) {
    if (options?.inputDim !== undefined && options.inputShape === undefined)
      options = { ...options, inputShape: [checkInteger(options.inputDim, 'dense: inputDim', 1)] };
    super(options, ['units', 'activation', 'alpha', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'inputDim'], 'dense');
    this.units = checkInteger(options.units, 'dense: units', 1);
    ({ activation: this.activation, alpha: this.alpha, useBias: this.useBias, kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer,
      kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer } = readKernelAndBias(options, 'dense'));
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32')
      throw new TypeError(`${this.label}: expects float32 input, got ${dtype}; put an embedding layer first for token ids`);
    if (input.length === 0) throw new TypeError(`${this.label}: input needs at least one dimension, got ${shapeString(input)}`);
    return [...input.slice(0, -1), this.units];
  }

  weightSpecs(input: number[]): WeightSpec[] {
    const inputs = input[input.length - 1];
    const specs: WeightSpec[] = [{ suffix: 'kernel', shape: [inputs, this.units], initializer: this.kernelInitializer, fanIn: inputs, fanOut: this.units }];
    if (this.useBias) specs.push({ suffix: 'bias', shape: [this.units], initializer: this.biasInitializer, fanIn: inputs, fanOut: this.units });
    return specs;
  }

  /** Keeps the steps: a mask passes through (Keras' supports_masking). */
  outputMask<R>(_input: R, mask: SequenceMask<R> | undefined): SequenceMask<R> | undefined {
    return mask;
  }

  get outputActivation(): string | undefined {
    return this.activation === 'linear' ? undefined : this.activation;
  }

  toNodes([input]: number[], firstOutput: number, options: { separateActivation?: boolean } = {}): NodeSpec[] {
    // Softmax normalises a whole row, so it runs as its own node after the product; so does any
    // activation the model asks to see the logits before (a sigmoid output trained from logits).
    const separate = this.activation === 'softmax' || (options.separateActivation === true && this.activation !== 'linear');
    const nodes: NodeSpec[] = [
      { op: 'dense', name: this.name!, inputs: [input], numbers: { units: this.units, useBias: this.useBias ? 1 : 0, alpha: this.alpha, kernelL2: this.kernelRegularizer?.l2 ?? 0, biasL2: this.biasRegularizer?.l2 ?? 0 }, strings: { activation: separate ? 'linear' : this.activation } },
    ];
    if (this.activation === 'softmax') nodes.push({ op: 'softmax', name: `${this.name}/softmax`, inputs: [firstOutput] });
    else if (separate) nodes.push({ op: 'activation', name: `${this.name}/${this.activation}`, inputs: [firstOutput], strings: { activation: this.activation }, numbers: { alpha: this.alpha } });
    return nodes;
  }

  toOnnx(g: GraphBuilder, x: string, inputRank: number, weights: LayerWeights): string {
    const scope = this.name!;
    const kernel = g.constant(`${scope}/kernel`, weights.kernel.shape, weights.kernel.data);
    const bias = this.useBias ? g.constant(`${scope}/bias`, weights.bias.shape, weights.bias.data) : undefined;
    let y: string;
    if (inputRank === 2) {
      y = g.node('Gemm', bias ? [x, kernel, bias] : [x, kernel], scope);
    } else {
      // Gemm is 2-D only; over the last axis of a higher-rank input, MatMul broadcasts.
      y = g.node('MatMul', [x, kernel], scope);
      if (bias) y = g.node('Add', [y, bias], scope);
    }
    return activation(g, y, this.activation, scope, this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      ...kernelAndBiasConfig(this),
    };
  }
}

export const factories = defineLayers({
  dense: { className: 'Dense', create: (options: DenseOptions) => new Dense(options) },
});
