// `gradloop predict`, `gradloop generate`, `gradloop export` and `gradloop info`.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { data } from '../data/index.js';
import { Scaler } from '../data/preprocess.js';
import { loadModel, type Model } from '../model/model.js';
import { backendInfo } from '../backend/runtime.js';
import { cudaUnavailableReason, devices } from '../backend/device.js';
import { generate as generateText } from '../text/generate.js';
import { VERSION } from '../version.js';
import { PREPROCESSING_FILE, type Preprocessing } from './preprocessing.js';

/** A run folder (runs/<name>, holding checkpoint/) or a checkpoint folder itself. */
export async function openModel(dir: string): Promise<{ model: Model; preprocessing: Preprocessing }> {
  const checkpoint = existsSync(path.join(dir, 'model.json')) ? dir : path.join(dir, 'checkpoint');
  if (!existsSync(path.join(checkpoint, 'model.json')))
    throw new Error(`--model '${dir}' is neither a run folder (with checkpoint/) nor a checkpoint folder (with model.json)`);
  const model = await loadModel(checkpoint);
  // The run folder's preprocessing, next to the checkpoint or one level up.
  const candidates = [path.join(checkpoint, PREPROCESSING_FILE), path.join(path.dirname(checkpoint), PREPROCESSING_FILE)];
  const found = candidates.find((f) => existsSync(f));
  const preprocessing: Preprocessing = found ? JSON.parse(readFileSync(found, 'utf8')) : {};
  return { model, preprocessing };
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export async function predict(options: { model: string; input: string; out?: string; header: boolean; batchSize: number }, log: (line: string) => void): Promise<void> {
  const { model, preprocessing } = await openModel(options.model);
  const features = model.inputShape.reduce((a, b) => a * b, 1);
  const columns = options.header ? preprocessing.featureNames : undefined;
  const classifier = model.compileConfig?.loss === 'softmaxCrossEntropy';
  const regression = model.compileConfig?.loss === 'mse';
  // A file that still has the label column is read with it, and predict reports the accuracy (a
  // classifier) or MAE, RMSE and R^2 (a regression).
  const labelled =
    columns && preprocessing.labelName !== undefined && (classifier || regression)
      ? await data.fromCsv(options.input, { columns, label: preprocessing.labelName, labelType: classifier ? 'class' : 'number' }).catch(() => undefined)
      : undefined;
  const csv =
    labelled ??
    (await data.fromCsv(options.input, { header: options.header, ...(columns ? { columns } : {}) }).catch((e: Error) => {
      throw new Error(`${e.message}${columns ? `\n(the model was trained on the columns ${columns.join(', ')})` : ''}`);
    }));
  let labels: Int32Array | undefined;
  if (labelled?.y && classifier) {
    // Text labels map to the training classes by name; numeric ones are class indices already.
    const index = new Map((preprocessing.classes ?? []).map((c, i) => [c, i]));
    labels = labelled.classes ? Int32Array.from(labelled.y.data, (i) => index.get(labelled.classes![i]) ?? -1) : Int32Array.from(labelled.y.data);
  }
  const perRow = csv.x.size / csv.x.shape[0];
  if (perRow !== features)
    throw new Error(`'${options.input}' has ${perRow} feature columns per row but the model takes ${features}${preprocessing.featureNames ? ` (${preprocessing.featureNames.length} named columns: ${preprocessing.featureNames.slice(0, 8).join(', ')}${preprocessing.featureNames.length > 8 ? ', ...' : ''})` : ''}`);
  let x = csv.x;
  if (preprocessing.scaler) x = Scaler.fromJSON(preprocessing.scaler).transform(x);
  // A classifier's probabilities: softmax of its logits, or its output as is when it ends in a softmax.
  const out = classifier ? model.predictProba(x, { batchSize: options.batchSize }) : model.predict(x, { batchSize: options.batchSize });
  const outputs = out.size / out.shape[0];
  const lines: string[] = [];
  if (classifier) {
    const names = preprocessing.classes ?? Array.from({ length: outputs }, (_, i) => String(i));
    lines.push(['prediction', ...names.map((n) => `p_${n}`)].map(csvCell).join(','));
    const predicted = out.argMax();
    let correct = 0;
    for (let r = 0; r < out.shape[0]; r++) {
      const row = out.data.subarray(r * outputs, (r + 1) * outputs);
      lines.push([csvCell(names[predicted[r]]), ...Array.from(row, (p) => p.toPrecision(6))].join(','));
      if (labels && labels[r] === predicted[r]) correct++;
    }
    if (labels) log(`accuracy against the file's '${preprocessing.labelName}' column: ${((correct / out.shape[0]) * 100).toFixed(2)}% of ${out.shape[0]} rows`);
  } else {
    if (regression && labelled?.y && labelled.y.size === out.size) log(regressionReport(out.data as Float32Array, labelled.y.data as Float32Array, outputs, preprocessing.labelName!));
    lines.push(Array.from({ length: outputs }, (_, i) => `output_${i}`).join(','));
    for (let r = 0; r < out.shape[0]; r++) lines.push(Array.from(out.data.subarray(r * outputs, (r + 1) * outputs), (v) => v.toPrecision(7)).join(','));
  }
  const text = lines.join('\n') + '\n';
  if (options.out) {
    await writeFile(options.out, text);
    log(`wrote ${out.shape[0]} predictions to ${options.out}`);
  } else process.stdout.write(text);
}

/**
 * MAE, RMSE and R^2 of predictions against targets ([rows, outputs], row-major), as scikit-learn's
 * mean_absolute_error, root of mean_squared_error and r2_score (R^2 averaged over the outputs).
 */
export function regressionReport(predicted: ArrayLike<number>, target: ArrayLike<number>, outputs: number, labelName: string): string {
  const rows = target.length / outputs;
  let absolute = 0, squares = 0, r2 = 0;
  for (let i = 0; i < target.length; i++) {
    absolute += Math.abs(predicted[i] - target[i]);
    squares += (predicted[i] - target[i]) ** 2;
  }
  for (let c = 0; c < outputs; c++) {
    let mean = 0, residual = 0, total = 0;
    for (let r = 0; r < rows; r++) mean += target[r * outputs + c] / rows;
    for (let r = 0; r < rows; r++) {
      residual += (predicted[r * outputs + c] - target[r * outputs + c]) ** 2;
      total += (target[r * outputs + c] - mean) ** 2;
    }
    r2 += (total > 0 ? 1 - residual / total : residual > 0 ? 0 : 1) / outputs; // scikit-learn's constant-target convention
  }
  const n = target.length;
  return `regression metrics against the file's '${labelName}' column over ${rows} rows: MAE ${(absolute / n).toPrecision(4)}, RMSE ${Math.sqrt(squares / n).toPrecision(4)}, R² ${r2.toFixed(4)}`;
}

/** A text model's continuation of a prompt, with the tokenizer its checkpoint holds. */
export async function generate(options: { model: string; prompt: string; maxTokens: number; temperature: number; topK?: number; topP?: number; seed: number }): Promise<string> {
  const { model } = await openModel(options.model);
  if (!model.tokenizer) throw new Error(`--model '${options.model}' has no tokenizer: generate needs a text model (trained from a data source 'text', or saved with model.tokenizer set)`);
  const { prompt, maxTokens, temperature, topK, topP, seed } = options;
  return generateText(model, model.tokenizer, prompt, { maxTokens, temperature, seed, ...(topK !== undefined ? { topK } : {}), ...(topP !== undefined ? { topP } : {}) });
}

export async function exportModel(options: { model: string; out: string; opset: number }, log: (line: string) => void): Promise<void> {
  const { model } = await openModel(options.model);
  const bytes = await model.exportOnnx(options.out, { opset: options.opset });
  log(`wrote ${options.out} (${(bytes.length / 1024).toFixed(0)} KiB, ONNX opset ${options.opset})`);
}

export function info(log: (line: string) => void): void {
  const b = backendInfo();
  log(`gradloop ${VERSION}`);
  log(`node ${process.version} (Node-API ${process.versions.napi}), ${process.platform}-${process.arch}`);
  log(`backend: ${b.backend}`);
  log(`BLAS: ${b.blas}`);
  const chosenBy = { gradloop: "chosen by gradloop from the CPU's features", OPENBLAS_CORETYPE: 'set by OPENBLAS_CORETYPE', OpenBLAS: "OpenBLAS's own detection" }[b.blasCoreChosenBy];
  log(`BLAS kernels: ${b.blasCore} (${chosenBy}); CPU: ${b.cpu} with ${b.cpuFeatures}`);
  if (b.blasWarning) log(`warning: ${b.blasWarning}`);
  log(`float mode: ${b.flushDenormals ? 'flush-to-zero (denormals flushed; setFlushDenormals(false) for IEEE)' : 'IEEE (denormals kept)'}`);
  log('devices:');
  for (const d of devices()) {
    if (d.type === 'cpu') log(`  cpu: ${d.name}, ${os.availableParallelism()} cores, ${d.threads} threads in use`);
    else log(`  cuda:${d.index}: ${d.name}, ${(d.memory / 2 ** 30).toFixed(1)} GiB, compute capability ${d.computeCapability}`);
  }
  const reason = cudaUnavailableReason();
  log(reason ? `  (no usable GPU: ${reason}; device 'auto' trains on the CPU)` : "  (device 'auto' trains on cuda:0)");
}
