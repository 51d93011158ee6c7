// The layer factories, under Keras/tfjs names: layers.dense({...}), layers.relu(), ..., built from
// every layer file's factories (all.ts), and the classes and registry lookups the rest of gradloop uses.
import * as all from './all.js';

export { Activation, type ActivationName, type ActivationOptions } from './activations.js';
export { Bidirectional, type BidirectionalMergeMode, type BidirectionalOptions } from './bidirectional.js';
export { BatchNormalization, type BatchNormalizationOptions } from './batch-normalization.js';
export { Conv1d, type Conv1dOptions, GlobalPooling1d, Pooling1d, type Pooling1dOptions } from './conv1d.js';
export { Conv2d, type Conv2dOptions, DepthwiseConv2d, type DepthwiseConv2dOptions } from './conv2d.js';
export { Conv2dTranspose, type Conv2dTransposeOptions } from './conv2d-transpose.js';
export { Dense, type DenseOptions } from './dense.js';
export { Dropout, type DropoutOptions } from './dropout.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { Flatten } from './flatten.js';
export { LayerNormalization, type LayerNormalizationOptions } from './layer-normalization.js';
export { Masking, type MaskingOptions } from './masking.js';
export { GlobalPooling2d, Pooling2d, type Pooling2dOptions } from './pooling2d.js';
export { Concatenate, type ConcatenateOptions, Merge, MergeLayer, type MergeMode } from './merge.js';
export { UpSampling2d, type UpSampling2dOptions, ZeroPadding2d, type ZeroPadding2dOptions } from './padding-and-upsampling.js';
export { MultiHeadAttention, type MultiHeadAttentionOptions } from './multi-head-attention.js';
export { Permute, type PermuteOptions } from './permute.js';
export { PositionEmbedding, type PositionEmbeddingOptions, TokenAndPositionEmbedding, type TokenAndPositionEmbeddingOptions } from './position-embedding.js';
export { RandomTranslation, type RandomTranslationOptions, type FillMode } from './random-translation.js';
export { Gru, type GruOptions, Lstm, type LstmOptions, type RecurrentActivation, type RecurrentCallOptions, RecurrentLayer, SimpleRnn, type SimpleRnnOptions } from './recurrent.js';
export { RepeatVector, type RepeatVectorOptions } from './repeat-vector.js';
export { Reshape, type ReshapeOptions } from './reshape.js';
export { Layer, type BaseLayerOptions, type SequenceMask, type WeightSpec } from './layer.js';
export { createLayer, layerFromConfig, layerTypes } from './registry.js';

type Modules = (typeof all)[keyof typeof all];
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every layer factory: layers.dense(options), layers.relu(), layers.embedding(options), ... */
export const layers = Object.assign({}, ...Object.values(all).map((m) => m.factories)) as UnionToIntersection<Modules['factories']>;
