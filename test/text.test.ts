// The text tools (issue 18): tokenizers (fit, encode, decode, unknown token, save and load),
// training windows, and seeded generation from next-token and sequence models.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layers, optimizers, sequential, text } from '../src/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gradloop-text-'));

describe('tokenizers', () => {
  it('characters: ids by first appearance after the unknown token (0); decode inverts encode; unseen characters are 0', () => {
    const t = text.charTokenizer().fit('hello world');
    expect(t.tokens).toEqual(['<unk>', 'h', 'e', 'l', 'o', ' ', 'w', 'r', 'd']);
    expect(Array.from(t.encode('hold'))).toEqual([1, 4, 3, 8]);
    expect(t.decode(t.encode('hello world'))).toBe('hello world');
    expect(Array.from(t.encode('hex'))).toEqual([1, 2, 0]);
    expect(t.vocabularySize).toBe(9);
  });

  it('words: lower case, punctuation as tokens, decode spacing; maxVocabulary keeps the most frequent', () => {
    const t = text.wordTokenizer().fit(['The cat sat.', 'The dog sat, then the cat ran!']);
    expect(t.tokens).toEqual(['<unk>', 'the', 'cat', 'sat', '.', 'dog', ',', 'then', 'ran', '!']);
    expect(t.decode(t.encode('The cat ran, the dog sat.'))).toBe('the cat ran, the dog sat.');
    expect(Array.from(t.encode('the bird'))).toEqual([1, 0]);
    const small = text.wordTokenizer({ maxVocabulary: 4 }).fit(['b a b c a b']);
    expect(small.tokens).toEqual(['<unk>', 'b', 'a', 'c']);
    const capped = text.wordTokenizer({ maxVocabulary: 3 }).fit(['b a b c a b']);
    expect(capped.tokens).toEqual(['<unk>', 'b', 'a']);
  });

  it('save and load give the same tokenizer; a corrupt file is an Error naming it', async () => {
    const t = text.wordTokenizer({ lowercase: false, unknownToken: '[UNK]' }).fit('Keep Case here');
    const file = path.join(dir, 'tokenizer.json');
    await t.save(file);
    const loaded = await text.loadTokenizer(file);
    expect(loaded.toJSON()).toEqual(t.toJSON());
    expect(Array.from(loaded.encode('Keep here Now'))).toEqual([1, 3, 0]);
    writeFileSync(path.join(dir, 'bad.json'), '{"kind":"word","vocabulary":["a","a"],"lowercase":true,"unknownToken":"a"}');
    await expect(text.loadTokenizer(path.join(dir, 'bad.json'))).rejects.toThrow(/the vocabulary has a token twice/);
    expect(() => text.charTokenizer().encode('x')).toThrow(/call fit\(corpus\) first/);
    expect(() => t.decode([99])).toThrow(/id 99 at 0 is outside the vocabulary \[0, 4\)/);
  });
});

describe('text.windows', () => {
  const ids = Int32Array.from([5, 6, 7, 8, 9, 10]);
  it('context -> next id, with a stride', () => {
    const { x, y } = text.windows(ids, { contextLength: 3 });
    expect(x.shape).toEqual([3, 3]);
    expect(Array.from(x.data)).toEqual([5, 6, 7, 6, 7, 8, 7, 8, 9]);
    expect(Array.from(y.data)).toEqual([8, 9, 10]);
    const strided = text.windows(ids, { contextLength: 2, stride: 2 });
    expect(Array.from(strided.x.data)).toEqual([5, 6, 7, 8]);
    expect(Array.from(strided.y.data)).toEqual([7, 9]);
  });
  it("targets 'sequence': the window shifted by one, a label per position", () => {
    const { x, y } = text.windows(ids, { contextLength: 4, targets: 'sequence' });
    expect(y.shape).toEqual([2, 4]);
    expect(Array.from(x.data)).toEqual([5, 6, 7, 8, 6, 7, 8, 9]);
    expect(Array.from(y.data)).toEqual([6, 7, 8, 9, 7, 8, 9, 10]);
    expect(() => text.windows(ids, { contextLength: 6 })).toThrow(/6 ids make no window of 6/);
  });
});

describe('generate', () => {
  const corpus = 'abcabcabcabcabcabcabcabcabcabc';
  const tokenizer = text.charTokenizer().fit(corpus);
  const ids = tokenizer.encode(corpus);

  it('a next-token model continues the pattern; the same seed gives the same text; temperature 0 takes the most likely', async () => {
    const { x, y } = text.windows(ids, { contextLength: 2 });
    const m = sequential([layers.embedding({ inputDim: tokenizer.vocabularySize, outputDim: 8, inputLength: 2 }), layers.flatten(), layers.dense({ units: tokenizer.vocabularySize })], { seed: 1 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.05 }), loss: 'softmaxCrossEntropy' });
    await m.fit(x, y, { epochs: 40, batchSize: 8, verbose: 0, seed: 1 });
    expect(text.generate(m, tokenizer, 'ab', { maxTokens: 7, temperature: 0 })).toBe('abcabcabc');
    const a = text.generate(m, tokenizer, 'ca', { maxTokens: 10, temperature: 1.5, seed: 4 });
    expect(text.generate(m, tokenizer, 'ca', { maxTokens: 10, temperature: 1.5, seed: 4 })).toBe(a);
    expect(text.generate(m, tokenizer, 'ca', { maxTokens: 10, temperature: 1.5, topK: 1, seed: 4 })).toBe('cabcabcabcab');
    const [best] = text.topTokens(m, tokenizer, 'ab', 3);
    expect(best.token).toBe('c');
    expect(best.probability).toBeGreaterThan(0.9);
  });

  it('a causal sequence model answers at the last real position of a short prompt', async () => {
    const { x, y } = text.windows(ids, { contextLength: 6, targets: 'sequence' });
    const m = sequential([
      layers.tokenAndPositionEmbedding({ inputShape: [6], vocabularySize: tokenizer.vocabularySize, sequenceLength: 6, embeddingDim: 16 }),
      layers.multiHeadAttention({ numHeads: 2, keyDim: 8, useCausalMask: true }),
      layers.dense({ units: tokenizer.vocabularySize }),
    ], { seed: 2 });
    m.compile({ optimizer: optimizers.adam({ learningRate: 0.02 }), loss: 'softmaxCrossEntropy' });
    await m.fit(x, y, { epochs: 60, batchSize: 8, verbose: 0, seed: 1 });
    expect(text.generate(m, tokenizer, 'b', { maxTokens: 8, temperature: 0 })).toBe('bcabcabca');
    expect(() => text.generate(m, text.charTokenizer().fit('xy'), 'x')).toThrow(/the model scores 4 tokens but the tokenizer has 3/);
  });
});
