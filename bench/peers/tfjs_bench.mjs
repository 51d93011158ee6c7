// TensorFlow.js side of `npm run bench:compare`: one workload, one measurement, one JSON line.
//   node tfjs_bench.mjs <workload> <cpu|wasm> <seconds>
// Trains with model.trainOnBatch on batches gathered by index (tf.gather) from tensors already
// in memory, the fastest tfjs training loop we know, so the comparison is fair to it.
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';

const [name, backend, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg);

if (backend === 'wasm') {
  const dist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(dist + path.sep);
  setThreadsCount(2);
}
await tf.setBackend(backend);
await tf.ready();

const WORKLOADS = {
  W1: { sizes: [784, 512, 512, 10], optimizer: 'adam', batch: 128 },
  W2: { sizes: [784, 128, 10], optimizer: 'sgd', batch: 32 },
  W3: { sizes: [784, 1024, 1024, 1024, 10], optimizer: 'adam', batch: 256 },
  W4: { sizes: 'embedding', optimizer: 'adam', batch: 256 },
};
const w = WORKLOADS[name];
const n = w.batch * 16;
let model, x;
if (w.sizes === 'embedding') {
  model = tf.sequential({ layers: [
    tf.layers.embedding({ inputDim: 65, outputDim: 32, inputLength: 8 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 256, activation: 'tanh' }),
    tf.layers.dense({ units: 65 }),
  ] });
  x = tf.randomUniform([n, 8], 0, 65, 'int32');
} else {
  model = tf.sequential({
    layers: w.sizes.slice(1).map((units, i) => tf.layers.dense({
      ...(i === 0 ? { inputShape: [w.sizes[0]] } : {}), units, activation: i < w.sizes.length - 2 ? 'relu' : 'linear',
    })),
  });
  x = tf.randomUniform([n, w.sizes[0]]);
}
const classes = w.sizes === 'embedding' ? 65 : w.sizes[w.sizes.length - 1];
const y = tf.oneHot(tf.randomUniform([n], 0, classes, 'int32'), classes);
const optimizer = w.optimizer === 'adam' ? tf.train.adam(1e-3) : tf.train.momentum(0.01, 0.9);
// Softmax cross-entropy from logits, as the other systems compute it.
model.compile({ optimizer, loss: (labels, logits) => tf.losses.softmaxCrossEntropy(labels, logits) });

async function run(stopAfter) {
  let steps = 0;
  const start = performance.now();
  for (;;) {
    const order = tf.util.createShuffledIndices(n);
    for (let s = 0; s < n; s += w.batch) {
      const idx = tf.tensor1d(Int32Array.from(order.slice(s, s + w.batch)), 'int32');
      const xb = tf.gather(x, idx), yb = tf.gather(y, idx);
      await model.trainOnBatch(xb, yb);
      tf.dispose([idx, xb, yb]);
      steps++;
      if (performance.now() - start >= stopAfter * 1000 && steps >= 2) return [steps, (performance.now() - start) / 1000];
    }
  }
}

await run(0.3);
const [steps, elapsed] = await run(seconds);
console.log(JSON.stringify({
  system: `tfjs-${backend}`, workload: name, steps, samplesPerSec: (steps * w.batch) / elapsed,
  peakRssMb: process.resourceUsage().maxRSS / 1024, version: tf.version.tfjs,
}));
