// Text from a trained model, token by token: the prompt's ids, the model's next-token
// distribution (from a [vocabulary] output, or a [steps, vocabulary] output at the last real
// position), temperature, top-k and top-p (nucleus) filtering, and a seeded draw; the drawn id is
// appended. Deterministic for a seed. A causal sequence model decodes incrementally (model.decoder,
// a key/value cache): each token costs one position. Other models run over the whole window for
// every token, the window sliding by one.
import type { Decoder } from '../model/decoder.js';
import type { Model } from '../model/model.js';
import { Random } from '../random.js';
import { tensor } from '../tensor.js';
import { checkInteger, checkNumber } from '../validate.js';
import type { Tokenizer } from './tokenizers.js';

export interface GenerateOptions {
  /** Tokens to add (default 20). */
  maxTokens?: number;
  /** Divides the logits: below 1 sharper, above 1 flatter; 0 takes the most likely token (default 1). */
  temperature?: number;
  /** Draw only among the k most likely tokens (default: all). */
  topK?: number;
  /** Draw only among the most likely tokens whose probabilities add up to p (default 1: all). */
  topP?: number;
  /** Seed of the draws (default 0): the same seed gives the same text. */
  seed?: number;
  /**
   * Decode incrementally with a key/value cache (default: whenever the model allows it, a causal
   * [steps, vocabulary] model; true insists, with an Error naming the layer that prevents it;
   * false runs the whole window for every token).
   */
  cache?: boolean;
}

/** With the cache, a full window keeps its most recent half and continues (as llama.cpp's context shift). */
const KEEP_WHEN_FULL = 0.5;

export interface NextToken {
  token: string;
  id: number;
  probability: number;
}

/** The model's distribution over the next token after `ids`, as probabilities (softmax of the logits). */
function nextDistribution(model: Model, ids: number[]): Float64Array {
  const shape = model.inputShape;
  if (shape.length !== 1) throw new TypeError(`generate: the model must take token ids [steps], got input shape [${shape.join(', ')}]`);
  const steps = shape[0];
  const out = model.outputShape;
  const sequence = out.length === 2;
  if (!(out.length === 1 || sequence)) throw new TypeError(`generate: the model must output next-token scores [vocabulary] or [steps, vocabulary], got [${out.join(', ')}]`);
  const vocabulary = out[out.length - 1];
  // The last `steps` ids: a [vocabulary] model reads a full window (padded on the left with id 0);
  // a sequence model reads them from position 0 (padded on the right) and answers at the last one.
  const window = ids.slice(-steps);
  const x = new Int32Array(steps);
  if (sequence) x.set(window, 0);
  else x.set(window, steps - window.length);
  const y = model.predict(tensor(x, [1, steps], 'int32')).data;
  const at = sequence ? (window.length - 1) * vocabulary : 0;
  return probabilities(model, y.subarray(at, at + vocabulary));
}

/** The model's scores over the vocabulary as probabilities: a softmax output already is; logits get one. */
function probabilities(model: Model, scores: ArrayLike<number>): Float64Array {
  const logits = Float64Array.from(scores);
  if (model.outputActivation === 'softmax') return logits;
  const max = Math.max(...logits);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += logits[i] = Math.exp(logits[i] - max);
  return logits.map((v) => v / sum);
}

// The tokenizer given, or (when the call skips it) the one kept with the model (model.tokenizer).
function resolveTokenizer(model: Model, given: Tokenizer | string, rest: unknown[], where: string): [Tokenizer, unknown[]] {
  if (typeof given !== 'string') return [given, rest];
  if (!model.tokenizer) throw new TypeError(`${where}: no tokenizer given and model '${model.name}' has none; pass one, or set model.tokenizer (loadModel restores a saved one)`);
  return [model.tokenizer, [given, ...rest]];
}

/** The `k` most likely next tokens after `prompt`, with their probabilities, most likely first. The tokenizer may be left out when the model has one (model.tokenizer). */
export function topTokens(model: Model, prompt: string, k?: number): NextToken[];
export function topTokens(model: Model, tokenizer: Tokenizer, prompt: string, k?: number): NextToken[];
export function topTokens(model: Model, first: Tokenizer | string, ...rest: unknown[]): NextToken[] {
  const [tokenizer, [prompt, k = 5]] = resolveTokenizer(model, first, rest, 'topTokens') as [Tokenizer, [string, number?]];
  const ids = Array.from(tokenizer.encode(prompt));
  if (ids.length === 0) throw new RangeError('topTokens: the prompt has no tokens');
  const p = nextDistribution(model, ids);
  return [...p.keys()].sort((a, b) => p[b] - p[a] || a - b).slice(0, checkInteger(k, 'topTokens: k', 1)).map((id) => ({ token: tokenizer.tokens[id], id, probability: p[id] }));
}

/** Continues `prompt` by up to maxTokens tokens; returns the whole text (prompt included). The tokenizer may be left out when the model has one (model.tokenizer). */
export function generate(model: Model, prompt: string, options?: GenerateOptions): string;
export function generate(model: Model, tokenizer: Tokenizer, prompt: string, options?: GenerateOptions): string;
export function generate(model: Model, first: Tokenizer | string, ...rest: unknown[]): string {
  const [tokenizer, [prompt, options = {}]] = resolveTokenizer(model, first, rest, 'generate') as [Tokenizer, [string, GenerateOptions?]];
  const maxTokens = checkInteger(options.maxTokens ?? 20, 'generate: maxTokens', 0);
  const temperature = checkNumber(options.temperature ?? 1, 'generate: temperature', { min: 0 });
  const topK = options.topK === undefined ? Infinity : checkInteger(options.topK, 'generate: topK', 1);
  const topP = checkNumber(options.topP ?? 1, 'generate: topP', { min: 0, max: 1, minExclusive: true });
  const random = new Random(checkInteger(options.seed ?? 0, 'generate: seed', 0));
  const ids = Array.from(tokenizer.encode(prompt));
  if (ids.length === 0) throw new RangeError('generate: the prompt has no tokens');
  if (model.outputShape.at(-1) !== tokenizer.vocabularySize)
    throw new TypeError(`generate: the model scores ${model.outputShape.at(-1)} tokens but the tokenizer has ${tokenizer.vocabularySize}; use the tokenizer the model was trained with`);
  if (options.cache !== undefined && typeof options.cache !== 'boolean') throw new TypeError('generate: cache must be true or false');
  const decoder = maxTokens > 0 ? openDecoder(model, options.cache) : undefined;
  try {
    return decode(model, tokenizer, ids, decoder, maxTokens, temperature, topK, topP, random);
  } finally {
    decoder?.dispose();
  }
}

// A decoder when the model can decode incrementally and the caller did not refuse it.
function openDecoder(model: Model, cache: boolean | undefined): Decoder | undefined {
  if (cache === false) return undefined;
  if (model.outputShape.length !== 2 || model.inputShape.length !== 1) {
    if (cache) throw new TypeError(`generate: cache needs a model of token ids [steps] giving [steps, vocabulary] scores, got [${model.inputShape.join(', ')}] -> [${model.outputShape.join(', ')}]`);
    return undefined;
  }
  try {
    return model.decoder();
  } catch (e) {
    if (cache) throw new TypeError(`generate: ${(e as Error).message}`);
    return undefined;
  }
}

function decode(model: Model, tokenizer: Tokenizer, ids: number[], decoder: Decoder | undefined, maxTokens: number, temperature: number, topK: number, topP: number, random: Random): string {
  // With a decoder: the last window's ids fed one position at a time; when every position is
  // used, the most recent part of the window is fed again from position 0 and decoding goes on.
  let scores: ArrayLike<number> | undefined;
  const feed = (window: number[]) => {
    decoder!.reset();
    for (const id of window) scores = decoder!.next([id]).data;
  };
  if (decoder) feed(ids.slice(-decoder.positions));
  for (let t = 0; t < maxTokens; t++) {
    const p = decoder ? probabilities(model, scores!) : nextDistribution(model, ids);
    // Most likely first (ties: lower id), cut by topK and topP, sharpened by temperature.
    const order = [...p.keys()].sort((a, b) => p[b] - p[a] || a - b);
    let next: number;
    if (temperature === 0) next = order[0];
    else {
      const kept: number[] = [];
      let mass = 0;
      for (const id of order) {
        if (kept.length >= topK || (kept.length > 0 && mass >= topP)) break;
        kept.push(id);
        mass += p[id];
      }
      const weights = kept.map((id) => Math.exp(Math.log(Math.max(p[id], 1e-300)) / temperature));
      const total = weights.reduce((a, b) => a + b, 0);
      let u = random.uniform() * total;
      next = kept[kept.length - 1];
      for (let i = 0; i < kept.length; i++) {
        u -= weights[i];
        if (u < 0) {
          next = kept[i];
          break;
        }
      }
    }
    ids.push(next);
    if (!decoder || t === maxTokens - 1) continue;
    if (decoder.position < decoder.positions) scores = decoder.next([next]).data;
    else feed(ids.slice(-Math.max(1, Math.floor(decoder.positions * KEEP_WHEN_FULL))));
  }
  return tokenizer.decode(ids);
}
