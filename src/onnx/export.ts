// model.exportOnnx(): builds a standard ONNX ModelProto with the onnx-proto
// (protobufjs) classes, then writes it atomically.
import { isMain } from '../distributed/index.js';
import { onnx } from './proto.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { type Layer, MergeLayer, type SequenceMask } from '../layers/index.js';
import type { GraphConfig } from '../model/model.js';
import type { DType } from '../tensor.js';
import type { LossName } from '../model/losses.js';
import type { Optimizer } from '../optim/optimizers.js';
import type { Weight } from '../tensor.js';

/** What the export reads of a model (described here so this module does not import it). */
export interface OnnxSource {
  readonly name: string;
  readonly layers: Layer[];
  /** Inputs, each use of a layer, the output (model.ts GraphConfig). */
  readonly wiring: GraphConfig;
  readonly layerOutputShapes: number[][];
  readonly compileConfig: { loss: LossName; optimizer: Optimizer } | undefined;
  readonly trainingSummary: { epochs: number; batchSize: number; samples: number; final: Record<string, number> } | undefined;
  getWeights(): Weight[];
  getConfig(): Record<string, unknown> & { layers?: unknown };
}
import { checkInteger, checkKeys, checkOneOf } from '../validate.js';
import { VERSION } from '../version.js';
import { activation, GraphBuilder, type LayerWeights } from './graph.js';

export interface ExportOnnxOptions {
  /** ONNX opset, 13-21 (default 17). */
  opset?: number;
  /** 'logits' (default): the model's raw output. 'probabilities': adds a softmax head (sigmoid for binaryCrossEntropy). */
  outputs?: 'logits' | 'probabilities';
  /** Description stored as the model's doc string. */
  docString?: string;
  /**
   * Element type of the token-id input of models that start with an embedding: 'int32' (default,
   * what gradloop takes) or 'int64' (the usual type of token ids in PyTorch/NumPy pipelines).
   * Gather accepts either, so neither needs a Cast.
   */
  tokenIds?: 'int32' | 'int64';
}

export const DEFAULT_OPSET = 17;
/** Metadata key naming the head exportOnnx appended ('none', 'softmax' or 'sigmoid'), read back by verifyOnnx. */
export const HEAD_KEY = 'gradloop.output_head';

// The lowest IR version each opset needs (onnx/helper.py's table); never below IR 8.
function irVersionFor(opset: number): number {
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  return 8;
}

type Head = 'none' | 'softmax' | 'sigmoid';

function chooseHead(model: OnnxSource, last: Layer, outputs: 'logits' | 'probabilities'): Head {
  if (outputs === 'logits') return 'none';
  if (last.outputActivation === 'softmax' || last.outputActivation === 'sigmoid') return 'none'; // already probabilities
  const loss = model.compileConfig?.loss;
  if (loss === 'softmaxCrossEntropy' || loss === 'categoricalCrossEntropy') return 'softmax';
  if (loss === 'binaryCrossEntropy') return 'sigmoid';
  throw new TypeError(
    "exportOnnx: outputs 'probabilities' needs a model compiled with softmaxCrossEntropy (softmax head) or binaryCrossEntropy (sigmoid head)",
  );
}

const dim = (d: number | string): onnx.TensorShapeProto.IDimension => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
const valueInfo = (name: string, elemType: number, dims: (number | string)[]): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map(dim) } } },
});

/** Encodes the model as ONNX bytes. */
export function buildOnnx(model: OnnxSource, options: ExportOnnxOptions = {}): Uint8Array {
  checkKeys(options, 'exportOnnx', ['opset', 'outputs', 'docString', 'tokenIds']);
  const opset = checkInteger(options.opset ?? DEFAULT_OPSET, 'exportOnnx: opset', 13);
  if (opset > 21) throw new RangeError(`exportOnnx: opset must be between 13 and 21, got ${opset}`);
  const outputs = checkOneOf(options.outputs ?? 'logits', 'exportOnnx: outputs', ['logits', 'probabilities'] as const);
  const wiring = model.wiring;
  const byName = new Map(model.layers.map((l) => [l.name!, l]));
  const several = wiring.outputs.length > 1;
  if (several && outputs === 'probabilities')
    throw new TypeError(`exportOnnx: outputs 'probabilities' adds a head to a model's one output; this model has ${wiring.outputs.length} (${wiring.outputs.join(', ')}): give the layers that should output probabilities activation 'sigmoid' or 'softmax'`);
  const outputLayer = byName.get(wiring.outputs[0].split('#')[0])!;
  const head = chooseHead(model, outputLayer, outputs);

  const tokenIds = checkOneOf(options.tokenIds ?? 'int32', 'exportOnnx: tokenIds', ['int32', 'int64'] as const);
  if (tokenIds === 'int64' && !wiring.inputs.some((i) => i.dtype === 'int32'))
    throw new TypeError("exportOnnx: tokenIds applies to models with token-id inputs (int32, for an embedding)");
  const byLayer = new Map<string, LayerWeights>();
  for (const w of model.getWeights()) {
    // By what follows the layer's name: 'kernel', or for a layer of several nodes 'query/kernel'.
    const [layer, ...rest] = w.name.split('/');
    byLayer.set(layer, { ...byLayer.get(layer), [rest.join('/')]: { shape: w.shape, data: w.data } });
  }

  // Every layer use is mapped before anything is written, so an unsupported layer fails early.
  // Graph inputs keep the model's input names; a sequential model's one input is 'input'.
  const g = new GraphBuilder(opset);
  const tensors = new Map<string, { name: string; shape: number[]; dtype: DType }>();
  for (const i of wiring.inputs) tensors.set(i.name, { name: i.name, shape: i.shape, dtype: i.dtype });
  const uses = new Map<string, number>();
  const masks = new Map<string, SequenceMask<string>>(); // as the model carries them (Model.build)
  let x = '';
  for (const node of wiring.nodes) {
    const layer = byName.get(node.layer)!;
    const use = (uses.get(node.layer) ?? 0) + 1;
    uses.set(node.layer, use);
    layer.currentUse = use - 1;
    const carried = masks.get(node.inputs[0]);
    layer.currentMask = layer.takesMask && !(node.args as { masked?: boolean } | undefined)?.masked ? carried : undefined;
    const ins = (layer.currentMask ? [...node.inputs, layer.currentMask.tensor as string] : node.inputs).map((r) => tensors.get(r)!);
    const rank = ins[0].shape.length + 1;
    const shape = layer.computeOutputShapes(ins.map((t) => t.shape), ins.map((t) => t.dtype));
    const parts = layer.outputPartShapes(ins.map((t) => t.shape), ins.map((t) => t.dtype));
    const made = layer instanceof MergeLayer
      ? layer.toOnnxInputs(g, ins.map((t) => t.name), rank)
      : layer.toOnnxInputsAndWeights(g, ins.map((t) => t.name), rank, byLayer.get(layer.name!) ?? {});
    const names = typeof made === 'string' ? [made] : made;
    x = names[0];
    const ref = use === 1 ? node.layer : `${node.layer}#${use}`;
    tensors.set(ref, { name: x, shape, dtype: layer.computeOutputDtype(ins.map((t) => t.dtype)) });
    parts?.forEach((s, k) => k > 0 && tensors.set(`${ref}:${k}`, { name: names[k], shape: s, dtype: 'float32' }));
    const mask = layer.outputMask(node.inputs[0], carried);
    if (mask) masks.set(ref, mask);
    layer.currentMask = undefined;
  }
  // One output: 'logits' (or 'probabilities', with a head). Several: each under its output's name.
  const outputNames = several ? wiring.outputs : [outputs === 'probabilities' ? 'probabilities' : 'logits'];
  const outputShapes = wiring.outputs.map((ref) => tensors.get(ref)!.shape);
  wiring.outputs.forEach((ref, k) => {
    x = tensors.get(ref)!.name;
    if (!several && head !== 'none') x = activation(g, x, head, 'head', 0);
    const producer = g.nodes.find((n) => n.output![0] === x);
    if (!several && producer && producer === g.nodes[g.nodes.length - 1]) producer.output = [outputNames[k]];
    else g.node('Identity', [x], `output_${k}`), (g.nodes[g.nodes.length - 1].output = [outputNames[k]]);
  });

  const { INT32, INT64, FLOAT } = onnx.TensorProto.DataType;
  const elemType = (dtype: DType) => (dtype === 'float32' ? FLOAT : tokenIds === 'int64' ? INT64 : INT32);
  const single = wiring.inputs.length === 1 ? wiring.inputs[0] : undefined;
  const training = model.trainingSummary;
  const metadata: Record<string, string> = {
    [HEAD_KEY]: head,
    'gradloop.layers': JSON.stringify(model.getConfig().layers),
    ...(single
      ? { 'gradloop.input_shape': JSON.stringify(['batch', ...single.shape]), 'gradloop.input_dtype': single.dtype === 'float32' ? 'float32' : tokenIds }
      : { 'gradloop.inputs': JSON.stringify(wiring.inputs.map((i) => ({ name: i.name, shape: ['batch', ...i.shape], dtype: i.dtype === 'float32' ? 'float32' : tokenIds }))) }),
    ...(model.getConfig().graph ? { 'gradloop.graph': JSON.stringify(model.getConfig().graph) } : {}),
    ...(several ? { 'gradloop.outputs': JSON.stringify(outputNames.map((name, k) => ({ name, shape: ['batch', ...outputShapes[k]] }))) } : { 'gradloop.output_shape': JSON.stringify(['batch', ...outputShapes[0]]) }),
    ...(model.compileConfig
      ? { 'gradloop.loss': model.compileConfig.loss, 'gradloop.optimizer': JSON.stringify(model.compileConfig.optimizer.getConfig()) }
      : {}),
    ...(training ? { 'gradloop.training': JSON.stringify(training) } : {}),
  };

  const proto = onnx.ModelProto.create({
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'gradloop',
    producerVersion: VERSION,
    modelVersion: 1,
    docString: options.docString ?? `${model.name}: trained with gradloop ${VERSION}`,
    graph: {
      name: model.name,
      node: g.nodes,
      initializer: g.initializers,
      input: wiring.inputs.map((i) => valueInfo(i.name, elemType(i.dtype), ['batch', ...i.shape])),
      output: outputNames.map((name, k) => valueInfo(name, onnx.TensorProto.DataType.FLOAT, ['batch', ...outputShapes[k]])),
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(proto).finish();
}

/** Builds the ONNX bytes and, when a path is given, writes them there atomically. */
export async function exportOnnx(model: OnnxSource, file?: string, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  if (file !== undefined && (typeof file !== 'string' || file === '')) throw new TypeError('exportOnnx: path must be a non-empty string');
  const bytes = buildOnnx(model, options);
  if (file !== undefined && isMain()) await writeFileAtomic(file, bytes, 'exportOnnx'); // data parallel: rank 0 writes
  return bytes;
}
