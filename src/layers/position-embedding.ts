// positionEmbedding and tokenAndPositionEmbedding (keras-nlp's names): a learned vector per
// position. positionEmbedding returns, for an input [steps, features], the table's first `steps`
// rows (broadcast over the batch; add it to the input with layers.add()); tokenAndPositionEmbedding
// looks token ids up in a vocabulary table and adds the position vectors, the usual first layer
// of a transformer. native/ops/position_embedding (and embedding).
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { getRegularizer, type Regularizer, regularizerConfig } from './regularizers.js';
import { checkInteger, shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer, type WeightSpec } from './layer.js';
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';

const config = (i: Initializer) => ({ name: i.name, config: i.getConfig() });

export interface PositionEmbeddingOptions extends BaseLayerOptions {
  /** The longest sequence: the table has this many rows; an input may be shorter. */
  sequenceLength: number;
  /** Default glorotUniform, as keras-nlp. */
  initializer?: InitializerName | Initializer;
  embeddingsRegularizer?: Regularizer | 'l2';
}

export class PositionEmbedding extends Layer {
  readonly className = 'PositionEmbedding';
  readonly sequenceLength: number;
  readonly initializer: Initializer;
  readonly embeddingsRegularizer: Regularizer | undefined;

  constructor(options: PositionEmbeddingOptions) {
    super(options, ['sequenceLength', 'initializer', 'embeddingsRegularizer'], 'positionEmbedding');
    this.sequenceLength = checkInteger(options?.sequenceLength, 'positionEmbedding: sequenceLength', 1);
    this.initializer = getInitializer(options.initializer ?? 'glorotUniform', 'positionEmbedding: initializer');
    this.embeddingsRegularizer = getRegularizer(options.embeddingsRegularizer, 'positionEmbedding: embeddingsRegularizer');
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'float32' || input.length !== 2) throw new TypeError(`${this.label}: expects float32 samples [steps, features] (an embedding's output), got ${dtype} ${shapeString(input)}`);
    if (input[0] > this.sequenceLength) throw new TypeError(`${this.label}: the input has ${input[0]} steps, more than sequenceLength ${this.sequenceLength}; raise sequenceLength`);
    return [...input];
  }

  weightSpecs(input: number[]): WeightSpec[] {
    const d = input[1];
    return [{ suffix: 'embeddings', shape: [this.sequenceLength, d], initializer: this.initializer, fanIn: this.sequenceLength, fanOut: d }];
  }

  toNodes([input]: number[]): NodeSpec[] {
    return [{ op: 'position_embedding', name: this.name!, inputs: [input], numbers: { sequenceLength: this.sequenceLength, add: 0, embeddingsL2: this.embeddingsRegularizer?.l2 ?? 0 } }];
  }

  // The table's first rows, expanded to the input's shape ([batch, steps, features]).
  toOnnx(g: GraphBuilder, x: string, _inputRank: number, weights: LayerWeights): string {
    const scope = this.name!;
    const steps = positionsOf(g, scope, weights.embeddings);
    return g.node('Expand', [steps.name(x), g.node('Shape', [x], scope)], scope);
  }

  getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), sequenceLength: this.sequenceLength, initializer: config(this.initializer),
      ...(this.embeddingsRegularizer ? { embeddingsRegularizer: regularizerConfig(this.embeddingsRegularizer) } : {}),
    };
  }
}

/** A position table as an ONNX constant, cut to the steps of the tensor it meets (Slice on Shape). */
function positionsOf(g: GraphBuilder, scope: string, table: { shape: number[]; data: Float32Array }) {
  const full = g.constant(`${scope}/embeddings`, table.shape, table.data);
  return {
    name: (x: string) => {
      const shape = g.node('Shape', [x], scope);
      const steps = g.node('Slice', [shape, g.int64Constant(`${scope}/one`, [1]), g.int64Constant(`${scope}/two`, [2])], scope);
      return g.node('Slice', [full, g.int64Constant(`${scope}/zero`, [0]), steps, g.int64Constant(`${scope}/axis0`, [0])], scope);
    },
  };
}

export interface TokenAndPositionEmbeddingOptions extends BaseLayerOptions {
  /** Vocabulary size: ids must lie in [0, vocabularySize). */
  vocabularySize: number;
  /** The longest sequence (the position table's rows). */
  sequenceLength: number;
  embeddingDim: number;
  /** For both tables; default randomUniform(-0.05, 0.05) ('uniform', as keras-nlp). */
  embeddingsInitializer?: InitializerName | Initializer;
}

export class TokenAndPositionEmbedding extends Layer {
  readonly className = 'TokenAndPositionEmbedding';
  readonly vocabularySize: number;
  readonly sequenceLength: number;
  readonly embeddingDim: number;
  readonly embeddingsInitializer: Initializer;

  constructor(options: TokenAndPositionEmbeddingOptions) {
    super(options, ['vocabularySize', 'sequenceLength', 'embeddingDim', 'embeddingsInitializer'], 'tokenAndPositionEmbedding');
    const label = 'tokenAndPositionEmbedding';
    this.vocabularySize = checkInteger(options?.vocabularySize, `${label}: vocabularySize`, 1);
    this.sequenceLength = checkInteger(options.sequenceLength, `${label}: sequenceLength`, 1);
    this.embeddingDim = checkInteger(options.embeddingDim, `${label}: embeddingDim`, 1);
    this.embeddingsInitializer = getInitializer(options.embeddingsInitializer ?? 'randomUniform', `${label}: embeddingsInitializer`);
  }

  get inputDtype(): DType {
    return 'int32';
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    if (dtype !== 'int32' || input.length !== 1)
      throw new TypeError(`${this.label}: expects int32 token ids [steps], got ${dtype} ${shapeString(input)}; feed tensor(ids, [n, steps], 'int32') or apply it to input({ shape: [steps], dtype: 'int32' })`);
    if (input[0] > this.sequenceLength) throw new TypeError(`${this.label}: the input has ${input[0]} steps, more than sequenceLength ${this.sequenceLength}; raise sequenceLength`);
    return [input[0], this.embeddingDim];
  }

  weightSpecs(): WeightSpec[] {
    const d = this.embeddingDim;
    return [
      { suffix: 'embeddings', shape: [this.vocabularySize, d], initializer: this.embeddingsInitializer, fanIn: this.vocabularySize, fanOut: d },
      { suffix: 'embeddings', shape: [this.sequenceLength, d], initializer: this.embeddingsInitializer, fanIn: this.sequenceLength, fanOut: d },
    ];
  }

  // Weights 'name/token_embedding/embeddings' and 'name/position_embedding/embeddings', as keras-nlp.
  toNodes([input]: number[], firstOutput: number): NodeSpec[] {
    return [
      { op: 'embedding', name: `${this.name}/token_embedding`, inputs: [input], numbers: { inputDim: this.vocabularySize, outputDim: this.embeddingDim } },
      { op: 'position_embedding', name: `${this.name}/position_embedding`, inputs: [firstOutput], numbers: { sequenceLength: this.sequenceLength, add: 1 } },
    ];
  }

  toOnnx(g: GraphBuilder, x: string, _inputRank: number, weights: LayerWeights): string {
    const scope = this.name!;
    const tokens = g.constant(`${scope}/token_embedding/embeddings`, weights['token_embedding/embeddings'].shape, weights['token_embedding/embeddings'].data);
    const looked = g.node('Gather', [tokens, x], scope, [{ name: 'axis', i: 0 }]);
    return g.node('Add', [looked, positionsOf(g, `${scope}/position_embedding`, weights['position_embedding/embeddings']).name(looked)], scope);
  }

  getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), vocabularySize: this.vocabularySize, sequenceLength: this.sequenceLength, embeddingDim: this.embeddingDim,
      embeddingsInitializer: config(this.embeddingsInitializer),
    };
  }
}

export const factories = defineLayers({
  positionEmbedding: { className: 'PositionEmbedding', create: (options: PositionEmbeddingOptions) => new PositionEmbedding(options) },
  tokenAndPositionEmbedding: { className: 'TokenAndPositionEmbedding', create: (options: TokenAndPositionEmbeddingOptions) => new TokenAndPositionEmbedding(options) },
});
