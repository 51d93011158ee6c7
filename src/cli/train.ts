// `gradloop train --config run.json`: data -> split -> scaling -> model -> fit (progress bar)
// -> evaluation -> runs/<name>/ with the checkpoint, model.onnx (verified in onnxruntime),
// curves.svg/png, report.html, history.json and what predict needs to prepare new inputs.
// A text source is tokenized and cut into windows instead, its tokenizer kept in the checkpoint.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generate } from '../text/generate.js';
import { charTokenizer, type Tokenizer, wordTokenizer } from '../text/tokenizers.js';
import { windows } from '../text/windows.js';
import type { Callback } from '../train/callbacks.js';
import type { Metric } from '../metrics/metrics.js';
import { data } from '../data/index.js';
import type { Scaler } from '../data/preprocess.js';
import { createLayer, type Layer } from '../layers/index.js';
import { type Model, model, sequential } from '../model/model.js';
import { input, type SymbolicTensor } from '../model/symbolic.js';
import { callbacks as monitors } from '../train/monitors.js';
import type { OnnxReport } from '../onnx/verify.js';
import { verifyOnnx } from '../onnx/verify.js';
import { optimizerFromConfig } from '../optim/optimizers.js';
import { plotHistory } from '../plot/index.js';
import { backendInfo } from '../backend/runtime.js';
import { Tensor } from '../tensor.js';
import { distributed, launcherRank } from '../distributed/index.js';
import { ConfigError, parseRunConfig, type RunConfig } from './config.js';
import { PREPROCESSING_FILE, type Preprocessing } from './preprocessing.js';

export async function readRunConfig(file: string): Promise<RunConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read the config '${file}': ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseRunConfig(json, file);
}

// The data, split three ways: the test rows, held out for one evaluation after training; of the
// rest, the validation rows that early stopping and the best checkpoint look at; the training rows.
interface Parts {
  xTrain: Tensor;
  yTrain: Tensor;
  xVal?: Tensor;
  yVal?: Tensor;
  xTest: Tensor;
  yTest: Tensor;
  what: string;
  featureNames?: string[];
  classes?: string[];
  labelName?: string;
  scaler?: Scaler;
  tokenizer?: Tokenizer;
}

type Source = RunConfig['data'];
type TextSource = Extract<Source, { source: 'text' }>;
type RowSource = Exclude<Source, TextSource>;

async function loadRows(source: RowSource, baseDir: string) {
  if (source.source === 'mnist') {
    const { x, y, classes } = await data.mnist();
    return { x, y, featureNames: undefined, classes, labelName: undefined, what: `the ${x.shape[0]} bundled MNIST digits` };
  }
  if (source.source === 'csv') {
    const { source: _, path: file, testSize: _t, validationSize: _v, stratify: _s, seed: _r, preprocess: _p, ...options } = source;
    const csv = await data.fromCsv(path.resolve(baseDir, file), options);
    if (!csv.y) throw new ConfigError(`data.source.label: the CSV has no label column`);
    const skipped = csv.skippedRows ? `, ${csv.skippedRows} rows skipped for missing values` : '';
    return { x: csv.x, y: csv.y, featureNames: csv.featureNames, classes: csv.classes, labelName: csv.labelName, what: `${csv.x.shape[0]} rows of ${file} (${csv.featureNames.length} features${skipped})` };
  }
  const images = await data.fromIdx(path.resolve(baseDir, source.images), { dtype: 'float32', ...(source.scale ? { scale: source.scale } : {}) });
  const y = await data.fromIdx(path.resolve(baseDir, source.labels), { dtype: 'int32' });
  const n = images.shape[0];
  const x = new Tensor(images.data, [n, images.size / n], 'float32'); // [n, 28, 28] -> [n, 784]
  return { x, y, featureNames: undefined, classes: undefined, labelName: undefined, what: `${n} samples of ${source.images}` };
}

async function splitRows(source: RowSource, baseDir: string, configFile: string, earlyStopping: boolean): Promise<Parts> {
  const loaded = await loadRows(source, baseDir);
  const { testSize, validationSize, stratify, seed } = source;
  const split = data.trainTestSplit(loaded.x, loaded.y, { testSize, stratify, seed });
  let { xTrain, yTrain, xTest } = split;
  let xVal: Tensor | undefined, yVal: Tensor | undefined;
  if (validationSize > 0) {
    const inner = data.trainTestSplit(xTrain, yTrain, { testSize: validationSize, stratify, seed: seed + 1 });
    ({ xTrain, yTrain, xTest: xVal, yTest: yVal } = inner);
  }
  if (earlyStopping && !xVal)
    throw new TypeError(`${configFile}: fit.earlyStopping needs validation rows; set data.validationSize above 0 (the test rows are never used to choose when to stop)`);
  let scaler: Scaler | undefined;
  if (source.preprocess !== 'none') {
    scaler = source.preprocess === 'standardize' ? data.standardize(xTrain) : data.normalize(xTrain);
    xTrain = scaler.transform(xTrain);
    xTest = scaler.transform(xTest);
    if (xVal) xVal = scaler.transform(xVal);
  }
  return { xTrain, yTrain, xVal, yVal, xTest, yTest: split.yTest, what: loaded.what, featureNames: loaded.featureNames, classes: loaded.classes, labelName: loaded.labelName, scaler };
}

// A text: the tokenizer fitted on the training part only; the test part is the text's last
// testSize, the validation part the last validationSize of what is left.
async function splitText(source: TextSource, baseDir: string, configFile: string, earlyStopping: boolean): Promise<Parts> {
  const file = path.resolve(baseDir, source.path);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new ConfigError(`data.path: cannot read '${source.path}': ${(e as Error).message}`);
  }
  const body = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes; // gzip, by its magic bytes
  const book = body.toString('utf8');
  const testStart = Math.floor(book.length * (1 - source.testSize));
  const validationStart = Math.floor(testStart * (1 - source.validationSize));
  const make = source.tokenizer === 'char' ? charTokenizer : wordTokenizer;
  const tokenizer = make({ ...(source.lowercase !== undefined ? { lowercase: source.lowercase } : {}), ...(source.maxVocabulary ? { maxVocabulary: source.maxVocabulary } : {}) }).fit(book.slice(0, validationStart));
  const cut = (part: string, what: string) => {
    try {
      return windows(tokenizer.encode(part), { contextLength: source.contextLength, stride: source.stride ?? source.contextLength, targets: source.targets });
    } catch (e) {
      throw new ConfigError(`data: the ${what} part of '${source.path}' (${part.length} characters): ${(e as Error).message.replace(/^text.windows: /, '')}`);
    }
  };
  const train = cut(book.slice(0, validationStart), 'training');
  const validation = validationStart < testStart ? cut(book.slice(validationStart, testStart), 'validation') : undefined;
  const test = cut(book.slice(testStart), 'test');
  if (earlyStopping && !validation)
    throw new TypeError(`${configFile}: fit.earlyStopping needs validation windows; set data.validationSize above 0 (the test part is never used to choose when to stop)`);
  return {
    xTrain: train.x, yTrain: train.y, xVal: validation?.x, yVal: validation?.y, xTest: test.x, yTest: test.y, tokenizer,
    what: `${book.length.toLocaleString('en-US')} characters of ${source.path}, ${tokenizer.vocabularySize} ${source.tokenizer === 'char' ? 'characters' : 'words'} as tokens, windows of ${source.contextLength}`,
  };
}

/** The model's layers from the config: layers.<type>(options), the first given the data's width. */
export function buildLayers(config: RunConfig, features: number): Layer[] {
  return config.model.layers.map(({ type, inputs: _inputs, ...options }, i) =>
    createLayer(type, i === 0 && options.inputShape === undefined && options.inputDim === undefined && options.inputLength === undefined ? { ...options, inputShape: [features] } : options),
  );
}

/**
 * The model the config describes: a sequential model, or, when a layer names its `inputs`, a
 * graph (model({ inputs, outputs })) over the data's one input, "input", whose output is the last layer.
 */
export function buildModel(config: RunConfig, features: number): Model {
  const options = { name: config.name, ...(config.model.seed !== undefined ? { seed: config.model.seed } : {}) };
  const specs = config.model.layers;
  if (!specs.some((l) => l.inputs)) return sequential(buildLayers(config, features), options);
  const first = specs[0] as { inputShape?: number[]; inputLength?: number; type: string };
  const shape = first.inputShape ?? (first.inputLength !== undefined ? [first.inputLength] : [features]);
  const tokens = first.type === 'embedding' || first.type === 'tokenAndPositionEmbedding'; // layers that read token ids
  const data = input({ shape, dtype: tokens ? 'int32' : 'float32', name: 'input' });
  const outputs = new Map<string, SymbolicTensor>([['input', data]]);
  let previous = data;
  specs.forEach(({ type, inputs, ...rest }, i) => {
    const { inputShape: _shape, inputLength: _length, ...layerOptions } = rest as Record<string, unknown>;
    const layer = createLayer(type, layerOptions);
    const reads = (inputs ?? []).map((name) => {
      const t = outputs.get(name);
      if (!t) throw new TypeError(`model.layers[${i}] ('${layer.name ?? type}'): inputs names '${name}', which is neither "input" nor an earlier layer's name`);
      return t;
    });
    previous = layer.apply(inputs ? (reads.length === 1 ? reads[0] : reads) : previous);
    outputs.set(layer.name!, previous);
  });
  return model({ inputs: data, outputs: previous, ...options });
}

export interface TrainResult {
  runDir: string;
  files: Record<string, string>;
  model: Model;
  evaluation: Record<string, number>;
  onnx?: OnnxReport;
}

export async function train(configFile: string, print: (line: string) => void = console.log): Promise<TrainResult> {
  // Under `gradloop launch` (several ranks) rank 0 prints and writes; the others train quietly.
  const log = (launcherRank()?.rank ?? 0) === 0 ? print : () => {};
  const config = await readRunConfig(configFile);
  const baseDir = path.dirname(path.resolve(configFile));
  const info = backendInfo();
  log(`gradloop on ${info.backend} (${info.blas.split(' ').slice(0, 2).join(' ')}, ${info.threads} threads)`);

  // ---- data ----
  const stopsEarly = config.fit.earlyStopping !== undefined;
  const source = config.data;
  const parts = source.source === 'text' ? await splitText(source, baseDir, configFile, stopsEarly) : await splitRows(source, baseDir, configFile, stopsEarly);
  const { xTrain, yTrain, xVal, yVal, xTest, scaler, tokenizer } = parts;
  log(`data: ${parts.what}; ${xTrain.shape[0]} for training, ${xVal ? `${xVal.shape[0]} for validation, ` : ''}${xTest.shape[0]} held out for the final test${scaler ? `; ${scaler.kind}d on the training rows` : ''}\n`);

  // ---- model ----
  const features = xTrain.size / xTrain.shape[0];
  const model = buildModel(config, features);
  if (tokenizer) {
    const scores = model.outputShape.at(-1);
    if (scores !== tokenizer.vocabularySize)
      throw new ConfigError(`${configFile}: the model's last layer gives ${scores} scores but the tokenizer has ${tokenizer.vocabularySize} tokens; set its units (and the embedding's vocabularySize or inputDim) to ${tokenizer.vocabularySize}`);
    model.tokenizer = tokenizer; // saved in the checkpoint; gradloop generate reads it from there
  }
  const { optimizer, loss, metrics, weightedMetrics, clipNorm, clipValue } = config.compile;
  model.compile({
    optimizer: optimizerFromConfig(optimizer, 'compile.optimizer'), loss, metrics: metrics as Metric[],
    ...(weightedMetrics ? { weightedMetrics: weightedMetrics as Metric[] } : {}), ...(clipNorm ? { clipNorm } : {}), ...(clipValue ? { clipValue } : {}),
  });
  model.summary(log);

  // ---- fit ----
  const { earlyStopping, ...fitOptions } = config.fit;
  const cbs: Callback[] = earlyStopping ? [monitors.earlyStopping(earlyStopping)] : [];
  const started = performance.now();
  const history = await model.fit(xTrain, yTrain, { ...fitOptions, ...(xVal && yVal ? { validationData: [xVal, yVal] as [Tensor, Tensor] } : {}), callbacks: cbs, verbose: 1, distributed: 'auto' });
  const seconds = (performance.now() - started) / 1000;
  if (!distributed.isMain) return { runDir: path.resolve(config.output, config.name), files: {}, model, evaluation: {} };
  // The test rows, once: nothing above looked at them.
  const result = await model.evaluate(xTest, parts.yTest, { batchSize: 256 });
  // testLoss, testAccuracy, testPrecision, ...: every compiled metric on the test rows.
  const evaluation: Record<string, number> = {};
  for (const [k, v] of Object.entries(result)) if (typeof v === 'number') evaluation[`test${k[0].toUpperCase()}${k.slice(1)}`] = v;
  const others = Object.entries(result).filter(([k, v]) => typeof v === 'number' && k !== 'loss' && k !== 'accuracy').map(([k, v]) => `${k} ${(v as number).toFixed(4)}`);
  log(`\ntrained ${history.epoch.length} epochs in ${seconds.toFixed(1)}s; test (${xTest.shape[0]} rows never used in training or to choose the model): loss ${result.loss.toFixed(4)}` + (tokenizer ? ' nats per token' : '') + (result.accuracy !== undefined ? `, accuracy ${(result.accuracy * 100).toFixed(2)}%` : '') + others.map((o) => `, ${o}`).join(''));
  let sample: string | undefined;
  if (source.source === 'text' && source.sample && tokenizer) {
    const { prompt, ...options } = source.sample;
    sample = generate(model, tokenizer, prompt, options);
    log(`sample: ${JSON.stringify(sample)}`);
  }

  // ---- outputs ----
  const runDir = path.resolve(config.output, config.name);
  await mkdir(runDir, { recursive: true });
  const files: Record<string, string> = {
    checkpoint: path.join(runDir, 'checkpoint'),
    onnx: path.join(runDir, 'model.onnx'),
    curvesPng: path.join(runDir, 'curves.png'),
    curvesSvg: path.join(runDir, 'curves.svg'),
    report: path.join(runDir, 'report.html'),
    history: path.join(runDir, 'history.json'),
    preprocessing: path.join(runDir, PREPROCESSING_FILE),
    config: path.join(runDir, 'run.json'),
  };
  await model.save(files.checkpoint);
  const preprocessing: Preprocessing = { featureNames: parts.featureNames, classes: parts.classes, scaler: scaler?.toJSON(), labelName: parts.labelName };
  await writeFile(files.preprocessing, JSON.stringify(preprocessing, null, 2) + '\n');
  await writeFile(files.config, JSON.stringify(config, null, 2) + '\n');
  await writeFile(files.history, JSON.stringify({ epoch: history.epoch, history: history.history, params: history.params, layers: history.layers, warnings: history.warnings, diagnosis: history.diagnose(), evaluation, ...(sample !== undefined ? { sample } : {}) }, null, 2) + '\n');

  await model.exportOnnx(files.onnx);
  let onnx: (OnnxReport & { path: string }) | undefined;
  const rows = Math.min(1000, xTest.shape[0]);
  const rowsForOnnx = new Tensor(xTest.data.slice(0, rows * features), [rows, ...xTest.shape.slice(1)], xTest.dtype);
  try {
    onnx = { ...(await verifyOnnx(model, files.onnx, rowsForOnnx)), path: 'model.onnx' };
    log(`ONNX check on ${onnx.rows} test samples in onnxruntime: ${onnx.passed ? 'PASSED' : 'FAILED'}, max abs diff ${onnx.maxAbsDiff.toExponential(2)}`);
  } catch (e) {
    log(`ONNX check skipped: ${(e as Error).message}`);
  }

  await plotHistory(history, files.curvesSvg, { title: `${config.name}: training curves` });
  await plotHistory(history, files.curvesPng, { title: `${config.name}: training curves` });
  await plotHistory(history, files.report, {
    title: `Training report: ${config.name}`,
    model,
    evaluation,
    ...(result.confusionMatrices ? { confusionMatrices: Object.fromEntries(Object.entries(result.confusionMatrices).map(([k, m]) => [`test ${k}`, m])), classNames: parts.classes } : {}),
    onnx,
    hyperparameters: { data: config.data, fit: config.fit, trainingSeconds: Number(seconds.toFixed(2)) },
  });

  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  log(`\nwrote ${rel(runDir)}/`);
  for (const [what, file] of Object.entries({ checkpoint: files.checkpoint, 'ONNX model': files.onnx, curves: files.curvesPng, report: files.report, history: files.history }))
    log(`  ${what.padEnd(11)} ${rel(file)}`);
  if (onnx && !onnx.passed) throw new Error(`the exported ONNX model does not match gradloop's predictions (max abs diff ${onnx.maxAbsDiff})`);
  return { runDir, files, model, evaluation, onnx };
}
