// Text from a trained model, token by token: the prompt's ids, the model's next-token
// distribution (from a [vocabulary] output, or a [steps, vocabulary] output at the last real
// position), temperature, top-k and top-p (nucleus) filtering, and a seeded draw; the drawn id is
// appended and the window slides. Deterministic for a seed. Each token runs the model over the
// whole window (no key/value cache yet).
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
}

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
  const logits = Float64Array.from(y.subarray(at, at + vocabulary));
  // A softmax output is already probabilities; logits get one.
  const isProbability = model.outputActivation === 'softmax';
  if (isProbability) return logits;
  const max = Math.max(...logits);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += logits[i] = Math.exp(logits[i] - max);
  return logits.map((v) => v / sum);
}

/** The `k` most likely next tokens after `prompt`, with their probabilities, most likely first. */
export function topTokens(model: Model, tokenizer: Tokenizer, prompt: string, k = 5): NextToken[] {
  const ids = Array.from(tokenizer.encode(prompt));
  if (ids.length === 0) throw new RangeError('topTokens: the prompt has no tokens');
  const p = nextDistribution(model, ids);
  return [...p.keys()].sort((a, b) => p[b] - p[a] || a - b).slice(0, checkInteger(k, 'topTokens: k', 1)).map((id) => ({ token: tokenizer.tokens[id], id, probability: p[id] }));
}

/** Continues `prompt` by up to maxTokens tokens; returns the whole text (prompt included). */
export function generate(model: Model, tokenizer: Tokenizer, prompt: string, options: GenerateOptions = {}): string {
  const maxTokens = checkInteger(options.maxTokens ?? 20, 'generate: maxTokens', 0);
  const temperature = checkNumber(options.temperature ?? 1, 'generate: temperature', { min: 0 });
  const topK = options.topK === undefined ? Infinity : checkInteger(options.topK, 'generate: topK', 1);
  const topP = checkNumber(options.topP ?? 1, 'generate: topP', { min: 0, max: 1, minExclusive: true });
  const random = new Random(checkInteger(options.seed ?? 0, 'generate: seed', 0));
  const ids = Array.from(tokenizer.encode(prompt));
  if (ids.length === 0) throw new RangeError('generate: the prompt has no tokens');
  if (model.outputShape.at(-1) !== tokenizer.vocabularySize)
    throw new TypeError(`generate: the model scores ${model.outputShape.at(-1)} tokens but the tokenizer has ${tokenizer.vocabularySize}; use the tokenizer the model was trained with`);
  for (let t = 0; t < maxTokens; t++) {
    const p = nextDistribution(model, ids);
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
  }
  return tokenizer.decode(ids);
}
