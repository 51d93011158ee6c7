// The base of every layer: configuration, shape inference with errors that
// name the layer, the weights it owns, and the native graph nodes it becomes.
import type { GraphBuilder, LayerWeights } from '../onnx/graph.js';
import { autoName, MultiOutputTensor, SymbolicTensor } from '../model/symbolic.js';
import type { Initializer } from './initializers.js';
import type { NodeSpec } from '../backend/native.js';
import type { DType } from '../tensor.js';
import { checkKeys, checkShape, describe, shapeString } from '../validate.js';

export interface WeightSpec {
  suffix: 'kernel' | 'recurrent_kernel' | 'bias' | 'embeddings' | 'gamma' | 'beta' | 'moving_mean' | 'moving_variance';
  shape: number[];
  initializer: Initializer;
  fanIn: number;
  fanOut: number;
  /** false: a weight the layer updates itself, never trained (batch normalization's moving statistics). */
  trainable?: false;
}

/**
 * Which steps of a sequence are padding (Keras' mask), as a tensor of the graph: int32 token ids
 * (0 = padding; an embedding's maskZero), or, with `value`, a Masking layer's input [steps,
 * features] (a step all of whose features equal value is padding). R: how the graph names tensors.
 */
export interface SequenceMask<R> {
  tensor: R;
  value?: number;
}

export interface BaseLayerOptions {
  /** Layer name, unique in the model; defaults to `<type>_<n>`. */
  name?: string;
  /** Shape of one input sample (without the batch dimension); needed on the first layer. */
  inputShape?: number[];
  /** false freezes the layer's weights (as setting layer.trainable = false). Default true. */
  trainable?: boolean;
}

const BASE_KEYS = ['name', 'inputShape', 'trainable'] as const;

export abstract class Layer {
  /** Keras-style class name shown by summary(), e.g. 'Dense'. */
  abstract readonly className: string;
  /** Assigned by the model when the user gave none. */
  name: string | undefined;
  readonly inputShape: number[] | undefined;
  /**
   * false freezes the layer (Keras' layer.trainable): from the next compile() its weights get no
   * gradient (the native backward skips that work) and no update; layers before it still train.
   */
  trainable: boolean;

  constructor(options: BaseLayerOptions, ownKeys: readonly string[], label: string) {
    checkKeys(options, label, [...BASE_KEYS, ...ownKeys]);
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === ''))
      throw new TypeError(`${label}: name must be a non-empty string`);
    this.name = options.name;
    this.inputShape = options.inputShape === undefined ? undefined : checkShape(options.inputShape, `${label}: inputShape`);
    if (options.trainable !== undefined && typeof options.trainable !== 'boolean') throw new TypeError(`${label}: trainable must be true or false`);
    this.trainable = options.trainable ?? true;
  }

  /** The element type this layer accepts as the model's first layer. */
  get inputDtype(): DType {
    return 'float32';
  }

  /** For messages: "layer 'dense_1' (Dense)". */
  protected get label(): string {
    return `layer '${this.name}' (${this.className})`;
  }

  /** Validates the per-sample input shape/type and returns the output shape. */
  abstract computeOutputShape(input: number[], dtype: DType): number[];

  /** The same for a list of inputs: one for most layers; merge layers take several. */
  computeOutputShapes(inputs: number[][], dtypes: DType[]): number[] {
    if (inputs.length !== 1) throw new TypeError(`${this.label}: takes one input, got ${inputs.length}`);
    return this.computeOutputShape(inputs[0], dtypes[0]);
  }

  /** The output's element type: float32, except for layers that only move values (reshape). */
  computeOutputDtype(_dtypes: DType[]): DType {
    return 'float32';
  }

  /**
   * Applies the layer to symbolic tensors (from input() or another layer's apply()), building a
   * graph for model({ inputs, outputs }), as tfjs' layer.apply / Keras' layer(x). A layer applied
   * more than once shares its weights between the uses. Shapes are checked here: an Error names
   * this layer, the layers its inputs come from and their shapes.
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    return this.applyWith(inputs, undefined);
  }

  /**
   * @internal apply() with the use's call arguments (JSON: kept in the graph's saved wiring, and
   * given back here when a model is loaded), for layers whose inputs are of several kinds (a
   * recurrent layer's initial states and mask).
   */
  applyWith(inputs: SymbolicTensor | SymbolicTensor[], args: Record<string, unknown> | undefined): SymbolicTensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    this.name ??= autoName(this.className.toLowerCase()); // as Keras, a graph's layers are named when used
    list.forEach((t, k) => {
      if (!(t instanceof SymbolicTensor))
        throw new TypeError(`${this.applyLabel}.apply: input ${k} is ${describe(t)}, not a symbolic tensor; apply layers to input({ shape }) or another layer's apply() result, and run data through model.predict()`);
    });
    let shape: number[];
    let parts: number[][] | undefined;
    this.callArgs[this.applications.length] = args;
    this.currentUse = this.applications.length;
    try {
      shape = this.computeOutputShapes(list.map((t) => t.shape), list.map((t) => t.dtype));
      parts = this.outputPartShapes(list.map((t) => t.shape), list.map((t) => t.dtype));
    } catch (err) {
      this.callArgs.length = this.applications.length;
      const from = list.map((t) => `${shapeString(t.shape)} from ${t.sourceLabel}`).join(', ');
      throw new TypeError(`${(err as Error).message} (inputs: ${from})`, { cause: err });
    }
    const previous = this.applications[0];
    if (previous) {
      const wanted = this.weightSpecs(previous.inputs[0].shape).map((w) => shapeString(w.shape)).join(', ');
      const got = this.weightSpecs(list[0].shape).map((w) => shapeString(w.shape)).join(', ');
      if (wanted !== got)
        throw new TypeError(`${this.applyLabel}: applied again to an input of shape ${shapeString(list[0].shape)} from ${list[0].sourceLabel}, but its weights (${wanted}) were made for ${shapeString(previous.inputs[0].shape)}; a shared layer needs inputs of one shape`);
    }
    const dtype = this.computeOutputDtype(list.map((t) => t.dtype));
    const index = this.applications.length;
    let output: SymbolicTensor;
    if (parts) {
      const all: SymbolicTensor[] = [];
      parts.forEach((s, part) => all.push(new (part === 0 ? MultiOutputTensor : SymbolicTensor)(s, 'float32', { layer: this, index, inputs: list, part, parts: all })));
      output = all[0];
    } else {
      output = new SymbolicTensor(shape, dtype, { layer: this, index, inputs: list });
    }
    this.applications.push({ inputs: list, output });
    return output;
  }

  /** @internal Every apply() of this layer, in order (a layer applied twice is shared). */
  readonly applications: { inputs: SymbolicTensor[]; output: SymbolicTensor }[] = [];
  /** @internal Each use's call arguments (applyWith), by use. */
  readonly callArgs: (Record<string, unknown> | undefined)[] = [];
  /**
   * @internal The use that the next computeOutputShapes, toNodes and toOnnx calls are about: the
   * model and the ONNX export set it before them, for layers whose uses differ (callArgs).
   */
  currentUse = 0;

  /**
   * @internal The mask this use's input carries, when the layer takes masks (takesMask) and was
   * given none of its own: set by the model and the ONNX export with currentUse.
   */
  currentMask: SequenceMask<unknown> | undefined = undefined;

  /** Whether the layer skips padded steps given a mask (recurrent layers: Keras' supports_masking on a consumer). */
  get takesMask(): boolean {
    return false;
  }

  /**
   * The mask this layer's output carries given its input `input` and the mask that input
   * carries (Keras' compute_mask): none by default; a layer that keeps the steps (dropout, dense,
   * activations) passes it on, an embedding with maskZero or a Masking layer makes one.
   */
  outputMask<R>(_input: R, _inputMask: SequenceMask<R> | undefined): SequenceMask<R> | undefined {
    return undefined;
  }

  /**
   * For a layer with several outputs (a recurrent layer's returned states): every output's
   * shape, the first being computeOutputShapes'; its last toNodes nodes produce them, in order.
   * Undefined (the default): one output.
   */
  outputPartShapes(_inputs: number[][], _dtypes: DType[]): number[][] | undefined {
    return undefined;
  }

  private get applyLabel(): string {
    return this.name ? `layer '${this.name}' (${this.className})` : `a ${this.className} layer`;
  }

  /** Weights this layer owns for the given input shape. */
  weightSpecs(_input: number[]): WeightSpec[] {
    return [];
  }

  /**
   * The native nodes this layer becomes; node k reads its inputs and writes tensor `firstOutput + k`.
   * With `separateActivation` (asked of a model's output layer that ends in sigmoid or softmax), the
   * final activation must be a node of its own, so that the loss can read the logits before it.
   */
  abstract toNodes(inputs: number[], firstOutput: number, options?: { separateActivation?: boolean }): NodeSpec[];

  /** The activation this layer applies last, if any ('sigmoid', 'softmax', ...): a probability output? */
  get outputActivation(): string | undefined {
    return undefined;
  }

  /**
   * Appends this layer's ONNX form to the graph: `x` is its input tensor's name, `inputRank` that
   * tensor's rank including the batch dimension, `weights` its weights by suffix. Returns the
   * output tensor's name. A layer without an ONNX form keeps this default, which names it.
   */
  toOnnx(_g: GraphBuilder, _x: string, _inputRank: number, _weights: LayerWeights): string {
    throw new Error(`exportOnnx: layer '${this.name}' (${this.className}) has no ONNX mapping; remove it or export without it`);
  }

  /**
   * The ONNX form given every input (a layer of several inputs, such as attention, overrides
   * this): the output's name, or, for a layer with several outputs, each one's.
   */
  toOnnxInputsAndWeights(g: GraphBuilder, xs: string[], inputRank: number, weights: LayerWeights): string | string[] {
    return this.toOnnx(g, xs[0], inputRank, weights);
  }

  /** Serializable configuration (Keras' getConfig). */
  getConfig(): Record<string, unknown> {
    return { name: this.name, ...(this.inputShape ? { inputShape: this.inputShape } : {}), ...(this.trainable ? {} : { trainable: false }) };
  }
}
