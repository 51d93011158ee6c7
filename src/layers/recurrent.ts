// simpleRnn, lstm, gru: Keras' recurrent layers over [steps, features] per sample, each one native
// op that runs the whole time loop, forward and backpropagation through time (native/ops/recurrent).
// Weights as Keras lays them out: kernel [features, G units], recurrent_kernel [units, G units],
// bias [G units] (GRU: [2, 3 units], input and recurrent biases), gates in Keras' order (LSTM
// i f c o, GRU z r h). Applied with options in a graph model: initial states and a mask of padded
// steps; with returnState, apply() gives the output and the final states.
import { getInitializer, type Initializer, type InitializerName } from './initializers.js';
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { getRegularizer, type Regularizer, regularizerConfig } from './regularizers.js';
import { checkInteger, checkNumber, checkOneOf, shapeString } from '../validate.js';
import { type BaseLayerOptions, Layer, type SequenceMask, type WeightSpec } from './layer.js';
import type { SymbolicTensor } from '../model/symbolic.js';
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { defineLayers } from './registry.js';
import { recurrentOnnx } from './recurrent-onnx.js';

export const RECURRENT_ACTIVATIONS = ['tanh', 'sigmoid', 'relu', 'linear'] as const;
export type RecurrentActivation = (typeof RECURRENT_ACTIVATIONS)[number];
export type CellType = 'simpleRnn' | 'lstm' | 'gru';

export interface SimpleRnnOptions extends BaseLayerOptions {
  units: number;
  /** Default 'tanh'. */
  activation?: RecurrentActivation;
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerName | Initializer;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerName | Initializer;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName | Initializer;
  kernelRegularizer?: Regularizer | 'l2';
  recurrentRegularizer?: Regularizer | 'l2';
  biasRegularizer?: Regularizer | 'l2';
  /** Fraction of the input features dropped in fit, one mask per sample for all steps (Keras). */
  dropout?: number;
  /** Fraction of the state dropped before the recurrent product in fit, one mask per sample. */
  recurrentDropout?: number;
  /** Output every step's state, [steps, units], instead of the last one, [units]. */
  returnSequences?: boolean;
  /** apply() also gives the final states: [output, h] (LSTM: [output, h, c]). */
  returnState?: boolean;
  /** Read the sequence from its end; the output steps come in that order (Keras). */
  goBackwards?: boolean;
  /** Mixed into fit's seed for the dropout masks. */
  seed?: number;
}

export interface LstmOptions extends SimpleRnnOptions {
  /** The gates' activation; default 'sigmoid'. */
  recurrentActivation?: RecurrentActivation;
  /** Start the forget gate's bias at 1 (Keras' default, true). */
  unitForgetBias?: boolean;
}

export interface GruOptions extends SimpleRnnOptions {
  /** The gates' activation; default 'sigmoid'. */
  recurrentActivation?: RecurrentActivation;
  /** Apply the reset gate after the recurrent product (Keras' default and cuDNN's); only true is implemented. */
  resetAfter?: boolean;
}

/** What apply() takes besides the sequence. */
export interface RecurrentCallOptions {
  /** The initial state (LSTM: [h, c]), each [units] per sample; default zeros. */
  initialState?: SymbolicTensor | SymbolicTensor[];
  /**
   * Which steps are real: [steps] per sample, 0 for padding (float32), or the int32 token ids
   * themselves with 0 the padding id (Keras' mask_zero). A padded step keeps the state and
   * outputs zeros; the last output is the state after the last real step.
   */
  mask?: SymbolicTensor;
}

const KEYS = ['units', 'activation', 'recurrentActivation', 'useBias', 'kernelInitializer', 'recurrentInitializer', 'biasInitializer', 'kernelRegularizer',
  'recurrentRegularizer', 'biasRegularizer', 'dropout', 'recurrentDropout', 'returnSequences', 'returnState', 'goBackwards', 'seed', 'unitForgetBias', 'resetAfter'] as const;

const GATES: Record<CellType, number> = { simpleRnn: 1, lstm: 4, gru: 3 };

/** What one use of a recurrent layer reads besides the sequence (its call arguments). */
interface Roles { initialStates: number; masked: boolean }

export abstract class RecurrentLayer extends Layer {
  abstract readonly cell: CellType;
  readonly units: number;
  readonly activation: RecurrentActivation;
  readonly recurrentActivation: RecurrentActivation;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly recurrentInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly recurrentRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly seed: number;
  /** @internal A bidirectional layer's backward half outputs its steps in time order. */
  timeOrder = false;

  constructor(options: LstmOptions & GruOptions, ownKeys: readonly string[], label: string) {
    super(options, ownKeys, label);
    this.units = checkInteger(options?.units, `${label}: units`, 1);
    this.activation = checkOneOf(options.activation ?? 'tanh', `${label}: activation`, RECURRENT_ACTIVATIONS);
    this.recurrentActivation = checkOneOf(options.recurrentActivation ?? 'sigmoid', `${label}: recurrentActivation`, RECURRENT_ACTIVATIONS);
    for (const key of ['useBias', 'returnSequences', 'returnState', 'goBackwards', 'unitForgetBias', 'resetAfter'] as const)
      if (options[key] !== undefined && typeof options[key] !== 'boolean') throw new TypeError(`${label}: ${key} must be true or false`);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = getInitializer(options.kernelInitializer ?? 'glorotUniform', `${label}: kernelInitializer`);
    this.recurrentInitializer = getInitializer(options.recurrentInitializer ?? 'orthogonal', `${label}: recurrentInitializer`);
    this.biasInitializer = getInitializer(options.biasInitializer ?? 'zeros', `${label}: biasInitializer`);
    this.kernelRegularizer = getRegularizer(options.kernelRegularizer, `${label}: kernelRegularizer`);
    this.recurrentRegularizer = getRegularizer(options.recurrentRegularizer, `${label}: recurrentRegularizer`);
    this.biasRegularizer = getRegularizer(options.biasRegularizer, `${label}: biasRegularizer`);
    this.dropout = checkNumber(options.dropout ?? 0, `${label}: dropout`, { min: 0, max: 1, maxExclusive: true });
    this.recurrentDropout = checkNumber(options.recurrentDropout ?? 0, `${label}: recurrentDropout`, { min: 0, max: 1, maxExclusive: true });
    this.returnSequences = options.returnSequences ?? false;
    this.returnState = options.returnState ?? false;
    this.goBackwards = options.goBackwards ?? false;
    this.seed = options.seed === undefined ? 0 : checkInteger(options.seed, `${label}: seed`, 0);
  }

  get gates(): number {
    return GATES[this.cell];
  }
  /** The states the layer carries: h (and c for an LSTM). */
  get stateCount(): number {
    return this.cell === 'lstm' ? 2 : 1;
  }

  /**
   * Applies the layer to a [steps, features] sequence, with optional initial states and a mask
   * of padded steps (RecurrentCallOptions). With returnState the result is a MultiOutputTensor:
   * `const [output, h, c] = lstm.apply(x) as MultiOutputTensor`. A list [x, ...states] is read
   * as Keras reads it: the sequence and its initial states.
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[], options: RecurrentCallOptions = {}): SymbolicTensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const states = options.initialState === undefined ? list.slice(1) : Array.isArray(options.initialState) ? options.initialState : [options.initialState];
    if (options.initialState !== undefined && list.length > 1) throw new TypeError(`${this.label}: initial states were given twice (in the input list and as initialState)`);
    const all = [list[0], ...states, ...(options.mask === undefined ? [] : [options.mask])];
    const roles: Roles = { initialStates: states.length, masked: options.mask !== undefined };
    return this.applyWith(all, roles.initialStates || roles.masked ? { ...roles } : undefined);
  }

  /** This use's inputs besides the sequence; maskValue: the mask is a Masking layer's input (carried to it). */
  get roles(): Roles & { maskValue?: number } {
    const args = this.callArgs[this.currentUse] as Partial<Roles> | undefined;
    const carried = args?.masked ? undefined : this.currentMask;
    return { initialStates: args?.initialStates ?? 0, masked: (args?.masked ?? false) || carried !== undefined, maskValue: carried?.value };
  }

  get takesMask(): boolean {
    return true;
  }

  /** Whole sequences keep the steps, and their mask (Keras); the last state has none. */
  outputMask<R>(_input: R, mask: SequenceMask<R> | undefined): SequenceMask<R> | undefined {
    return this.returnSequences ? mask : undefined;
  }

  computeOutputShape(input: number[], dtype: DType): number[] {
    return this.computeOutputShapes([input], [dtype]);
  }

  computeOutputShapes(inputs: number[][], dtypes: DType[]): number[] {
    const { initialStates, masked, maskValue } = this.roles;
    if (inputs.length !== 1 + initialStates + (masked ? 1 : 0)) throw new TypeError(`${this.label}: takes a sequence, its initial states and a mask, got ${inputs.length} inputs`);
    const [x] = inputs;
    if (dtypes[0] !== 'float32' || x.length !== 2)
      throw new TypeError(`${this.label}: expects float32 [steps, features] per sample, got ${dtypes[0]} ${shapeString(x)}${dtypes[0] === 'int32' ? '; put an embedding layer first for token ids' : x.length === 1 ? '; reshape to [steps, 1] for one feature per step' : ''}`);
    if (initialStates !== 0 && initialStates !== this.stateCount)
      throw new TypeError(`${this.label}: takes ${this.stateCount === 2 ? '2 initial states, [h, c]' : '1 initial state'}, got ${initialStates}`);
    for (let k = 1; k <= initialStates; k++)
      if (dtypes[k] !== 'float32' || inputs[k].length !== 1 || inputs[k][0] !== this.units)
        throw new TypeError(`${this.label}: initial state ${k - 1} must be float32 [${this.units}], got ${dtypes[k]} ${shapeString(inputs[k])}`);
    const mask = inputs[inputs.length - 1];
    if (masked && (mask.length !== (maskValue === undefined ? 1 : 2) || mask[0] !== x[0]))
      throw new TypeError(`${this.label}: the mask must be [${x[0]}] (one value per step, 0 for padding), got ${shapeString(mask)}`);
    this.steps = x[0];
    return this.returnSequences ? [x[0], this.units] : [this.units];
  }
  /** @internal The steps of the sequence computeOutputShapes last saw (toNodes follows it). */
  steps = 1;

  outputPartShapes(inputs: number[][], dtypes: DType[]): number[][] | undefined {
    if (!this.returnState) return undefined;
    return [this.computeOutputShapes(inputs, dtypes), ...Array.from({ length: this.stateCount }, () => [this.units])];
  }

  weightSpecs(input: number[]): WeightSpec[] {
    const features = input[input.length - 1], gu = this.gates * this.units;
    const specs: WeightSpec[] = [
      { suffix: 'kernel', shape: [features, gu], initializer: this.kernelInitializer, fanIn: features, fanOut: gu },
      { suffix: 'recurrent_kernel', shape: [this.units, gu], initializer: this.recurrentInitializer, fanIn: this.units, fanOut: gu },
    ];
    if (this.useBias) specs.push({ suffix: 'bias', shape: this.cell === 'gru' ? [2, gu] : [gu], initializer: this.biasInitializerFor(), fanIn: features, fanOut: gu });
    return specs;
  }

  /** The bias initializer as used (an LSTM's forget gate starts at 1 with unitForgetBias). */
  protected biasInitializerFor(): Initializer {
    return this.biasInitializer;
  }

  /** The native node (its output packed with the final states when returnState). */
  recurrentNode(name: string, inputs: number[], options: { goBackwards?: boolean; timeOrder?: boolean } = {}): NodeSpec {
    const { initialStates, masked, maskValue } = this.roles;
    return {
      op: 'recurrent', name, inputs,
      numbers: {
        units: this.units, returnSequences: this.returnSequences ? 1 : 0, returnState: this.returnState ? 1 : 0,
        goBackwards: (options.goBackwards ?? this.goBackwards) ? 1 : 0, timeOrder: (options.timeOrder ?? this.timeOrder) ? 1 : 0,
        useBias: this.useBias ? 1 : 0, initialState: initialStates ? 1 : 0, masked: masked ? 1 : 0,
        dropout: this.dropout, recurrentDropout: this.recurrentDropout, seed: this.seed,
        kernelL2: this.kernelRegularizer?.l2 ?? 0, recurrentL2: this.recurrentRegularizer?.l2 ?? 0, biasL2: this.biasRegularizer?.l2 ?? 0,
        ...(maskValue !== undefined ? { maskValue } : {}),
      },
      strings: { cell: this.cell, activation: this.activation, recurrentActivation: this.recurrentActivation },
    };
  }

  /** Slice nodes taking a returnState node's packed row (tensor `packed`) apart: [output, h(, c)]. */
  stateSlices(name: string, packed: number, steps: number): NodeSpec[] {
    const main = this.returnSequences ? [steps, this.units] : [this.units];
    const width = main.reduce((a, b) => a * b, 1);
    const slice = (part: string, offset: number, shape: number[]): NodeSpec => ({
      op: 'input_slice', name: `${name}/${part}`, inputs: [packed], numbers: { offset }, strings: { shape: shape.join(','), dtype: 'float32' },
    });
    return [slice('output', 0, main), slice('state_h', width, [this.units]), ...(this.cell === 'lstm' ? [slice('state_c', width + this.units, [this.units])] : [])];
  }

  toNodes(inputs: number[], firstOutput: number): NodeSpec[] {
    const node = this.recurrentNode(this.name!, inputs);
    if (!this.returnState) return [node];
    return [node, ...this.stateSlices(this.name!, firstOutput, this.steps)];
  }

  toOnnx(g: GraphBuilder, x: string, inputRank: number, weights: LayerWeights): string {
    const out = this.toOnnxInputsAndWeights(g, [x], inputRank, weights);
    return typeof out === 'string' ? out : out[0];
  }

  toOnnxInputsAndWeights(g: GraphBuilder, xs: string[], _inputRank: number, weights: LayerWeights): string | string[] {
    const { initialStates, masked, maskValue } = this.roles;
    const out = recurrentOnnx(g, this, this.name!, weights, '', {
      x: xs[0], states: xs.slice(1, 1 + initialStates), mask: masked ? xs[xs.length - 1] : undefined, maskValue, goBackwards: this.goBackwards, timeOrder: this.timeOrder,
    });
    return this.returnState ? [out.output, ...out.states] : out.output;
  }

  getConfig(): Record<string, unknown> {
    const init = (i: Initializer) => ({ name: i.name, config: i.getConfig() });
    return {
      ...super.getConfig(), units: this.units, activation: this.activation,
      ...(this.cell !== 'simpleRnn' ? { recurrentActivation: this.recurrentActivation } : {}),
      useBias: this.useBias, kernelInitializer: init(this.kernelInitializer), recurrentInitializer: init(this.recurrentInitializer), biasInitializer: init(this.biasInitializer),
      ...(this.kernelRegularizer ? { kernelRegularizer: regularizerConfig(this.kernelRegularizer) } : {}),
      ...(this.recurrentRegularizer ? { recurrentRegularizer: regularizerConfig(this.recurrentRegularizer) } : {}),
      ...(this.biasRegularizer ? { biasRegularizer: regularizerConfig(this.biasRegularizer) } : {}),
      dropout: this.dropout, recurrentDropout: this.recurrentDropout,
      returnSequences: this.returnSequences, returnState: this.returnState, goBackwards: this.goBackwards,
      ...(this.seed ? { seed: this.seed } : {}),
    };
  }
}

export class SimpleRnn extends RecurrentLayer {
  readonly className = 'SimpleRNN';
  readonly cell = 'simpleRnn';
  constructor(options: SimpleRnnOptions) {
    super(options, KEYS.filter((k) => k !== 'recurrentActivation' && k !== 'unitForgetBias' && k !== 'resetAfter'), 'simpleRnn');
  }
}

export class Lstm extends RecurrentLayer {
  readonly className = 'LSTM';
  readonly cell = 'lstm';
  readonly unitForgetBias: boolean;
  constructor(options: LstmOptions) {
    super(options, KEYS.filter((k) => k !== 'resetAfter'), 'lstm');
    this.unitForgetBias = options.unitForgetBias ?? true;
  }

  // Keras: the forget gate's quarter of the bias is ones, the rest from biasInitializer.
  protected biasInitializerFor(): Initializer {
    if (!this.unitForgetBias) return this.biasInitializer;
    const base = this.biasInitializer, units = this.units;
    return {
      name: base.name,
      getConfig: () => base.getConfig(),
      generate: (size, fanIn, fanOut, random) => {
        const values = base.generate(size, fanIn, fanOut, random);
        values.fill(1, units, 2 * units);
        return values;
      },
    };
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), unitForgetBias: this.unitForgetBias };
  }
}

export class Gru extends RecurrentLayer {
  readonly className = 'GRU';
  readonly cell = 'gru';
  constructor(options: GruOptions) {
    super(options, KEYS.filter((k) => k !== 'unitForgetBias'), 'gru');
    if (options.resetAfter === false)
      throw new TypeError("gru: resetAfter false (Keras 1's GRU) is not implemented; gradloop's GRU resets after the recurrent product, Keras' default (true), as cuDNN and ONNX's linear_before_reset = 1");
  }

  getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), resetAfter: true };
  }
}

export const factories = defineLayers({
  simpleRnn: { className: 'SimpleRNN', create: (options: SimpleRnnOptions) => new SimpleRnn(options) },
  lstm: { className: 'LSTM', create: (options: LstmOptions) => new Lstm(options) },
  gru: { className: 'GRU', create: (options: GruOptions) => new Gru(options) },
});
