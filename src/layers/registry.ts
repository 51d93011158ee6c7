// The one list of layer types (as tfjs' registerClass): each layer file defines its factories
// here, and everything that turns a name into a layer goes through it: layers.* (the API),
// layerFromConfig (checkpoints, by class name) and the command line's model config (by type).
import type { Layer } from './layer.js';

interface LayerType {
  /** The factory's name: layers.<type>(options), and "type" in a run config. */
  type: string;
  /** The class name getConfig() and checkpoints record, e.g. 'Dense', 'ReLU'. */
  className: string;
  create(options: Record<string, unknown>): Layer;
}

const byType = new Map<string, LayerType>();
const byClassName = new Map<string, LayerType>();

type Definitions = Record<string, { className: string; create: (options: never) => Layer }>;

/**
 * Registers layer types and returns their factories, typed as written:
 * `export const factories = defineLayers({ dense: { className: 'Dense', create: (o: DenseOptions) => new Dense(o) } })`.
 */
export function defineLayers<T extends Definitions>(definitions: T): { [K in keyof T]: T[K]['create'] } {
  const factories: Record<string, unknown> = {};
  for (const [type, { className, create }] of Object.entries(definitions)) {
    if (byType.has(type) || byClassName.has(className)) throw new Error(`defineLayers: '${type}' (${className}) is defined twice`);
    const entry: LayerType = { type, className, create: create as (options: Record<string, unknown>) => Layer };
    byType.set(type, entry);
    byClassName.set(className, entry);
    factories[type] = create;
  }
  return factories as { [K in keyof T]: T[K]['create'] };
}

/** Every layer type, for the command line's config and its error messages. */
export function layerTypes(): string[] {
  return [...byType.keys()];
}

/** A layer from its type and options, as the command line's model config names them. */
export function createLayer(type: string, options: Record<string, unknown>): Layer {
  const entry = byType.get(type);
  if (!entry) throw new TypeError(`unknown layer type '${type}'; known: ${layerTypes().join(', ')}`);
  return entry.create(options);
}

/** A layer from getConfig()'s { className, config } (loading a saved model). */
export function layerFromConfig(entry: { className: string; config: Record<string, unknown> }, where: string): Layer {
  const { className, config } = entry ?? {};
  if (typeof config !== 'object' || config === null) throw new TypeError(`${where}: layer entry needs { className, config }`);
  const type = byClassName.get(className);
  if (!type) throw new TypeError(`${where}: unknown layer class '${className}'; known: ${[...byClassName.keys()].join(', ')}`);
  return type.create(config);
}
