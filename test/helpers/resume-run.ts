// Child process for test/checkpoint.test.ts: one leg of the exact-resume experiment, on a model
// with dropout, per-epoch shuffles, Adam and a per-step cosine schedule.
//   full <epochs>                 train from scratch, print the weights' hash
//   first <epochs> <dir>          train from scratch, save a checkpoint to dir
//   resume <epochs> <dir>         loadModel(dir) in this fresh process, fit to <epochs> with resumeFrom
import { createHash } from 'node:crypto';
import { layers, loadModel, optimizers, schedules, sequential, type Model, type Sequential, tensor } from '../../src/index.js';
import { Random } from '../../src/random.js';

const [mode, epochsArg, dir] = process.argv.slice(2);
const epochs = Number(epochsArg);

const r = new Random(3);
const rows = 300;
const x = tensor(Float32Array.from({ length: rows * 12 }, () => r.normal()), [rows, 12]);
const y = tensor(Int32Array.from({ length: rows }, (_, i) => (x.data[i * 12] + x.data[i * 12 + 1] > 0 ? 1 : 0) + (x.data[i * 12 + 2] > 0.5 ? 2 : 0)), [rows], 'int32');
const fit = { batchSize: 16, seed: 11, validationSplit: 0.2, verbose: 0 as const };

function fresh(): Sequential {
  const model = sequential(
    [
      layers.dense({ inputShape: [12], units: 32, activation: 'relu' }),
      layers.dropout({ rate: 0.3 }),
      layers.dense({ units: 16, activation: 'tanh', kernelRegularizer: 'l2' }),
      layers.dense({ units: 4 }),
    ],
    { seed: 5 },
  );
  model.compile({
    optimizer: optimizers.adam({ learningRate: schedules.cosineDecay({ initialLearningRate: 0.01, decaySteps: 100, warmupSteps: 10 }) }),
    loss: 'softmaxCrossEntropy',
    metrics: ['accuracy'],
  });
  return model;
}

let model: Model;
if (mode === 'resume') {
  model = await loadModel(dir);
  await model.fit(x, y, { epochs, resumeFrom: dir, verbose: 0 });
} else {
  model = fresh();
  await model.fit(x, y, { ...fit, epochs });
  if (mode === 'first') await model.save(dir);
}
const hash = createHash('sha256');
for (const w of model.getWeights()) hash.update(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength));
console.log(`weights ${hash.digest('hex')} iterations ${model.optimizer!.iterations}`);
