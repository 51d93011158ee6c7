// A small GPT end to end (issue 18: "everything trains, saves, resumes, exports and verifies"):
// causal attention with dropout, layer norms, gelu MLP, a loss at every position; 2 epochs, a
// checkpoint with its tokenizer, 2 more epochs resumed from it equal 4 uninterrupted epochs bit
// for bit; the ONNX export matches; generation from the loaded model equals the original's.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callbacks, input, layers, loadModel, losses, model, optimizers, text, verifyOnnx } from '../src/index.js';
import { float32Tolerance } from './helpers/tolerance.js';

const corpus = 'the whale swam under the ship; the sea was calm and the men slept. '.repeat(12);
const tokenizer = text.charTokenizer().fit(corpus);
const context = 16, V = tokenizer.vocabularySize;
const { x, y } = text.windows(tokenizer.encode(corpus), { contextLength: context, stride: 4, targets: 'sequence' });

function gpt() {
  const ids = input({ shape: [context], dtype: 'int32' });
  let h = layers.tokenAndPositionEmbedding({ vocabularySize: V, sequenceLength: context, embeddingDim: 24 }).apply(ids);
  for (let b = 0; b < 2; b++) {
    h = layers.add().apply([h, layers.multiHeadAttention({ numHeads: 2, keyDim: 12, useCausalMask: true, dropout: 0.1 }).apply(layers.layerNormalization().apply(h))]);
    h = layers.add().apply([h, layers.dense({ units: 24 }).apply(layers.dense({ units: 48, activation: 'gelu' }).apply(layers.layerNormalization().apply(h)))]);
  }
  const m = model({ inputs: ids, outputs: layers.dense({ units: V }).apply(layers.layerNormalization().apply(h)), seed: 9 });
  m.compile({ optimizer: optimizers.adamw({ learningRate: 3e-3, weightDecay: 0.01 }), loss: losses.softmaxCrossEntropy(), metrics: ['accuracy'] });
  m.tokenizer = tokenizer;
  return m;
}

describe('a small GPT end to end', () => {
  it('trains, saves with its tokenizer, resumes bit for bit, exports, verifies and generates the same text after loading', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gradloop-gpt-'));
    const fit = { batchSize: 8, seed: 3, verbose: 0 as const };
    const straight = gpt();
    const history = await straight.fit(x, y, { ...fit, epochs: 4 });
    expect(history.history.loss[3]).toBeLessThan(history.history.loss[0] * 0.6);

    const first = gpt();
    await first.fit(x, y, { ...fit, epochs: 4, callbacks: [callbacks.modelCheckpoint({ dir: path.join(dir, 'epoch-{epoch}'), every: 2 })] });
    const resumed = await loadModel(path.join(dir, 'epoch-2'));
    expect(resumed.tokenizer?.toJSON()).toEqual(tokenizer.toJSON());
    await resumed.fit(x, y, { ...fit, epochs: 4, resumeFrom: path.join(dir, 'epoch-2') });
    straight.getWeights().forEach((w, i) => expect(Buffer.from(resumed.getWeights()[i].data.buffer).equals(Buffer.from(w.data.buffer)), w.name).toBe(true));

    const file = path.join(dir, 'gpt.onnx');
    await resumed.exportOnnx(file);
    const report = await verifyOnnx(resumed, file, x, float32Tolerance(48, 8));
    expect(report.passed, JSON.stringify(report.worst)).toBe(true);

    await resumed.save(path.join(dir, 'final'));
    const loaded = await loadModel(path.join(dir, 'final'));
    const options = { maxTokens: 30, temperature: 0.7, seed: 5 };
    // The tokenizer kept with the model is the default.
    expect(text.generate(loaded, 'the wh', options)).toBe(text.generate(straight, tokenizer, 'the wh', options));
    expect(text.topTokens(loaded, 'the wh', 2)).toEqual(text.topTokens(straight, tokenizer, 'the wh', 2));
    loaded.tokenizer = undefined;
    expect(() => text.generate(loaded, 'the wh')).toThrow(/generate: no tokenizer given and model '.*' has none; pass one, or set model.tokenizer/);
  });
});
