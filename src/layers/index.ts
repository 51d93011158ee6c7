// The layer factories, under Keras/tfjs names: layers.dense({...}), layers.relu(), ...
import { Activation, type ActivationName } from './activations.js';
import { Dense, type DenseOptions } from './dense.js';
import { Dropout, type DropoutOptions } from './dropout.js';
import { Embedding, type EmbeddingOptions } from './embedding.js';
import { Flatten } from './flatten.js';
import type { BaseLayerOptions } from './layer.js';

export { Activation, Dense, Dropout, Embedding, Flatten };
export { Layer, type BaseLayerOptions, type WeightSpec } from './layer.js';
export type { ActivationName, DenseOptions, DropoutOptions, EmbeddingOptions };

const simple = (activation: ActivationName, className: string) => (options: BaseLayerOptions = {}) =>
  new Activation({ ...options, activation }, className);

export const layers = {
  dense: (options: DenseOptions) => new Dense(options),
  dropout: (options: DropoutOptions) => new Dropout(options),
  flatten: (options: BaseLayerOptions = {}) => new Flatten(options),
  embedding: (options: EmbeddingOptions) => new Embedding(options),
  /** Any activation by name: layers.activation({ activation: 'tanh' }). */
  activation: (options: BaseLayerOptions & { activation: ActivationName; alpha?: number }) => new Activation(options),
  relu: simple('relu', 'ReLU'),
  leakyRelu: (options: BaseLayerOptions & { alpha?: number } = {}) => new Activation({ ...options, activation: 'leakyRelu' }, 'LeakyReLU'),
  sigmoid: simple('sigmoid', 'Sigmoid'),
  tanh: simple('tanh', 'Tanh'),
  gelu: simple('gelu', 'GELU'),
  softmax: simple('softmax', 'Softmax'),
};
