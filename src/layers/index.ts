// The layer factories, under Keras/tfjs names: layers.dense({...}), layers.relu(), ...
import { Activation, type ActivationName } from './activations.js';
import { Dense, type DenseOptions } from './dense.js';
import { Dropout, type DropoutOptions } from './dropout.js';
import { Embedding, type EmbeddingOptions } from './embedding.js';
import { Flatten } from './flatten.js';
import { type BaseLayerOptions, Layer } from './layer.js';

export { Activation, Dense, Dropout, Embedding, Flatten };
export { Layer };
export type { BaseLayerOptions, WeightSpec } from './layer.js';
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

const ACTIVATION_CLASSES = ['Activation', 'ReLU', 'LeakyReLU', 'Sigmoid', 'Tanh', 'GELU', 'Softmax'];

/** A layer from getConfig()'s { className, config } (loading a saved model). */
export function layerFromConfig(entry: { className: string; config: Record<string, unknown> }, where: string): Layer {
  const { className, config } = entry ?? {};
  if (typeof config !== 'object' || config === null) throw new TypeError(`${where}: layer entry needs { className, config }`);
  switch (className) {
    case 'Dense':
      return new Dense(config as unknown as DenseOptions);
    case 'Dropout':
      return new Dropout(config as unknown as DropoutOptions);
    case 'Flatten':
      return new Flatten(config as BaseLayerOptions);
    case 'Embedding':
      return new Embedding(config as unknown as EmbeddingOptions);
    default:
      if (ACTIVATION_CLASSES.includes(className))
        return new Activation(config as unknown as BaseLayerOptions & { activation: ActivationName }, className);
      throw new TypeError(`${where}: unknown layer class '${className}'; known: Dense, Dropout, Flatten, Embedding, ${ACTIVATION_CLASSES.join(', ')}`);
  }
}
