// Incremental decoding (issue 18): model.decoder() runs one position per call with a key/value
// cache in each causal attention layer. Its outputs must be the full model's at every position,
// and text.generate must give the same tokens with and without the cache.
import { describe, expect, it } from 'vitest';
import { input, layers, model, type Model, sequential, tensor, text } from '../src/index.js';

const V = 13, context = 12, d = 16;

/** A small pre-LN GPT (random weights): token + position embeddings, two causal blocks. */
function gpt(options: { outputActivation?: 'softmax'; separatePositions?: boolean } = {}): Model {
  const ids = input({ shape: [context], dtype: 'int32' });
  let x = options.separatePositions
    ? layers.add().apply([
        layers.embedding({ inputDim: V, outputDim: d }).apply(ids),
        layers.positionEmbedding({ sequenceLength: context + 4 }).apply(layers.embedding({ inputDim: V, outputDim: d }).apply(ids)),
      ])
    : layers.tokenAndPositionEmbedding({ vocabularySize: V, sequenceLength: context, embeddingDim: d }).apply(ids);
  for (let b = 0; b < 2; b++) {
    x = layers.add().apply([x, layers.multiHeadAttention({ numHeads: 2, keyDim: 6, valueDim: 5, useCausalMask: true, dropout: 0.1 }).apply(layers.layerNormalization().apply(x))]);
    x = layers.add().apply([x, layers.dense({ units: d }).apply(layers.dense({ units: 2 * d, activation: 'gelu' }).apply(layers.layerNormalization().apply(x)))]);
  }
  const out = layers.dense({ units: V, activation: options.outputActivation ?? 'linear' }).apply(layers.dropout({ rate: 0.2 }).apply(layers.layerNormalization().apply(x)));
  return model({ inputs: ids, outputs: out, seed: 4 });
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  expect(worst, what).toBeLessThan(1e-5);
}

describe('model.decoder', () => {
  for (const variant of [{}, { outputActivation: 'softmax' as const, separatePositions: true }]) {
    it(`gives the full model's outputs at every position, for a batch of 2 (${JSON.stringify(variant)})`, () => {
      const m = gpt(variant);
      const seqs = [Int32Array.from({ length: context }, (_, i) => (i * 5 + 2) % V), Int32Array.from({ length: context }, (_, i) => (i * i + 7) % V)];
      const full = m.predict(tensor(Int32Array.from([...seqs[0], ...seqs[1]]), [2, context], 'int32')).data;
      const decoder = m.decoder();
      expect(decoder.positions).toBe(context);
      expect(decoder.outputShape).toEqual([V]);
      for (let t = 0; t < context; t++) {
        const out = decoder.next([seqs[0][t], seqs[1][t]]);
        expect(out.shape).toEqual([2, V]);
        for (let n = 0; n < 2; n++) expectClose(out.data.subarray(n * V, (n + 1) * V), full.subarray((n * context + t) * V, (n * context + t + 1) * V), `sample ${n} position ${t}`);
      }
      expect(decoder.position).toBe(context);
      // reset starts over, with another batch size.
      decoder.reset();
      expectClose(decoder.next([seqs[1][0]]).data, full.subarray(context * V, (context + 1) * V), 'after reset');
      decoder.dispose();
      expect(() => decoder.next([1])).toThrow(/disposed/);
    });
  }

  it('a float32 sequence model ([steps, features]) decodes too', () => {
    const x = input({ shape: [6, 3] });
    const h = layers.dense({ units: 8 }).apply(x);
    const y = layers.dense({ units: 2 }).apply(layers.add().apply([h, layers.multiHeadAttention({ numHeads: 2, keyDim: 4, useCausalMask: true }).apply(h)]));
    const m = model({ inputs: x, outputs: y, seed: 2 });
    const data = Float32Array.from({ length: 18 }, (_, i) => Math.sin(i));
    const full = m.predict(tensor(data, [1, 6, 3])).data;
    const decoder = m.decoder();
    for (let t = 0; t < 6; t++) expectClose(decoder.next(tensor(data.slice(3 * t, 3 * t + 3), [1, 3])).data, full.subarray(2 * t, 2 * t + 2), `position ${t}`);
    expect(() => decoder.next(tensor(new Float32Array(3), [1, 3]))).toThrow(/all 6 positions of the model are used; call reset\(\)/);
    decoder.reset();
    expect(() => decoder.next([1, 2, 3])).toThrow(/pass a Tensor \[null, 3\]/);
    expect(() => decoder.next(tensor(new Float32Array(4), [1, 4]))).toThrow(/x must be float32 \[null, 3\]/);
    expect(() => decoder.next(tensor(Float32Array.of(0, NaN, 0), [1, 3]))).toThrow(/NaN at index 1; inputs must be finite/);
  });

  it('refuses models that look across positions, naming the layer, and bad input', () => {
    const flat = sequential([layers.embedding({ inputDim: V, outputDim: 4, inputLength: context }), layers.flatten({ name: 'flat' }), layers.dense({ units: V })]);
    expect(() => flat.decoder()).toThrow(/model.decoder: layer 'flat' \(flatten\) looks across positions/);
    const ids = input({ shape: [context], dtype: 'int32' });
    const e = layers.embedding({ inputDim: V, outputDim: 8 }).apply(ids);
    const bidirectional = model({ inputs: ids, outputs: layers.multiHeadAttention({ numHeads: 1, keyDim: 4, name: 'seesAll' }).apply(e) });
    expect(() => bidirectional.decoder()).toThrow(/layer 'seesAll\/attention' \(attention\) looks across positions/);
    const decoder = gpt().decoder();
    expect(() => decoder.next([V])).toThrow(/token id 13 of sample 0 is outside \[0, 13\)/);
    expect(() => decoder.next([1.5])).toThrow(/token id 1.5 of sample 0 is not an integer/);
    decoder.next([1, 2]);
    expect(() => decoder.next([1])).toThrow(/1 samples after 2; call reset\(\)/);
  });
});

describe('generate with the key/value cache', () => {
  const tokenizer = text.charTokenizer().fit('abcdefghijkl');
  const m = gpt();

  it('gives the same tokens as without it while the text fits the window', () => {
    for (const options of [{ temperature: 0 }, { temperature: 0.9, seed: 3 }, { temperature: 1.3, topK: 5, topP: 0.9, seed: 11 }]) {
      const cached = text.generate(m, tokenizer, 'abc', { maxTokens: context - 3, cache: true, ...options });
      expect(cached).toBe(text.generate(m, tokenizer, 'abc', { maxTokens: context - 3, cache: false, ...options }));
    }
  });

  it('past the window, keeps its most recent half and goes on (checked against predict on the same windows)', () => {
    const cached = text.generate(m, tokenizer, 'abcd', { maxTokens: 30, temperature: 0, cache: true });
    // The same policy with the full model: the window starts at `start`; once it holds `context`
    // ids and one more comes, it restarts at the most recent context / 2.
    const ids = Array.from(tokenizer.encode('abcd'));
    let start = 0;
    for (let t = 0; t < 30; t++) {
      const window = ids.slice(start);
      const x = new Int32Array(context);
      x.set(window);
      const scores = m.predict(tensor(x, [1, context], 'int32')).data.subarray((window.length - 1) * V, window.length * V);
      let best = 0;
      for (let v = 1; v < V; v++) if (scores[v] > scores[best]) best = v;
      ids.push(best);
      if (ids.length - start > context) start = ids.length - context / 2;
    }
    expect(cached).toBe(tokenizer.decode(ids));
    expect(ids.length).toBe(34);
  });

  it('cache: true on a model that cannot use it is an Error; a wrong value too', () => {
    const words = sequential([layers.embedding({ inputDim: V, outputDim: 4, inputLength: 3 }), layers.flatten(), layers.dense({ units: V })], { seed: 2 });
    expect(() => text.generate(words, tokenizer, 'ab', { cache: true })).toThrow(/generate: cache needs a model of token ids \[steps\] giving \[steps, vocabulary\] scores/);
    // The default falls back to running the whole window.
    expect(text.generate(words, tokenizer, 'ab', { maxTokens: 3, seed: 4 })).toBe(text.generate(words, tokenizer, 'ab', { maxTokens: 3, seed: 4, cache: false }));
    // @ts-expect-error a wrong type, as from JavaScript
    expect(() => text.generate(m, tokenizer, 'ab', { cache: 'yes' })).toThrow(/cache must be true or false/);
  });
});
