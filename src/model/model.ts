// sequential(): a stack of layers that compiles into one native program.
// compile() attaches the loss and optimizer; fit/evaluate/predict run natively.
import { isMain } from '../distributed/index.js';
import { type Callback } from '../train/callbacks.js';
import { History } from '../train/history.js';
import { checkFeatures, checkTargets, type InputData, type ModelInput, rowsOf, type TargetData } from './inputs.js';
import { input, MultiOutputTensor, SymbolicTensor } from './symbolic.js';
import { type CheckpointContents, type CheckpointManifest, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, readCheckpoint, writeCheckpoint } from '../io/checkpoint.js';
import { Embedding, Layer, layerFromConfig, type SequenceMask, TokenAndPositionEmbedding } from '../layers/index.js';
import { type CompiledModel, type FitData, fitLoop, type FitOptions, headLogs, metricLogs, metricMatrices, type TrainingPosition } from '../train/loop.js';
import { readSampleWeight } from '../train/fit-options.js';
import { Dataset } from '../data/dataset.js';
import { getLoss, type LabelSpec, labelSpec, type Loss, type LossName, type LossOptions, lossOptions, lossParam, lossTensor, nativeLossName, PROBABILITY_ACTIVATION } from './losses.js';
import { exportOnnx, type ExportOnnxOptions } from '../onnx/export.js';
import type { NativeProgram, NodeSpec, ProgramSpec } from '../backend/native.js';
import { blasWarningOnce, checkPrecision, cpuDevice, type Device, type DeviceRequest, type Precision, resolveDevice } from '../backend/device.js';
import { getOptimizer, type Optimizer, optimizerFromConfig } from '../optim/optimizers.js';
import { deriveSeed, freshSeed, Random } from '../random.js';
import { formatSummary } from './summary.js';
import { Decoder } from './decoder.js';
import { type Tokenizer, tokenizerFromJSON } from '../text/tokenizers.js';
import { type DType, Tensor, type Weight } from '../tensor.js';
import { checkElements, checkInteger, checkKeys, checkNumber, checkOneOf, describe, sameShape, shapeString, MAX_BATCH_SIZE } from '../validate.js';
import { VERSION } from '../version.js';
import { getMetric, type Metric } from '../metrics/metrics.js';
import { HeadMetrics } from '../metrics/compute.js';

export interface CompileOptions {
  optimizer: Optimizer | 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad' | 'adadelta' | 'adamax' | 'nadam' | 'lion';
  /**
   * A loss name, or losses.<name>({ fromLogits }) (see losses.ts for what each expects). A model
   * with several outputs takes one per output (an array in output order, or an object by output
   * name), or one for all.
   */
  loss: LossName | Loss | (LossName | Loss)[] | Record<string, LossName | Loss>;
  /** Several outputs: each loss's weight in the total (Keras' lossWeights), by order or name; default 1. */
  lossWeights?: number[] | Record<string, number>;
  /**
   * Metrics by name ('accuracy', 'precision', 'auc', 'r2', ...) or metrics.<name>({...}), computed
   * over each whole epoch and added to the history (valPrecision for the validation data),
   * evaluate() and the progress lines. Unweighted, as Keras' metrics; for several outputs, one list
   * for all, an array by order, or an object by output name.
   */
  metrics?: Metric[] | Metric[][] | Record<string, Metric[]>;
  /** Metrics weighted by fit's sampleWeight and classWeight (Keras' weighted_metrics); taken as metrics. */
  weightedMetrics?: Metric[] | Metric[][] | Record<string, Metric[]>;
  /** Scale the gradients so their global L2 norm is at most this (torch.nn.utils.clip_grad_norm_). */
  clipNorm?: number;
  /** Clamp every gradient element to [-clipValue, clipValue]. */
  clipValue?: number;
  /**
   * Where to train: 'auto' (default: a usable NVIDIA GPU, else the CPU, saying why in verbose
   * output), 'cpu', 'cuda' or 'cuda:<index>' (an Error when that GPU cannot be used).
   */
  device?: DeviceRequest;
  /** 'float32' (default) or 'tf32': TF32 tensor cores for matrix products on GPUs that have them. */
  precision?: Precision;
}

/**
 * evaluate()'s result: the loss and every compiled metric by its name (several outputs:
 * label_loss, label_precision, ...). The 'confusionMatrix' metric's counts (true class by
 * predicted class) are in confusionMatrices by their key, and a single output's in confusionMatrix.
 */
export type Evaluation = { loss: number; accuracy?: number } & Record<string, number> & {
  confusionMatrix?: number[][];
  confusionMatrices?: Record<string, number[][]>;
};

export interface SequentialOptions {
  name?: string;
  /** Seed for the initial weights; random when omitted. */
  seed?: number;
}

/** What the compiled program knows about itself; built on first use. */
interface Built {
  program: NativeProgram;
  /** The device the program (and the data sets made for it) live on. */
  device: Device;
  spec: ProgramSpec;
  input: ModelInput;
  /** The model's inputs by name, in order (fit/predict take data as an array in this order, or an object by name). */
  inputNames: string[];
  /** Per-sample output shape of each layer (of its first use). */
  layerShapes: number[][];
  /**
   * Each output: its name (the layer that makes it), shape, tensor, the layer's last activation,
   * and the tensor before that activation (the logits) when it is sigmoid or softmax.
   */
  outputs: { name: string; shape: number[]; tensor: number; layer: string; activation?: string; logitsTensor?: number }[];
  /** trainable false: updated by its layer, never by the optimizer (batch normalization's moving statistics). */
  weights: { name: string; shape: number[]; layer: string; trainable: boolean }[];
}

type Compiled = CompiledModel;

/** What the last fit() did, for exported metadata. */
export interface TrainingSummary {
  epochs: number;
  batchSize: number;
  samples: number;
  /** Last epoch's metrics (loss, accuracy, valLoss, valAccuracy). */
  final: Record<string, number>;
}

let modelCount = 0;

/**
 * The graph a model compiles: its inputs, every use of a layer in an order where inputs come
 * first, and the output. Sequential makes a chain; model({ inputs, outputs }) walks the symbolic
 * tensors back from the output. Tensors are identified by object (`ref`).
 */
export interface Topology {
  inputs: { name: string; shape: number[]; dtype: DType; ref: object; label?: () => string }[];
  /** `parts`: every output of a layer that has several (its first is `output`). `use`: which use of the layer it is. */
  applications: { layer: Layer; inputs: object[]; output: object; parts?: object[]; use?: number }[];
  outputs: object[];
}

/**
 * A model: a graph of layers compiled into one native program (tfjs' LayersModel, Keras' Model).
 * `sequential([...])` builds a chain of layers, `model({ inputs, outputs })` any graph of them.
 */
export abstract class Model {
  readonly name: string;
  /** Every layer, in the order they are first used. */
  abstract readonly layers: Layer[];
  /**
   * The tokenizer of a text model, kept with it: model.save() writes it into the checkpoint
   * (tokenizer.json) and loadModel() gives it back, so generation needs nothing else.
   */
  tokenizer: Tokenizer | undefined;
  /** Set to true (e.g. from a callback) to end fit() after the current batch. */
  stopTraining = false;
  protected readonly seed: number;
  protected built?: Built;
  private compiled?: Compiled;
  // The async entry point running now (fit, evaluate), named in "busy" errors.
  private busyWith?: string;
  private lastFit?: TrainingSummary;
  /** Where the last (or current) fit stands; saved in checkpoints. */
  private position?: TrainingPosition;
  /** Why compile's device: 'auto' picked the device it did; shown once, at the first verbose fit. */
  private deviceNote?: string;
  private disposed = false;

  protected constructor(name: string, seed: number) {
    this.name = name;
    this.seed = seed;
  }

  /** The graph to compile (called once, when the model is first built). */
  protected abstract topology(): Topology;

  /** The graph's description for getConfig and checkpoints (beyond the layers' own configs). */
  protected graphConfig(): GraphConfig | undefined {
    return undefined;
  }

  // ---- building ----

  private build(): Built {
    if (this.disposed) throw new Error(`model '${this.name}' was disposed; build a new one`);
    if (this.built) return this.built;
    const topo = this.topology();

    // Names: the user's, or <type>_<n> per type.
    const counts: Record<string, number> = {};
    const taken = new Set(this.layers.map((l) => l.name).filter(Boolean));
    for (const layer of this.layers) {
      if (layer.name) continue;
      const base = layer.className.toLowerCase();
      let name: string;
      do name = `${base}_${(counts[base] = (counts[base] ?? 0) + 1)}`;
      while (taken.has(name));
      layer.name = name;
      taken.add(name);
    }
    if (taken.size !== this.layers.length) throw new TypeError(`model '${this.name}': layer names must be unique`);

    // The program's input: the model's one input, or several packed side by side in one row of
    // 4-byte values, each unpacked by an input_slice node (native/ops/input_slice).
    const nodes: NodeSpec[] = [];
    const tensors = new Map<object, { id: number; shape: number[]; dtype: DType }>();
    // Token ids an input's embeddings can look up: the smallest vocabulary among them.
    const vocabOf = (ref: object) => {
      let vocab: { size: number; layer: string } | undefined;
      for (const a of topo.applications) {
        if (a.inputs[0] !== ref) continue;
        const size = a.layer instanceof Embedding ? a.layer.inputDim : a.layer instanceof TokenAndPositionEmbedding ? a.layer.vocabularySize : undefined;
        if (size !== undefined && (!vocab || size < vocab.size)) vocab = { size, layer: a.layer.name! };
      }
      return vocab ? { vocab } : {};
    };
    let input: ModelInput;
    if (topo.inputs.length === 1) {
      const only = topo.inputs[0];
      checkElements(only.shape, only.label?.() ?? `model '${this.name}': input '${only.name}'`);
      input = { shape: only.shape, dtype: only.dtype, ...vocabOf(only.ref) };
      tensors.set(only.ref, { id: 0, shape: only.shape, dtype: only.dtype });
    } else {
      let offset = 0;
      const parts = topo.inputs.map((i) => {
        checkElements(i.shape, `model '${this.name}': input '${i.name}'`);
        const width = i.shape.reduce((a, b) => a * b, 1);
        nodes.push({ op: 'input_slice', name: i.name, inputs: [0], numbers: { offset }, strings: { shape: i.shape.join(','), dtype: i.dtype } });
        tensors.set(i.ref, { id: nodes.length, shape: i.shape, dtype: i.dtype });
        offset += width;
        return { name: i.name, shape: i.shape, dtype: i.dtype, ...vocabOf(i.ref) };
      });
      input = { shape: [offset], dtype: 'float32', parts };
    }

    // Shapes, weights and nodes, one layer use at a time. A layer used again (shared) makes no
    // new weights: its nodes use those of its first use's nodes. An output whose layer ends in
    // sigmoid or softmax gets that activation as a node of its own, so a loss can read the logits.
    const outputApps = new Set(topo.outputs);
    const probability = (l: Layer) => l.outputActivation === 'sigmoid' || l.outputActivation === 'softmax';
    const initial: { spec: ReturnType<Layer['weightSpecs']>[number]; layer: string }[] = [];
    const firstUse = new Map<Layer, { node: number; count: number; shape: number[] }>();
    const logits = new Map<object, number>();
    // Masks (Keras' implicit ones): which tensor says where a tensor's padded steps are.
    const masks = new Map<object, SequenceMask<object>>();
    for (const app of topo.applications) {
      const { layer } = app;
      layer.currentUse = app.use ?? 0;
      const carried = masks.get(app.inputs[0]);
      layer.currentMask = layer.takesMask && !(layer.callArgs[layer.currentUse] as { masked?: boolean } | undefined)?.masked ? carried : undefined;
      const ins = (layer.currentMask ? [...app.inputs, layer.currentMask.tensor as object] : app.inputs).map((r) => tensors.get(r)!);
      const shape = layer.computeOutputShapes(ins.map((t) => t.shape), ins.map((t) => t.dtype));
      const partShapes = layer.outputPartShapes(ins.map((t) => t.shape), ins.map((t) => t.dtype));
      if (partShapes && !app.parts)
        throw new TypeError(`layer '${layer.name}': returns several outputs (returnState); use it in a graph model (model({ inputs, outputs })), where apply() gives each`);
      checkElements(shape, `layer '${layer.name}': output`);
      const first = firstUse.get(layer);
      if (!first) {
        const weights = layer.weightSpecs(ins[0].shape);
        for (const w of weights) checkElements(w.shape, `layer '${layer.name}': ${w.suffix}`);
        initial.push(...weights.map((spec) => ({ spec, layer: layer.name! })));
      }
      const separate = outputApps.has(app.output) && probability(layer);
      const made = layer.toNodes(ins.map((t) => t.id), nodes.length + 1, { separateActivation: separate });
      if (first) made.forEach((n, k) => k < first.count && (n.shareParamsWith = first.node + k));
      else firstUse.set(layer, { node: nodes.length, count: made.length, shape });
      nodes.push(...made);
      if (separate) logits.set(app.output, nodes[nodes.length - 1].inputs[0]);
      tensors.set(app.output, { id: nodes.length, shape, dtype: layer.computeOutputDtype(ins.map((t) => t.dtype)) });
      // The layer's last nodes produce its outputs in order.
      partShapes?.forEach((s, k) => tensors.set(app.parts![k], { id: nodes.length - (partShapes.length - 1 - k), shape: s, dtype: 'float32' }));
      const mask = layer.outputMask(app.inputs[0], carried);
      if (mask) masks.set(app.output, mask);
      layer.currentMask = undefined;
    }
    const producer = new Map(topo.applications.flatMap((a) => (a.parts ?? [a.output]).map((t) => [t, a.layer] as const)));
    const outputs = topo.outputs.map((ref) => {
      const layer = producer.get(ref)!;
      const { id, shape } = tensors.get(ref)!;
      return { name: layer.name!, layer: layer.name!, shape, tensor: id, activation: layer.outputActivation, ...(logits.has(ref) ? { logitsTensor: logits.get(ref)! } : {}) };
    });
    // Built on the CPU; compile() moves the program to the device it asks for.
    const spec: ProgramSpec = { inputShape: input.shape, inputDtype: input.dtype, nodes, outputs: outputs.map((o) => o.tensor) };
    const program = cpuDevice.program(spec);
    const params = program.parameters();
    if (params.length !== initial.length)
      throw new Error(`model '${this.name}': the native program has ${params.length} weights but the layers declare ${initial.length}`);
    params.forEach((p, i) => {
      if (p.trainable !== (initial[i].spec.trainable ?? true)) throw new Error(`model '${this.name}': weight '${p.name}' is ${p.trainable ? '' : 'not '}trainable natively, but its layer declares otherwise`);
    });
    // Seeded initial weights: each weight draws from its own stream, so adding a layer does not reshuffle others.
    initial.forEach(({ spec }, i) => {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const values = spec.initializer.generate(size, spec.fanIn, spec.fanOut, new Random(deriveSeed(this.seed, i)));
      // A custom initializer's output is checked as setWeights checks weights.
      if (!(values instanceof Float32Array) || values.length !== size)
        throw new TypeError(`layer '${initial[i].layer}': the ${spec.suffix} initializer must return a Float32Array of ${size} values, got ${values instanceof Float32Array ? `${values.length} values` : describe(values)}`);
      for (let k = 0; k < values.length; k++)
        if (values[k] - values[k] !== 0) throw new RangeError(`layer '${initial[i].layer}': the ${spec.suffix} initializer returned ${values[k]} at index ${k}; initial weights must be finite`);
      program.setParameter(i, values);
    });
    this.built = {
      program,
      device: cpuDevice,
      spec,
      input,
      inputNames: topo.inputs.map((i) => i.name),
      layerShapes: this.layers.map((l) => firstUse.get(l)!.shape),
      outputs,
      weights: params.map((p, i) => ({ name: p.name, shape: p.shape, layer: initial[i].layer, trainable: p.trainable })),
    };
    return this.built;
  }

  /** Per-sample input shape, e.g. [784]. */
  get inputShape(): number[] {
    const { inputNames } = this.build();
    if (inputNames.length > 1) throw new TypeError(`model '${this.name}' has ${inputNames.length} inputs (${inputNames.join(', ')}); see inputShapes`);
    return [...this.build().input.shape];
  }
  /**
   * The graph as names: the inputs, each use of a layer with what it reads, and the output (for a
   * sequential model, the chain from an input named 'input'). What ONNX export walks.
   */
  get wiring(): GraphConfig {
    const built = this.build();
    const graph = this.graphConfig();
    if (graph) return graph;
    return {
      inputs: [{ name: 'input', shape: [...built.input.shape], dtype: built.input.dtype }],
      nodes: this.layers.map((l, i) => ({ layer: l.name!, inputs: [i === 0 ? 'input' : this.layers[i - 1].name!] })),
      outputs: [this.layers[this.layers.length - 1].name!],
    };
  }

  /** Per-sample shape of each input, in order (one for a sequential model). */
  get inputShapes(): number[][] {
    const built = this.build();
    return built.input.parts ? built.input.parts.map((p) => [...p.shape]) : [[...built.input.shape]];
  }
  /** Per-sample output shape, e.g. [10]. */
  get outputShape(): number[] {
    return [...this.build().outputs[0].shape];
  }

  /** The activation the (first) output ends in ('softmax', 'sigmoid', ...), or undefined for logits and plain values. */
  get outputActivation(): string | undefined {
    return this.build().outputs[0].activation;
  }

  // ---- compile / fit / evaluate / predict ----

  compile(options: CompileOptions): void {
    if (typeof options !== 'object' || options === null) throw new TypeError('compile: expected { optimizer, loss, metrics? }');
    checkKeys(options, 'compile', ['optimizer', 'loss', 'lossWeights', 'metrics', 'weightedMetrics', 'clipNorm', 'clipValue', 'device', 'precision']);
    const clipNorm = options.clipNorm === undefined ? 0 : checkNumber(options.clipNorm, 'compile: clipNorm', { min: 0, minExclusive: true });
    const clipValue = options.clipValue === undefined ? 0 : checkNumber(options.clipValue, 'compile: clipValue', { min: 0, minExclusive: true });
    this.assertIdle('compile');
    const optimizer = getOptimizer(options.optimizer);
    const built = this.build();
    const outs = built.outputs;
    // Per output: its loss, weight and metrics (one value given for all, an array by order, or an object by name).
    const perOutput = <T>(value: unknown, what: string, fallback: T, single: (v: unknown) => boolean, read: (v: unknown, where: string) => T): T[] => {
      if (value === undefined) return outs.map(() => fallback);
      if (single(value)) return outs.map((_, k) => read(value, `compile: ${what}`));
      if (Array.isArray(value)) {
        if (value.length !== outs.length) throw new TypeError(`compile: ${what} has ${value.length} entries for the model's ${outs.length} outputs (${outs.map((o) => o.name).join(', ')})`);
        return value.map((v, k) => read(v, `compile: ${what}[${k}]`));
      }
      const record = value as Record<string, unknown>;
      const unknown = Object.keys(record).filter((k) => !outs.some((o) => o.name === k));
      if (unknown.length) throw new TypeError(`compile: ${what} names ${unknown.map((k) => `'${k}'`).join(', ')}, not an output; the outputs are ${outs.map((o) => o.name).join(', ')}`);
      return outs.map((o) => (record[o.name] === undefined ? (what === 'loss' ? read(undefined, `compile: ${what}.${o.name}`) : fallback) : read(record[o.name], `compile: ${what}.${o.name}`)));
    };
    const isLoss = (v: unknown) => typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v) && 'name' in v);
    const lossList = perOutput<Loss>(options.loss, 'loss', undefined as never, isLoss, (v, where) => getLoss(v, where));
    const weights = outs.length > 1 ? perOutput(options.lossWeights, 'lossWeights', 1, (v) => typeof v === 'number', (v, where) => checkNumber(v, where, { min: 0 })) : [1];
    if (outs.length === 1 && options.lossWeights !== undefined) throw new TypeError('compile: lossWeights applies to models with several outputs');
    const metricList = (what: 'metrics' | 'weightedMetrics') => perOutput<Metric[]>(options[what], what, [], (v) => Array.isArray(v) && !v.some(Array.isArray), (v, where) => {
      if (!Array.isArray(v)) throw new TypeError(`${where} must be an array such as ['accuracy', 'auc']`);
      // Each once; names as compile takes them, options as metrics.<name>() gives them.
      const checked = v.map((m, i) => (typeof m === 'string' ? (getMetric(m, `${where}[${i}]`), m === 'acc' ? 'accuracy' : m) : getMetric(m, `${where}[${i}]`)));
      return checked.filter((m, i) => checked.findIndex((o) => JSON.stringify(o) === JSON.stringify(m)) === i);
    });
    const metricLists = metricList('metrics'), weightedLists = metricList('weightedMetrics');
    const precision = checkPrecision(options.precision ?? 'float32');
    const { device, note } = resolveDevice(options.device ?? 'auto', precision);
    // A sigmoid or softmax output pairs with its cross-entropy: the loss reads the logits before it.
    const tensorsRead = outs.map((o, k) => lossTensor(lossList[k], o) ?? o.tensor);
    const labelSpecs = outs.map((o, k) => ({ ...labelSpec(lossList[k].name, o.shape), ...(lossList[k].ignoreIndex !== undefined ? { ignoreIndex: lossList[k].ignoreIndex } : {}) }));
    const metricHeads = outs.map((o, k) => {
      const where = outs.length > 1 ? `compile: output '${o.name}'` : 'compile';
      const config = (list: Metric[]) => list.map((m, i) => getMetric(m, `${where}: metric ${i}`));
      return new HeadMetrics({ loss: lossList[k].name, outputShape: o.shape, labels: labelSpecs[k] }, config(metricLists[k]), config(weightedLists[k]), where);
    });
    this.moveTo(device);
    this.deviceNote = note;
    // Frozen layers (trainable = false) as they stand now: no gradient, no update.
    const trainable = new Map(this.layers.map((l) => [l.name!, l.trainable]));
    built.program.setTrainable(built.weights.map((w) => trainable.get(w.layer) !== false));
    const loss = lossList[0];
    const head = (l: Loss, tensor: number, weight: number) => ({ loss: nativeLossName(l.name), tensor, weight, ignoreIndex: l.ignoreIndex, param: lossParam(l) });
    if (outs.length === 1) {
      built.program.compile([head(loss, tensorsRead[0], 1)], optimizer.toNative());
      this.compiled = { optimizer, loss: loss.name, ...lossOptions(loss), metrics: metricLists[0], weightedMetrics: weightedLists[0], metricHeads, labels: labelSpecs[0], clipNorm, clipValue };
      return;
    }
    built.program.compile(outs.map((_, k) => head(lossList[k], tensorsRead[k], weights[k])), optimizer.toNative());
    const heads = outs.map((o, k) => ({ name: o.name, loss: lossList[k].name, ...lossOptions(lossList[k]), labels: labelSpecs[k], metrics: metricLists[k], weightedMetrics: weightedLists[k], weight: weights[k] }));
    const packed: LabelSpec = { dtype: 'float32', elements: labelSpecs.reduce((n, l) => n + l.elements, 0) };
    this.compiled = { optimizer, loss: loss.name, metrics: [], weightedMetrics: [], metricHeads, labels: packed, clipNorm, clipValue, heads };
  }

  /** Where the model runs: 'cpu' or 'cuda:<index>' (chosen by compile's device option). */
  get device(): string {
    return this.built?.device.name ?? 'cpu';
  }

  /**
   * Frees the model's native memory now (weights, gradients, activations, optimizer state; on a
   * GPU, its device memory) instead of when it is garbage-collected. The model cannot be used after.
   */
  dispose(): void {
    this.assertIdle('dispose');
    this.built?.program.dispose();
    this.disposed = true;
  }

  /** false when every layer is frozen; setting it sets every layer's trainable (from the next compile). */
  get trainable(): boolean {
    return this.layers.some((l) => l.trainable);
  }
  set trainable(on: boolean) {
    if (typeof on !== 'boolean') throw new TypeError(`model.trainable must be true or false, got ${describe(on)}`);
    for (const l of this.layers) l.trainable = on;
  }

  /** The compiled optimizer (its learningRate can be changed between epochs). */
  get optimizer(): Optimizer | undefined {
    return this.compiled?.optimizer;
  }

  /**
   * Trains the model: fit(x, y, options) on tensors, or fit(dataset, options) on a Dataset
   * (data.fromTensors, or data.fromBatches for streamed batches).
   */
  async fit(x: InputData, y: TargetData, options?: FitOptions): Promise<History>;
  async fit(dataset: Dataset, options?: FitOptions): Promise<History>;
  async fit(first: InputData | Dataset, second?: TargetData | FitOptions, third?: FitOptions): Promise<History> {
    let data: FitData;
    let options: FitOptions;
    if (first instanceof Dataset) {
      if (second instanceof Tensor || Array.isArray(second)) throw new TypeError('fit: with a Dataset the labels come from the dataset; call fit(dataset, options)');
      data = first.tensors ?? { stream: first };
      options = (second as FitOptions | undefined) ?? {};
    } else {
      const targets = second instanceof Tensor || Array.isArray(second) || (this.build().outputs.length > 1 && typeof second === 'object' && second !== null);
      if (!targets) throw new TypeError(`fit: expected fit(x, y, options) with x and y Tensors, or fit(dataset, options); got y = ${describe(second)}`);
      data = { x: first, y: second as TargetData };
      options = third ?? {};
    }
    return this.fitData(data, options);
  }

  /** tfjs' name for training on a Dataset. */
  async fitDataset(dataset: Dataset, options: FitOptions = {}): Promise<History> {
    if (!(dataset instanceof Dataset)) throw new TypeError(`fitDataset: expected a Dataset (data.fromBatches(...) or data.fromTensors(x, y)), got ${describe(dataset)}`);
    return this.fit(dataset, options);
  }

  private async fitData(data: FitData, options: FitOptions): Promise<History> {
    const compiled = this.requireCompiled('fit');
    this.assertIdle('fit');
    // Busy from here, before the first await: a second fit or a compile started while the
    // checkpoint is read must fail, not run a second loop on this model.
    this.busyWith = 'fit()';
    try {
      return await this.fitFrom(data, compiled, options);
    } finally {
      this.busyWith = undefined;
    }
  }

  private async fitFrom(data: FitData, compiled: Compiled, options: FitOptions): Promise<History> {
    let resume: { epoch: number; step: number; seed: number; worldSize?: number } | undefined;
    if (options?.resumeFrom !== undefined) {
      if (typeof options.resumeFrom !== 'string') throw new TypeError(`fit: resumeFrom must be a checkpoint folder path, got ${describe(options.resumeFrom)}`);
      const contents = await readCheckpoint(options.resumeFrom);
      const position = this.restore(contents, 'fit: resumeFrom', true);
      if (this.tokenizer === undefined && contents.tokenizer !== undefined) this.tokenizer = tokenizerFromJSON(contents.tokenizer, `fit: resumeFrom: '${contents.from}/tokenizer.json'`);
      if (!position) throw new Error(`fit: resumeFrom: the checkpoint '${options.resumeFrom}' was saved before any fit, so it has no epoch and step to resume from; use loadModel() or fit without resumeFrom`);
      resume = { epoch: position.epoch, step: position.step, seed: options.seed ?? position.seed, worldSize: position.worldSize };
      // The saved run's batching and shuffling, unless the caller changes them.
      options = { batchSize: position.batchSize, accumulateSteps: position.accumulateSteps, shuffle: position.shuffle, ...options };
      if (position.validationSplit !== undefined && options.validationData === undefined) options.validationSplit ??= position.validationSplit;
    }
    // Lines for the log before the first epoch: the device compile's 'auto' chose (once per
    // compile) and, on the CPU, a warning about generic BLAS kernels (once per process).
    const notes: string[] = [];
    if (options.verbose !== 0) {
      if (this.deviceNote) notes.push(this.deviceNote);
      this.deviceNote = undefined;
      const warning = this.device === 'cpu' ? blasWarningOnce() : undefined;
      if (warning) notes.push(warning);
    }
    const tracking = { resume, notes, onPosition: (p: TrainingPosition) => (this.position = p) };
    const history = await fitLoop(this, this.build(), compiled, data, options, tracking);
    const final = Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, v[v.length - 1]]));
    this.lastFit = { epochs: history.epoch.length, batchSize: history.params.batchSize, samples: history.params.samples, final };
    return history;
  }

  /**
   * Loss and the compiled metrics over a data set, in inference mode; each metric over the whole
   * data set (not averaged over batches). With the 'confusionMatrix' metric, `confusionMatrix`
   * holds the counts of true class (rows) by predicted class (columns).
   */
  async evaluate(data: InputData, targets: TargetData, options: { batchSize?: number; sampleWeight?: Tensor | Float32Array | number[] } = {}): Promise<Evaluation> {
    const compiled = this.requireCompiled('evaluate');
    checkKeys(options, 'evaluate', ['batchSize', 'sampleWeight']);
    const batchSize = checkInteger(options.batchSize ?? 32, 'evaluate: batchSize', 1, MAX_BATCH_SIZE);
    const built = this.build();
    const x = checkFeatures(data, 'x', built.input);
    const y = checkTargets(targets, 'y', rowsOf(x), compiled);
    // The loss as the weighted mean over the samples; metrics unweighted and weightedMetrics weighted, as Keras.
    const weights = options.sampleWeight === undefined ? undefined : readSampleWeight(options.sampleWeight, rowsOf(x), 'evaluate: sampleWeight');
    this.assertIdle('evaluate');
    this.busyWith = 'evaluate()';
    const set = built.device.dataset(x.data, x.shape.slice(1), y.data, y.shape.slice(1), weights);
    const rows = Int32Array.from({ length: rowsOf(x) }, (_, i) => i);
    let r, totals;
    try {
      built.program.setMetrics(compiled.metricHeads.map((h) => h.plan));
      r = await built.program.evaluate(set, rows, batchSize);
      totals = built.program.readMetrics(1, true);
    } finally {
      set.dispose();
      this.busyWith = undefined;
    }
    const result: Evaluation = { loss: r.loss };
    if (compiled.heads) compiled.heads.forEach((_, k) => Object.assign(result, headLogs(compiled, k, r.heads?.[k])));
    else if (compiled.metricHeads[0].nativeAccuracy) result.accuracy = r.correct / r.count;
    Object.assign(result, metricLogs(compiled, totals, false));
    const matrices = metricMatrices(compiled, totals, false);
    if (Object.keys(matrices).length) {
      result.confusionMatrices = matrices;
      if (matrices.confusionMatrix) result.confusionMatrix = matrices.confusionMatrix;
    }
    return result;
  }

  /**
   * Outputs for every sample, [n, ...outputShape], in inference mode (dropout off). Synchronous, as
   * tfjs. A model with several outputs: see predictOutputs.
   */
  predict(data: InputData, options: { batchSize?: number } = {}): Tensor {
    const names = this.build().outputs.map((o) => o.name);
    if (names.length > 1) throw new TypeError(`predict: model '${this.name}' has ${names.length} outputs (${names.join(', ')}); predictOutputs(x) returns one tensor per output`);
    return this.predictOutputs(data, options)[0];
  }

  /**
   * A classifier's probabilities (scikit-learn's predict_proba): predict() with the loss's link
   * applied where the model outputs logits (softmax over the last axis for softmaxCrossEntropy,
   * sigmoid for binaryCrossEntropy); a model whose output layer applies it already gives predict().
   */
  predictProba(data: InputData, options: { batchSize?: number } = {}): Tensor {
    const compiled = this.requireCompiled('predictProba');
    const link = PROBABILITY_ACTIVATION[compiled.loss];
    if (!link)
      throw new TypeError(`predictProba: model '${this.name}' is compiled with loss '${compiled.loss}', not a classifier's (softmaxCrossEntropy, categoricalCrossEntropy or binaryCrossEntropy); predict() gives its outputs`);
    const out = this.predict(data, options);
    if (this.outputActivation === link) return out;
    const y = out.data as Float32Array;
    if (link === 'sigmoid') return new Tensor(y.map((v) => 1 / (1 + Math.exp(-v))), out.shape, 'float32');
    const cols = out.shape[out.shape.length - 1], p = new Float32Array(y.length);
    for (let at = 0; at < y.length; at += cols) {
      let max = -Infinity, sum = 0;
      for (let c = 0; c < cols; c++) max = Math.max(max, y[at + c]);
      for (let c = 0; c < cols; c++) sum += Math.exp(y[at + c] - max);
      for (let c = 0; c < cols; c++) p[at + c] = Math.exp(y[at + c] - max) / sum;
    }
    return new Tensor(p, out.shape, 'float32');
  }

  /** Every output for every sample, one tensor per output in output order, in inference mode. */
  predictOutputs(data: InputData, options: { batchSize?: number } = {}): Tensor[] {
    checkKeys(options, 'predict', ['batchSize']);
    const batchSize = checkInteger(options.batchSize ?? 32, 'predict: batchSize', 1, MAX_BATCH_SIZE);
    const built = this.build();
    const x = checkFeatures(data, 'x', built.input);
    const set = built.device.dataset(x.data, x.shape.slice(1));
    let out: Float32Array | Float32Array[];
    try {
      out = built.program.predict(set, batchSize);
    } finally {
      set.dispose();
    }
    const arrays = Array.isArray(out) ? out : [out];
    return arrays.map((a, k) => new Tensor(a, [rowsOf(x), ...built.outputs[k].shape], 'float32'));
  }

  /**
   * An incremental decoder over the model's current weights (a key/value cache, for generating
   * text token by token): next() feeds one more position per sample and returns the first
   * output there, each position costing one position's work. The model must be causal and work
   * position by position: embeddings, dense, layer normalization, activations, merges and
   * multiHeadAttention with useCausalMask (a flatten, a convolution or non-causal attention gives
   * an Error naming the layer). Trained further, the model needs a new decoder.
   */
  decoder(): Decoder {
    const built = this.build();
    if (built.input.parts) throw new TypeError(`model.decoder: model '${this.name}' has several inputs; a decoder feeds one sequence`);
    const { shape, dtype } = built.input;
    const positions = shape[0];
    if (shape.length < (dtype === 'int32' ? 1 : 2))
      throw new TypeError(`model.decoder: the model's input ${shapeString(shape)} is not a sequence (token ids [steps] or [steps, features])`);
    let program: NativeProgram;
    try {
      program = built.device.program({ ...built.spec, inputShape: [1, ...shape.slice(1)], inputGradient: false, decodePositions: positions });
    } catch (e) {
      throw new TypeError(`model.decoder: ${(e as Error).message}`);
    }
    built.weights.forEach((_, i) => program.setParameter(i, built.program.getParameter(i)));
    return new Decoder(program, built.input, positions, built.outputs[0].shape.slice(1));
  }

  // ---- weights ----

  /** Copies of every weight, in layer order: dense kernel [inputs, units] then bias [units]. */
  getWeights(): Weight[] {
    const built = this.build();
    return built.weights.map((w, i) => ({ name: w.name, shape: [...w.shape], data: built.program.getParameter(i) }));
  }

  /** Replaces every weight; takes getWeights()' format, in the same order (names, when given, must match). */
  setWeights(weights: Array<Weight | Float32Array | Tensor>): void {
    const built = this.build();
    if (!Array.isArray(weights) || weights.length !== built.weights.length)
      throw new TypeError(`setWeights: the model has ${built.weights.length} weights (${built.weights.map((w) => w.name).join(', ')}), got ${Array.isArray(weights) ? weights.length : describe(weights)}`);
    const arrays = weights.map((w, i) => {
      const target = built.weights[i];
      const data = w instanceof Float32Array ? w : w instanceof Tensor ? w.data : w?.data;
      const shape = w instanceof Tensor || (w && !(w instanceof Float32Array) && 'shape' in w) ? (w as { shape: number[] }).shape : target.shape;
      if (!(data instanceof Float32Array)) throw new TypeError(`setWeights: weight ${i} ('${target.name}') needs float32 data`);
      if (!sameShape(shape, target.shape))
        throw new TypeError(`setWeights: weight ${i} ('${target.name}') must have shape ${shapeString(target.shape)}, got ${shapeString(shape)}`);
      const size = target.shape.reduce((a, b) => a * b, 1);
      if (data.length !== size)
        throw new TypeError(`setWeights: weight ${i} ('${target.name}') has shape ${shapeString(target.shape)}, which holds ${size} values, but its data has ${data.length}`);
      const name = (w as Weight).name;
      if (typeof name === 'string' && name !== target.name)
        throw new TypeError(`setWeights: weight ${i} is named '${name}' but the model's is '${target.name}'`);
      for (let k = 0; k < data.length; k++)
        if (data[k] - data[k] !== 0) throw new RangeError(`setWeights: weight '${target.name}' holds ${data[k]} at index ${k}; weights must be finite`);
      return data;
    });
    arrays.forEach((data, i) => built.program.setParameter(i, data));
  }

  /** Total number of weights. */
  countParams(): number {
    return this.build().weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Prints (and returns) a table of layers, output shapes and parameter counts. */
  summary(printFn: (line: string) => void = console.log): string {
    const built = this.build();
    const graph = this.graphConfig();
    const text = formatSummary(
      this.name,
      this.layers.map((layer, i) => ({
        name: layer.name!,
        type: layer.className,
        outputShape: built.layerShapes[i],
        params: built.weights.filter((w) => w.layer === layer.name).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0),
        nonTrainableParams: built.weights.filter((w) => w.layer === layer.name && (!layer.trainable || !w.trainable)).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0),
        ...(graph ? { connectedTo: graph.nodes.filter((n) => n.layer === layer.name).map((n) => n.inputs.join(', ')).join('; ') } : {}),
      })),
    );
    printFn(text);
    return text;
  }

  /**
   * Exports the model as ONNX (opset 17 by default) and returns the bytes; with a path,
   * also writes them there atomically (a failure never leaves a truncated file).
   */
  async exportOnnx(path?: string | ExportOnnxOptions, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
    if (typeof path === 'object' && path !== null) return exportOnnx(this, undefined, path);
    return exportOnnx(this, path, options);
  }

  /** loss, optimizer and metrics given to compile(), or undefined before it. */
  get compileConfig(): ({ loss: LossName; optimizer: Optimizer; metrics: Metric[]; weightedMetrics: Metric[] } & LossOptions) | undefined {
    if (!this.compiled) return undefined;
    const { loss, optimizer, metrics, weightedMetrics } = this.compiled;
    return { loss, ...lossOptions(this.compiled), optimizer, metrics: [...metrics], weightedMetrics: [...weightedMetrics] };
  }

  /** Per-sample output shape of every layer, in order. */
  get layerOutputShapes(): number[][] {
    return this.build().layerShapes.map((s) => [...s]);
  }

  /** Epochs, batch size and final metrics of the last fit(), or undefined before one. */
  get trainingSummary(): TrainingSummary | undefined {
    return this.lastFit && { ...this.lastFit, final: { ...this.lastFit.final } };
  }

  /** Serializable description of the architecture (Keras' getConfig). */
  getConfig(): Record<string, unknown> {
    this.build(); // names the layers
    const graph = this.graphConfig();
    return { name: this.name, layers: this.layers.map((l) => ({ className: l.className, config: l.getConfig() })), ...(graph ? { graph } : {}) };
  }

  // ---- checkpoints ----

  /**
   * Saves a checkpoint folder: model.json (architecture, compile settings, where training stands,
   * version), weights.safetensors, and optimizer.safetensors (its state). Atomic: a crash or kill
   * during the save leaves the previous checkpoint loadable. Works from callbacks during fit.
   */
  async save(dir: string): Promise<void> {
    if (typeof dir !== 'string' || dir === '') throw new TypeError(`save: dir must be a folder path, got ${describe(dir)}`);
    if (!isMain()) return; // data parallel: rank 0 writes (every rank holds the same weights)
    const built = this.build();
    const program = built.program;
    const manifest: CheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      formatVersion: CHECKPOINT_VERSION,
      gradloopVersion: VERSION,
      savedAt: new Date().toISOString(),
      model: { name: this.name, seed: this.seed, layers: this.layers.map((l) => ({ className: l.className, config: l.getConfig() })), ...(this.graphConfig() ? { graph: this.graphConfig() } : {}) },
    };
    const optimizerTensors: { name: string; shape: number[]; data: Float32Array }[] = [];
    if (this.compiled) {
      const { loss, metrics, weightedMetrics, optimizer, clipNorm, clipValue, heads } = this.compiled;
      const weightedOf = (list: Metric[]) => (list.length ? { weightedMetrics: list } : {});
      manifest.compile = {
        loss, ...lossOptions(this.compiled),
        ...(heads ? { outputs: heads.map((h) => ({ name: h.name, loss: h.loss, ...lossOptions(h), weight: h.weight, metrics: h.metrics, ...weightedOf(h.weightedMetrics) })) } : {}),
        metrics, ...weightedOf(weightedMetrics), optimizer: optimizer.getConfig(), clipNorm, clipValue,
      };
      const slots = program.optimizerSlots();
      manifest.training = {
        position: this.position ? { ...this.position } : null,
        iterations: optimizer.iterations,
        counters: program.getCounters(),
        optimizerSlots: slots,
      };
      built.weights.forEach((w, i) =>
        slots.forEach((slot, k) => optimizerTensors.push({ name: `${w.name}/${slot}`, shape: w.shape, data: program.getOptimizerState(i, k) })),
      );
    }
    await writeCheckpoint(dir, manifest, this.getWeights(), optimizerTensors, this.tokenizer?.toJSON());
  }

  /**
   * @internal Puts a checkpoint's weights (and, when compiled, optimizer state and counters) into
   * this model; checks everything before changing anything. Returns the saved training position.
   */
  restore(contents: CheckpointContents, where: string, withTraining: boolean): TrainingPosition | undefined {
    const built = this.build();
    const program = built.program;
    const file = (name: string) => `'${contents.from}/${name}'`;
    const byName = new Map(contents.weights.map((t) => [t.name, t]));
    const weights = built.weights.map((w) => {
      const t = byName.get(w.name);
      if (!t) throw new Error(`${where}: ${file('weights.safetensors')} has no weight '${w.name}'; it was saved from a different architecture`);
      if (!sameShape(t.shape, w.shape))
        throw new Error(`${where}: ${file('weights.safetensors')} has '${w.name}' with shape ${shapeString(t.shape)}, the model needs ${shapeString(w.shape)}`);
      for (let k = 0; k < t.data.length; k++)
        if (t.data[k] - t.data[k] !== 0) throw new Error(`${where}: ${file('weights.safetensors')} holds ${t.data[k]} in '${w.name}' at index ${k}; the checkpoint is corrupt`);
      return t.data;
    });
    if (byName.size !== weights.length)
      throw new Error(`${where}: ${file('weights.safetensors')} has ${byName.size} weights, the model ${weights.length}; it was saved from a different architecture`);

    const training = contents.manifest.training;
    let slotData: Float32Array[][] = [];
    if (withTraining && this.compiled && training) {
      const slots = program.optimizerSlots();
      if (JSON.stringify(slots) !== JSON.stringify(training.optimizerSlots))
        throw new Error(`${where}: the checkpoint's optimizer keeps state [${training.optimizerSlots.join(', ')}] but this model's (${this.compiled.optimizer.type}) keeps [${slots.join(', ')}]; compile with the optimizer it was saved with`);
      const state = new Map(contents.optimizer.map((t) => [t.name, t]));
      slotData = built.weights.map((w) =>
        slots.map((slot) => {
          const t = state.get(`${w.name}/${slot}`);
          if (!t || !sameShape(t.shape, w.shape)) throw new Error(`${where}: ${file('optimizer.safetensors')} lacks '${w.name}/${slot}' with shape ${shapeString(w.shape)}; the checkpoint is incomplete`);
          // State that would make the first update NaN: non-finite values, or a negative second moment.
          for (let k = 0; k < t.data.length; k++)
            if (!Number.isFinite(t.data[k]) || (slot === 'v' && t.data[k] < 0))
              throw new Error(`${where}: ${file('optimizer.safetensors')} holds ${t.data[k]} in '${w.name}/${slot}' at index ${k} (${slot === 'v' ? 'values must be finite and >= 0' : 'values must be finite'}); the checkpoint is corrupt`);
          return t.data;
        }),
      );
    }

    // Everything checked: apply.
    weights.forEach((data, i) => program.setParameter(i, data));
    if (withTraining && this.compiled && training) {
      slotData.forEach((slots, i) => slots.forEach((data, k) => program.setOptimizerState(i, k, data)));
      program.setCounters(training.counters);
      const optimizer = this.compiled.optimizer;
      optimizer.iterations = training.iterations;
      // A constant rate changed during training (reduceLROnPlateau, or by hand) continues as saved.
      const savedRate = (contents.manifest.compile?.optimizer as { learningRate?: unknown } | undefined)?.learningRate;
      if (typeof savedRate === 'number' && !optimizer.schedule) optimizer.learningRate = savedRate;
      const position = training.position as TrainingPosition | null;
      this.position = position ?? undefined;
      return position ?? undefined;
    }
    return undefined;
  }

  // ---- internals ----

  /** Rebuilds the program on `device` (weights carried over) when it lives elsewhere. */
  private moveTo(device: Device): void {
    const built = this.build();
    if (built.device === device) return;
    const program = device.program(built.spec);
    built.weights.forEach((_, i) => program.setParameter(i, built.program.getParameter(i)));
    built.program.dispose();
    built.program = program;
    built.device = device;
  }

  private requireCompiled(method: string): Compiled {
    if (!this.compiled) throw new Error(`${method}: call model.compile({ optimizer, loss }) before ${method}()`);
    return this.compiled;
  }

  // fit, compile and evaluate cannot overlap a fit. Weights, predict and export can be used from
  // callbacks, which run between steps; a call while a step is in flight gets the native
  // "model is busy" error.
  private assertIdle(method: string): void {
    if (this.busyWith) throw new Error(`${method}: model '${this.name}' is in the middle of ${this.busyWith}; await it first`);
  }

  /** @internal what fit uses, for tools that drive training themselves (findLearningRate). */
  _training(method: string): { built: Built; compiled: Compiled } {
    const compiled = this.requireCompiled(method);
    this.assertIdle(method);
    return { built: this.build(), compiled };
  }

  /** @internal the native program's description (nodes, input), for gradient checks. */
  get _spec(): ProgramSpec {
    return this.build().spec;
  }

  /** @internal the compiled native program, for gradient checks. */
  get _program(): NativeProgram {
    return this.build().program;
  }
}

/**
 * Loads a checkpoint written by model.save() or callbacks.modelCheckpoint(): the architecture,
 * weights and, when it was compiled, the compile settings, optimizer state and training position,
 * so fit(..., { resumeFrom }) or a plain fit() continues where it stopped. A corrupt, truncated or
 * incompatible checkpoint raises an Error naming the file; nothing is half-loaded.
 */
export async function loadModel(dir: string): Promise<Model> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`loadModel: dir must be a folder path, got ${describe(dir)}`);
  const contents = await readCheckpoint(dir);
  const { model: config, compile } = contents.manifest;
  const where = `loadModel: '${contents.from}/model.json'`;
  let model: Model;
  try {
    const layerList = config.layers.map((entry, i) => layerFromConfig(entry, `${where} layer ${i}`));
    model = config.graph
      ? modelFromGraph(layerList, config.graph as GraphConfig, { name: config.name, seed: config.seed })
      : new Sequential(layerList, { name: config.name, seed: config.seed });
    const lossOf = (name: string, options: LossOptions) =>
      Object.keys(lossOptions(options)).length === 0 ? (name as LossName) : { name: name as LossName, ...lossOptions(options) };
    if (compile)
      model.compile({
        ...(compile.outputs
          ? {
              loss: compile.outputs.map((o) => lossOf(o.loss, o)), lossWeights: compile.outputs.map((o) => o.weight),
              metrics: Object.fromEntries(compile.outputs.map((o) => [o.name, o.metrics as Metric[]])),
              weightedMetrics: Object.fromEntries(compile.outputs.map((o) => [o.name, (o.weightedMetrics ?? []) as Metric[]])),
            }
          : { loss: lossOf(compile.loss, compile), metrics: compile.metrics as Metric[], weightedMetrics: (compile.weightedMetrics ?? []) as Metric[] }),
        optimizer: optimizerFromConfig(compile.optimizer, `${where} compile.optimizer`),
        ...(compile.clipNorm > 0 ? { clipNorm: compile.clipNorm } : {}),
        ...(compile.clipValue > 0 ? { clipValue: compile.clipValue } : {}),
      });
  } catch (err) {
    if ((err as Error).message.startsWith(where)) throw err;
    throw new Error(`${where} describes a model gradloop cannot build: ${(err as Error).message}`, { cause: err });
  }
  model.restore(contents, 'loadModel', true);
  if (contents.tokenizer !== undefined) model.tokenizer = tokenizerFromJSON(contents.tokenizer, `loadModel: '${contents.from}/tokenizer.json'`);
  return model;
}

/** A chain of layers, each reading the one before (tf.sequential, keras.Sequential). */
export class Sequential extends Model {
  readonly layers: Layer[] = [];

  constructor(layers: Layer[] = [], options: SequentialOptions = {}) {
    checkKeys(options, 'sequential', ['name', 'seed']);
    super(options.name ?? `sequential_${++modelCount}`, options.seed === undefined ? freshSeed() : checkInteger(options.seed, 'sequential: seed', 0));
    if (!Array.isArray(layers)) throw new TypeError('sequential: expected an array of layers, e.g. sequential([layers.dense({...})])');
    for (const layer of layers) this.add(layer);
  }

  /** Appends a layer; only before the model is built (first compile, predict or getWeights). */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new TypeError(`sequential: ${describe(layer)} is not a layer; use layers.dense({...}) and friends`);
    if (this.built) throw new Error(`model '${this.name}': cannot add layers after the model was built`);
    if (this.layers.includes(layer)) throw new TypeError('sequential: the same layer object was added twice');
    if (this.layers.length > 0 && layer.inputShape)
      throw new TypeError(`sequential: only the first layer takes inputShape (given on layer ${this.layers.length + 1})`);
    this.layers.push(layer);
  }

  protected topology(): Topology {
    if (this.layers.length === 0) throw new Error(`model '${this.name}': add at least one layer`);
    const first = this.layers[0];
    if (!first.inputShape)
      throw new TypeError(`sequential: the first layer needs inputShape (e.g. layers.dense({ inputShape: [784], units: 10 }))`);
    const input = {};
    const outputs = this.layers.map(() => ({}));
    return {
      inputs: [{ name: 'input', shape: first.inputShape, dtype: first.inputDtype, ref: input, label: () => `layer '${first.name}': inputShape` }],
      applications: this.layers.map((layer, i) => ({ layer, inputs: [i === 0 ? input : outputs[i - 1]], output: outputs[i] })),
      outputs: [outputs[outputs.length - 1]],
    };
  }
}

/** A graph model's wiring, as saved in model.json next to the layers' configs. */
export interface GraphConfig {
  inputs: { name: string; shape: number[]; dtype: DType }[];
  /**
   * Each use of a layer, in order: the layer's name and what it reads (an input's name, 'layer'
   * for a layer's first use's output, 'layer#2' for its second's, ..., 'layer:1' for the second
   * output of a layer with several), and its call arguments when it has any (what its inputs are).
   */
  nodes: { layer: string; inputs: string[]; args?: Record<string, unknown> }[];
  /** The model's outputs, in order (one, or one per loss). */
  outputs: string[];
}

export interface ModelArgs {
  /** The model's inputs: input({ shape, dtype, name }) results, in the order fit/predict take data. */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The output (a layer's apply() result), or several: a loss each, as compile({ loss: [...] }) says. */
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
  /** Seed for the initial weights; random when omitted. */
  seed?: number;
}

/** A graph of layers from the functional API: model({ inputs, outputs }) (tf.model, keras.Model). */
export class FunctionalModel extends Model {
  readonly layers: Layer[];
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  private readonly graph: { inputs: SymbolicTensor[]; applications: { layer: Layer; inputs: SymbolicTensor[]; output: SymbolicTensor; parts?: SymbolicTensor[]; use: number }[]; outputs: SymbolicTensor[] };

  constructor(args: ModelArgs) {
    if (typeof args !== 'object' || args === null) throw new TypeError('model: expected { inputs, outputs, name?, seed? }');
    checkKeys(args, 'model', ['inputs', 'outputs', 'name', 'seed']);
    super(args.name ?? `model_${++modelCount}`, args.seed === undefined ? freshSeed() : checkInteger(args.seed, 'model: seed', 0));
    const list = (v: unknown, what: string): SymbolicTensor[] => {
      const items = Array.isArray(v) ? v : [v];
      items.forEach((t, k) => {
        if (!(t instanceof SymbolicTensor)) throw new TypeError(`model: ${what}${Array.isArray(v) ? `[${k}]` : ''} is ${describe(t)}, not a symbolic tensor (input({ shape }) or a layer's apply() result)`);
      });
      if (items.length === 0) throw new TypeError(`model: ${what} is empty`);
      return items as SymbolicTensor[];
    };
    this.inputs = list(args.inputs, 'inputs');
    this.outputs = list(args.outputs, 'outputs');
    this.outputs.forEach((t, k) => {
      if ('input' in t.source) throw new TypeError(`model: outputs${this.outputs.length > 1 ? `[${k}]` : ''} is ${t.sourceLabel} itself; apply at least one layer`);
      if (this.outputs.indexOf(t) !== k) throw new TypeError(`model: ${t.sourceLabel} is listed twice in outputs`);
    });
    this.inputs.forEach((t, k) => {
      if (!('input' in t.source)) throw new TypeError(`model: inputs[${k}] comes from ${t.sourceLabel}; inputs must be input({ shape }) results`);
      if (this.inputs.indexOf(t) !== k) throw new TypeError(`model: ${t.sourceLabel} is listed twice in inputs`);
    });
    const names = this.inputs.map((t) => (t.source as { input: string }).input);
    if (new Set(names).size !== names.length) throw new TypeError(`model: input names must be unique, got ${names.join(', ')}`);

    // Every layer use the output depends on, inputs before users (depth-first from the output).
    const applications: FunctionalModel['graph']['applications'] = [];
    const seen = new Set<SymbolicTensor>();
    const visit = (t: SymbolicTensor) => {
      if (seen.has(t)) return;
      seen.add(t);
      if ('input' in t.source) {
        if (!this.inputs.includes(t)) throw new TypeError(`model: the output depends on ${t.sourceLabel}, which is not among inputs; add it to model({ inputs: [...] })`);
        return;
      }
      if (t.source.parts && t.source.part) return visit(t.source.parts[0]); // one application for all outputs
      for (const i of t.source.inputs) visit(i);
      applications.push({ layer: t.source.layer, inputs: t.source.inputs, output: t, parts: t.source.parts, use: t.source.index });
    };
    for (const output of this.outputs) visit(output);
    const unused = this.inputs.filter((t) => !seen.has(t));
    if (unused.length) throw new TypeError(`model: ${unused.map((t) => t.sourceLabel).join(', ')} ${unused.length > 1 ? 'are' : 'is'} not connected to the output`);
    this.layers = [...new Set(applications.map((a) => a.layer))];
    this.graph = { inputs: this.inputs, applications, outputs: this.outputs };
  }

  protected topology(): Topology {
    return {
      inputs: this.graph.inputs.map((t) => ({ name: (t.source as { input: string }).input, shape: t.shape, dtype: t.dtype, ref: t })),
      applications: this.graph.applications,
      outputs: this.graph.outputs,
    };
  }

  protected graphConfig(): GraphConfig {
    const ref = (t: SymbolicTensor) => {
      if ('input' in t.source) return t.source.input;
      const use = t.source.index === 0 ? t.source.layer.name! : `${t.source.layer.name}#${t.source.index + 1}`;
      return t.source.part ? `${use}:${t.source.part}` : use;
    };
    return {
      inputs: this.graph.inputs.map((t) => ({ name: ref(t), shape: t.shape, dtype: t.dtype })),
      nodes: this.graph.applications.map((a) => {
        const args = a.layer.callArgs[a.use];
        return { layer: a.layer.name!, inputs: a.inputs.map(ref), ...(args ? { args } : {}) };
      }),
      outputs: this.graph.outputs.map(ref),
    };
  }
}

/** A graph model from the functional API, as tf.model({ inputs, outputs }) / keras.Model(inputs, outputs). */
export function model(args: ModelArgs): FunctionalModel {
  return new FunctionalModel(args);
}

/** Rebuilds a graph model from its saved layers and wiring (loadModel). */
function modelFromGraph(layerList: Layer[], graph: GraphConfig, options: { name: string; seed: number }): FunctionalModel {
  const byName = new Map(layerList.map((l) => [l.name!, l]));
  const tensors = new Map<string, SymbolicTensor>();
  const inputs = graph.inputs.map((i) => {
    const t = input({ shape: i.shape, dtype: i.dtype, name: i.name });
    tensors.set(i.name, t);
    return t;
  });
  const usesOf = new Map<string, number>();
  for (const node of graph.nodes) {
    const layer = byName.get(node.layer);
    if (!layer) throw new TypeError(`graph node uses layer '${node.layer}', which is not among the layers`);
    const ins = node.inputs.map((r) => {
      const t = tensors.get(r);
      if (!t) throw new TypeError(`graph node of layer '${node.layer}' reads '${r}', which no earlier node or input produces`);
      return t;
    });
    const use = (usesOf.get(node.layer) ?? 0) + 1;
    usesOf.set(node.layer, use);
    const name = use === 1 ? node.layer : `${node.layer}#${use}`;
    const applied = layer.applyWith(ins.length === 1 ? ins[0] : ins, node.args);
    tensors.set(name, applied);
    if (applied instanceof MultiOutputTensor) [...applied].forEach((t, k) => k > 0 && tensors.set(`${name}:${k}`, t));
  }
  const outputs = graph.outputs.map((name) => {
    const t = tensors.get(name);
    if (!t) throw new TypeError(`graph output '${name}' is produced by no node`);
    return t;
  });
  return new FunctionalModel({ inputs, outputs: outputs.length === 1 ? outputs[0] : outputs, ...options });
}

/** Creates a model from a list of layers, as tf.sequential({ layers }) / keras.Sequential([...]). */
export function sequential(layers: Layer[] | { layers?: Layer[]; name?: string; seed?: number } = [], options: SequentialOptions = {}): Sequential {
  if (Array.isArray(layers)) return new Sequential(layers, options);
  const { layers: list = [], ...rest } = layers;
  return new Sequential(list, { ...rest, ...options });
}

export type { Callback, FitOptions };
