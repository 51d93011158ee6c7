// Issue 20's example: a rare positive class (5% of the rows, as fraud or failures are), where
// accuracy says little (always answering "negative" scores 95%) and what matters is how many
// positives a model finds (recall), how many of its alarms are real (precision) and how well it
// ranks (AUC). The same network is trained twice: as is, and with classWeight giving each class
// the same total weight (scikit-learn's 'balanced': n / (2 n_class)). Metrics are computed over
// whole epochs and the whole test set, so precision, recall and AUC are exact.
// The rows are generated here with a fixed seed (8 features; the label depends on them
// non-linearly, with noise), so the run is the same everywhere.
//   npx tsx examples/imbalanced.ts
import { layers, type Metric, metrics, optimizers, sequential, tensor } from '../src/index.js';
import { Random } from '../src/random.js';

const rows = 20_000, features = 8;
const random = new Random(2026);
const x = new Float32Array(rows * features), score = new Float64Array(rows);
for (let i = 0; i < rows; i++) {
  const f = Array.from({ length: features }, () => random.normal());
  x.set(f, i * features);
  score[i] = 1.2 * f[0] - 0.8 * f[1] + 0.9 * f[2] * f[3] + 0.7 * Math.sin(2 * f[4]) + 0.5 * f[5] ** 2 + 0.9 * random.normal();
}
// The top 5% of scores are the positives.
const cut = Float64Array.from(score).sort()[Math.floor(rows * 0.95)];
const y = Float32Array.from(score, (s) => (s >= cut ? 1 : 0));

// 70% training, 15% validation, 15% test, in the generated (random) order.
const part = (from: number, to: number) => ({ x: tensor(x.slice(from * features, to * features), [to - from, features]), y: tensor(y.slice(from, to), [to - from, 1]) });
const train = part(0, 14_000), validation = part(14_000, 17_000), test = part(17_000, rows);
const count = (t: { data: ArrayLike<number> }) => Array.from(t.data).reduce((a, b) => a + b, 0);
const positives = count(train.y);
const balanced = { 0: 14_000 / (2 * (14_000 - positives)), 1: 14_000 / (2 * positives) };
console.log(`${rows} rows, ${((100 * y.reduce((a, b) => a + b, 0)) / rows).toFixed(1)}% positive; training on ${train.y.shape[0]} (${positives} positives), class weights ${balanced[0].toFixed(3)} / ${balanced[1].toFixed(2)}`);

// At the default threshold 0.5, and at 0.1 (another way to trade precision for recall).
const list: Metric[] = [
  'precision', 'recall', 'auc', metrics.auc({ curve: 'PR' }), 'confusionMatrix',
  metrics.precision({ threshold: 0.1, name: 'precisionAt0.1' }), metrics.recall({ threshold: 0.1, name: 'recallAt0.1' }),
];
async function run(classWeight?: Record<number, number>) {
  const model = sequential([
    layers.dense({ inputShape: [features], units: 32, activation: 'relu' }),
    layers.dense({ units: 16, activation: 'relu' }),
    layers.dense({ units: 1, activation: 'sigmoid' }),
  ], { seed: 7 });
  model.compile({ optimizer: optimizers.adam({ learningRate: 2e-3 }), loss: 'binaryCrossEntropy', metrics: list });
  const started = performance.now();
  const history = await model.fit(train.x, train.y, { epochs: 20, batchSize: 128, seed: 3, verbose: 0, validationData: [validation.x, validation.y], ...(classWeight ? { classWeight } : {}) });
  const seconds = (performance.now() - started) / 1000;
  return { history, seconds, test: await model.evaluate(test.x, test.y, { batchSize: 1024 }) };
}

const plain = await run();
const weighted = await run(balanced);
const line = (name: string, r: Awaited<ReturnType<typeof run>>) =>
  `${name.padEnd(20)} precision ${r.test.precision.toFixed(3)}  recall ${r.test.recall.toFixed(3)}  AUC ${r.test.auc.toFixed(3)}  average precision ${r.test.averagePrecision.toFixed(3)}  (${r.seconds.toFixed(1)}s)`;
console.log(`test set (${test.y.shape[0]} rows, ${count(test.y)} positives), threshold 0.5:`);
console.log(line('without classWeight', plain));
console.log(line('classWeight balanced', weighted));
console.log(`without classWeight at threshold 0.1: precision ${plain.test['precisionAt0.1'].toFixed(3)}  recall ${plain.test['recallAt0.1'].toFixed(3)}`);
const [[tn, fp], [fn, tp]] = weighted.test.confusionMatrix!;
console.log(`with classWeight: ${tp} positives found, ${fn} missed, ${fp} false alarms, ${tn} negatives passed`);
const h = weighted.history.history;
console.log(`validation AUC by epoch (classWeight): ${h.valAuc.map((v) => v.toFixed(3)).join(' ')}`);
