// A graph model on the bundled digits: a residual MLP (examples/residual-model.ts) built with the
// functional API, trained, checkpointed, resumed, exported to ONNX and checked in onnxruntime.
//   npx tsx examples/residual-mnist.ts
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel, tensor, verifyOnnx } from '../src/index.js';
import { loadMnist } from './mnist-data.js';
import { residualMlp } from './residual-model.js';

const { xTrain, yTrain, xTest, yTest } = await loadMnist();
const m = residualMlp();
m.summary();

const dir = mkdtempSync(path.join(os.tmpdir(), 'residual-mnist-'));
const checkpoint = path.join(dir, 'checkpoint');
// Four epochs, a checkpoint after each (the last one kept), then two more from the checkpoint.
await m.fit(xTrain, yTrain, { epochs: 4, batchSize: 128, seed: 1, validationData: [xTest, yTest], verbose: 0,
  callbacks: [{ onEpochEnd: async () => m.save(checkpoint) }] });
const resumed = await loadModel(checkpoint);
const history = await resumed.fit(xTrain, yTrain, { epochs: 6, resumeFrom: checkpoint, validationData: [xTest, yTest], verbose: 0 });
const { accuracy } = await resumed.evaluate(xTest, yTest);
console.log(`\nresumed at epoch ${history.epoch[0] + 1}, trained to epoch ${history.epoch.at(-1)! + 1}: test accuracy ${(accuracy! * 100).toFixed(2)}% on ${xTest.shape[0]} held-out digits`);

const onnxFile = path.join(dir, 'residual.onnx');
await resumed.exportOnnx(onnxFile);
const report = await verifyOnnx(resumed, onnxFile, tensor(xTest.data.slice(0, 256 * 784), [256, 784]));
console.log(`ONNX (${report.ops.join(', ')}): ${report.passed ? 'PASSED' : 'FAILED'} on ${report.rows} digits, max abs diff ${report.maxAbsDiff.toExponential(2)}`);
if (!report.passed) process.exitCode = 1;
