// embedding: int32 token ids [batch, T] -> vectors [batch, T, outputDim],
// a row lookup in embeddings [inputDim, outputDim].
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { getRegularizer, type Regularizer, regularizerConfig } from './regularizers.js';
import { checkInteger } from '../validate.js';
import { type BaseLayerOptions, Layer, type SequenceMask, type WeightSpec } from './layer.js';
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

export interface EmbeddingOptions extends BaseLayerOptions {
  /** Vocabulary size: ids must lie in [0, inputDim). */
  inputDim: number;
  outputDim: number;
  /** Default randomUniform(-0.05, 0.05), as Keras. */
  embeddingsInitializer?: InitializerName | Initializer;
  /** Penalty on the embeddings added to the loss: regularizers.l2(0.01) or 'l2'. */
  embeddingsRegularizer?: Regularizer | 'l2';
  /** Tokens per sample; shorthand for inputShape: [inputLength]. */
  inputLength?: number;
  /**
   * Id 0 is padding (Keras' mask_zero): recurrent layers after this one skip those steps (the
   * mask passes through layers that keep the steps: dropout, dense, activations, layer norm).
   */
  maskZero?: boolean;
}

export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: Initializer;
  readonly embeddingsRegularizer: Regularizer | undefined;
  readonly maskZero: boolean;

  constructor(options: EmbeddingOptions) {
    if (options?.inputLength !== undefined && options.inputShape === undefined)
      options = { ...options, inputShape: [checkInteger(options.inputLength, 'embedding: inputLength', 1)] };
    super(options, ['inputDim', 'outputDim', 'embeddingsInitializer', 'embeddingsRegularizer', 'inputLength', 'maskZero'], 'embedding');
    if (options.maskZero !== undefined && typeof options.maskZero !== 'boolean') throw new TypeError('embedding: maskZero must be true or false');
    this.maskZero = options.maskZero ?? false;
    this.inputDim = checkInteger(options.inputDim, 'embedding: inputDim', 1);
    this.outputDim = checkInteger(options.outputDim, 'embedding: outputDim', 1);
    this.embeddingsInitializer = getInitializer(options.embeddingsInitializer ?? 'randomUniform', 'embedding: embeddingsInitializer');
    this.embeddingsRegularizer = getRegularizer(options.embeddingsRegularizer, 'embedding: embeddingsRegularizer');
  }

  /** With maskZero, the token ids themselves are the mask (0 = padding). */
  outputMask<R>(input: R): SequenceMask<R> | undefined {
    return this.maskZero ? { tensor: input } : undefined;
  }

  get inputDtype(): DType {
    return 'int32';
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'int32')
      throw new TypeError(`${this.label}: expects int32 token ids: the first layer of a sequential model fed tensor(ids, shape, 'int32'), or applied to input({ shape, dtype: 'int32' })`);
    return [...input, this.outputDim];
  }

  weightSpecs(): WeightSpec[] {
    return [{ suffix: 'embeddings', shape: [this.inputDim, this.outputDim], initializer: this.embeddingsInitializer, fanIn: this.inputDim, fanOut: this.outputDim }];
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{ op: 'embedding', name: this.name!, inputs: [input], numbers: { inputDim: this.inputDim, outputDim: this.outputDim, embeddingsL2: this.embeddingsRegularizer?.l2 ?? 0 } }];
  }

  toOnnx(g: GraphBuilder, x: string, _inputRank: number, weights: LayerWeights): string {
    const table = g.constant(`${this.name}/embeddings`, weights.embeddings.shape, weights.embeddings.data);
    return g.node('Gather', [table, x], this.name!, [{ name: 'axis', i: 0 }]); // int32 ids are valid Gather indices
  }

  getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: { name: this.embeddingsInitializer.name, config: this.embeddingsInitializer.getConfig() },
      ...(this.embeddingsRegularizer ? { embeddingsRegularizer: regularizerConfig(this.embeddingsRegularizer) } : {}),
      ...(this.maskZero ? { maskZero: true } : {}),
    };
  }
}

export const factories = defineLayers({
  embedding: { className: 'Embedding', create: (options: EmbeddingOptions) => new Embedding(options) },
});
