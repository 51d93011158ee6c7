// bidirectional: Keras' Bidirectional wrapper. A recurrent layer reads the sequence forwards and a
// copy of it (goBackwards flipped, weights of its own) backwards; the backward half's outputs are
// put back in time order and the two are merged (concatenated by default). Two native recurrent
// nodes, 'forward' and 'backward', then a concatenate or merge node.
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkOneOf, describe } from '../validate.js';
import { type BaseLayerOptions, Layer, type SequenceMask, type WeightSpec } from './layer.js';
import type { SymbolicTensor } from '../model/symbolic.js';
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { createLayer, defineLayers, layerFromConfig } from './registry.js';
import { RecurrentLayer, type RecurrentCallOptions } from './recurrent.js';
import { recurrentOnnx } from './recurrent-onnx.js';

export type BidirectionalMergeMode = 'concat' | 'sum' | 'mul' | 'ave';
const MODES = ['concat', 'sum', 'mul', 'ave'] as const;
const NATIVE_MERGE = { sum: 'add', mul: 'multiply', ave: 'average' } as const;
const ONNX_MERGE = { sum: 'Add', mul: 'Mul', ave: 'Mean' } as const;

export interface BidirectionalOptions extends BaseLayerOptions {
  /**
   * The recurrent layer (simpleRnn, lstm, gru) that reads forwards; a copy of it reads backwards.
   * Also its saved form `{ className, config }`, or a run config's `{ type: 'lstm', units: 32 }`.
   */
  layer: RecurrentLayer | { className: string; config: Record<string, unknown> } | { type: string; [option: string]: unknown };
  /** How the two directions' outputs combine: 'concat' (default: 2 units features), 'sum', 'mul' or 'ave'. */
  mergeMode?: BidirectionalMergeMode;
}

export class Bidirectional extends Layer {
  readonly className = 'Bidirectional';
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: BidirectionalMergeMode;

  constructor(options: BidirectionalOptions) {
    super(options, ['layer', 'mergeMode'], 'bidirectional');
    const given = options.layer;
    const layer = given instanceof Layer || typeof given !== 'object' || given === null ? given
      : 'type' in given && typeof given.type === 'string' ? createLayer(given.type, Object.fromEntries(Object.entries(given).filter(([k]) => k !== 'type')))
      : layerFromConfig(given as { className: string; config: Record<string, unknown> }, 'bidirectional: layer');
    if (!(layer instanceof RecurrentLayer)) throw new TypeError(`bidirectional: layer must be a recurrent layer (layers.lstm, gru or simpleRnn), got ${describe(given)}`);
    this.mergeMode = checkOneOf(options.mergeMode ?? 'concat', 'bidirectional: mergeMode', MODES);
    this.forwardLayer = layer;
    const { name: _name, inputShape: _shape, ...config } = layer.getConfig();
    this.backwardLayer = layerFromConfig({ className: layer.className, config: { ...config, goBackwards: !layer.goBackwards } }, 'bidirectional') as RecurrentLayer;
    this.backwardLayer.timeOrder = true; // its outputs back in time order, step by step with the forward's
  }

  get returnState(): boolean {
    return this.forwardLayer.returnState;
  }

  /**
   * Applies the layer as a recurrent layer applies (RecurrentCallOptions): initialState lists the
   * forward half's states, then the backward half's, as Keras.
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[], options: RecurrentCallOptions = {}): SymbolicTensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const states = options.initialState === undefined ? list.slice(1) : Array.isArray(options.initialState) ? options.initialState : [options.initialState];
    const all = [list[0], ...states, ...(options.mask === undefined ? [] : [options.mask])];
    const masked = options.mask !== undefined;
    return this.applyWith(all, states.length || masked ? { initialStates: states.length, masked } : undefined);
  }

  get takesMask(): boolean {
    return true;
  }

  /** Whole sequences keep the steps, and their mask (Keras); the last states have none. */
  outputMask<R>(_input: R, mask: SequenceMask<R> | undefined): SequenceMask<R> | undefined {
    return this.forwardLayer.returnSequences ? mask : undefined;
  }

  /** Sets both halves to this use and splits the inputs between them: [forward's, backward's]. */
  private halves<T>(inputs: T[]): [T[], T[]] {
    const args = this.callArgs[this.currentUse] as { initialStates?: number; masked?: boolean } | undefined;
    const carried = args?.masked ? undefined : this.currentMask;
    const states = args?.initialStates ?? 0, masked = (args?.masked ?? false) || carried !== undefined;
    const n = this.forwardLayer.stateCount;
    if (states !== 0 && states !== 2 * n)
      throw new TypeError(`${this.label}: takes ${2 * n} initial states (the forward half's ${n}, then the backward half's), got ${states}`);
    for (const half of [this.forwardLayer, this.backwardLayer]) {
      half.name = this.name;
      half.callArgs[0] = { initialStates: states / 2, masked: args?.masked ?? false };
      half.currentUse = 0;
      half.currentMask = carried;
    }
    const mask = masked ? [inputs[inputs.length - 1]] : [];
    return [[inputs[0], ...inputs.slice(1, 1 + states / 2), ...mask], [inputs[0], ...inputs.slice(1 + states / 2, 1 + states), ...mask]];
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    return this.computeOutputShapes([input], [dtype]);
  }

  computeOutputShapes(inputs: number[][], dtypes: DType[]): number[] {
    const [fShapes, bShapes] = this.halves(inputs);
    const [fTypes, bTypes] = this.halves(dtypes);
    const shape = this.forwardLayer.computeOutputShapes(fShapes, fTypes);
    this.backwardLayer.computeOutputShapes(bShapes, bTypes);
    return this.mergeMode === 'concat' ? [...shape.slice(0, -1), 2 * shape[shape.length - 1]] : shape;
  }

  outputPartShapes(inputs: number[][], dtypes: DType[]): number[][] | undefined {
    if (!this.returnState) return undefined;
    const states = Array.from({ length: 2 * this.forwardLayer.stateCount }, () => [this.forwardLayer.units]);
    return [this.computeOutputShapes(inputs, dtypes), ...states];
  }

  weightSpecs(input: number[]): WeightSpec[] {
    return [...this.forwardLayer.weightSpecs(input), ...this.backwardLayer.weightSpecs(input)];
  }

  toNodes(inputs: number[], firstOutput: number): NodeSpec[] {
    const [fIn, bIn] = this.halves(inputs);
    const name = this.name!;
    const nodes = [this.forwardLayer.recurrentNode(`${name}/forward`, fIn), this.backwardLayer.recurrentNode(`${name}/backward`, bIn)];
    let outputs = [firstOutput, firstOutput + 1];
    let states: NodeSpec[] = [];
    if (this.returnState) {
      // Each half's packed row taken apart: the two outputs first (for the merge), the states after it.
      const [fOut, ...fStates] = this.forwardLayer.stateSlices(`${name}/forward`, firstOutput, this.forwardLayer.steps);
      const [bOut, ...bStates] = this.backwardLayer.stateSlices(`${name}/backward`, firstOutput + 1, this.backwardLayer.steps);
      nodes.push(fOut, bOut);
      outputs = [firstOutput + 2, firstOutput + 3];
      states = [...fStates, ...bStates];
    }
    const merge: NodeSpec = this.mergeMode === 'concat'
      ? { op: 'concatenate', name, inputs: outputs, numbers: { axis: this.forwardLayer.returnSequences ? 1 : 0 } }
      : { op: 'merge', name, inputs: outputs, strings: { mode: NATIVE_MERGE[this.mergeMode] } };
    return [...nodes, merge, ...states];
  }

  toOnnx(g: GraphBuilder, x: string, inputRank: number, weights: LayerWeights): string {
    const out = this.toOnnxInputsAndWeights(g, [x], inputRank, weights);
    return typeof out === 'string' ? out : out[0];
  }

  toOnnxInputsAndWeights(g: GraphBuilder, xs: string[], _inputRank: number, weights: LayerWeights): string | string[] {
    const [fIn, bIn] = this.halves(xs);
    const { masked, maskValue } = this.forwardLayer.roles;
    const io = (inputs: string[], goBackwards: boolean, timeOrder: boolean) => ({
      x: inputs[0], states: inputs.slice(1, masked ? -1 : undefined), mask: masked ? inputs[inputs.length - 1] : undefined, maskValue, goBackwards, timeOrder,
    });
    const scope = this.name!;
    const f = recurrentOnnx(g, this.forwardLayer, scope, weights, 'forward/', io(fIn, this.forwardLayer.goBackwards, false));
    const b = recurrentOnnx(g, this.backwardLayer, scope, weights, 'backward/', io(bIn, this.backwardLayer.goBackwards, true));
    const output = this.mergeMode === 'concat' ? g.node('Concat', [f.output, b.output], scope, [{ name: 'axis', i: -1 }]) : g.node(ONNX_MERGE[this.mergeMode], [f.output, b.output], scope);
    return this.returnState ? [output, ...f.states, ...b.states] : output;
  }

  getConfig(): Record<string, unknown> {
    const { name: _name, ...layer } = this.forwardLayer.getConfig();
    return { ...super.getConfig(), layer: { className: this.forwardLayer.className, config: layer }, mergeMode: this.mergeMode };
  }
}

export const factories = defineLayers({
  bidirectional: { className: 'Bidirectional', create: (options: BidirectionalOptions) => new Bidirectional(options) },
});
