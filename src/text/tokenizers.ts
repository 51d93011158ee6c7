// Tokenizers for text models: characters or words to int32 ids and back. fit() learns the
// vocabulary from a corpus (ids by first appearance, so the same corpus gives the same ids);
// id 0 is the unknown token, which encode() gives anything not in the vocabulary. toJSON() and
// tokenizerFromJSON() save and restore one exactly (a model's run keeps its tokenizer beside it).
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../io/atomic-write.js';
import { checkInteger, describe } from '../validate.js';

export interface TokenizerJSON {
  kind: 'char' | 'word';
  vocabulary: string[];
  lowercase: boolean;
  unknownToken: string;
}

export interface TokenizerOptions {
  /** Fold to lower case before encoding (default: false for characters, true for words). */
  lowercase?: boolean;
  /** The token for anything outside the vocabulary, id 0 (default '<unk>'). */
  unknownToken?: string;
  /** Keep at most this many tokens, the most frequent (ties: first seen), the unknown token included. */
  maxVocabulary?: number;
}

export class Tokenizer {
  private vocabulary: string[] = [];
  private readonly ids = new Map<string, number>();

  constructor(
    readonly kind: 'char' | 'word',
    readonly lowercase: boolean,
    readonly unknownToken: string,
    private readonly maxVocabulary?: number,
  ) {}

  /** Tokens in the vocabulary, the unknown token (id 0) included: a model's output classes. */
  get vocabularySize(): number {
    return this.vocabulary.length;
  }

  /** The vocabulary in id order. */
  get tokens(): readonly string[] {
    return this.vocabulary;
  }

  /** Splits text into tokens: characters, or words and punctuation marks. */
  split(text: string): string[] {
    const t = this.lowercase ? text.toLowerCase() : text;
    if (this.kind === 'char') return Array.from(t);
    return t.match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*|[^\s\p{L}\p{N}]/gu) ?? [];
  }

  /** Learns the vocabulary from a corpus (a string or several); returns this. */
  fit(corpus: string | string[]): this {
    const texts = typeof corpus === 'string' ? [corpus] : corpus;
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string'))
      throw new TypeError(`tokenizer.fit: expected a string or an array of strings, got ${describe(corpus)}`);
    const counts = new Map<string, number>();
    for (const t of texts) for (const token of this.split(t)) counts.set(token, (counts.get(token) ?? 0) + 1);
    counts.delete(this.unknownToken);
    let kept = [...counts.keys()];
    if (this.maxVocabulary !== undefined && kept.length > this.maxVocabulary - 1) {
      const order = new Map(kept.map((k, i) => [k, i]));
      kept = kept.sort((a, b) => counts.get(b)! - counts.get(a)! || order.get(a)! - order.get(b)!).slice(0, this.maxVocabulary - 1).sort((a, b) => order.get(a)! - order.get(b)!);
    }
    this.setVocabulary([this.unknownToken, ...kept]);
    return this;
  }

  /** Token ids of a text (0 for tokens outside the vocabulary). */
  encode(text: string): Int32Array {
    this.assertFitted('encode');
    if (typeof text !== 'string') throw new TypeError(`tokenizer.encode: expected a string, got ${describe(text)}`);
    return Int32Array.from(this.split(text), (token) => this.ids.get(token) ?? 0);
  }

  /** The text of token ids: characters joined as they are, words by spaces (none before punctuation). */
  decode(ids: ArrayLike<number>): string {
    this.assertFitted('decode');
    const tokens = Array.from(ids, (id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabulary.length)
        throw new RangeError(`tokenizer.decode: id ${id} at ${i} is outside the vocabulary [0, ${this.vocabulary.length})`);
      return this.vocabulary[id];
    });
    if (this.kind === 'char') return tokens.join('');
    return tokens.reduce((text, token, i) => (i === 0 ? token : /^[^\p{L}\p{N}]$/u.test(token) && !/^[(["'“‘]$/u.test(token) ? text + token : text + ' ' + token), '');
  }

  toJSON(): TokenizerJSON {
    this.assertFitted('toJSON');
    return { kind: this.kind, vocabulary: [...this.vocabulary], lowercase: this.lowercase, unknownToken: this.unknownToken };
  }

  /** Writes toJSON() to a file, atomically. */
  async save(path: string): Promise<void> {
    await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(this.toJSON())), 'tokenizer.save');
  }

  /** @internal */
  setVocabulary(vocabulary: string[]): void {
    this.vocabulary = vocabulary;
    this.ids.clear();
    vocabulary.forEach((token, id) => this.ids.set(token, id));
  }

  private assertFitted(what: string): void {
    if (this.vocabulary.length === 0) throw new Error(`tokenizer.${what}: the tokenizer has no vocabulary yet; call fit(corpus) first`);
  }
}

function make(kind: 'char' | 'word', options: TokenizerOptions = {}): Tokenizer {
  const label = `text.${kind}Tokenizer`;
  if (options.lowercase !== undefined && typeof options.lowercase !== 'boolean') throw new TypeError(`${label}: lowercase must be true or false`);
  if (options.unknownToken !== undefined && (typeof options.unknownToken !== 'string' || options.unknownToken === '')) throw new TypeError(`${label}: unknownToken must be a non-empty string`);
  const max = options.maxVocabulary === undefined ? undefined : checkInteger(options.maxVocabulary, `${label}: maxVocabulary`, 2);
  return new Tokenizer(kind, options.lowercase ?? kind === 'word', options.unknownToken ?? '<unk>', max);
}

export const charTokenizer = (options?: TokenizerOptions): Tokenizer => make('char', options);
export const wordTokenizer = (options?: TokenizerOptions): Tokenizer => make('word', options);

/** A tokenizer from toJSON()'s form, checked. */
export function tokenizerFromJSON(json: unknown, where = 'tokenizerFromJSON'): Tokenizer {
  const j = json as Partial<TokenizerJSON>;
  if (typeof j !== 'object' || j === null || (j.kind !== 'char' && j.kind !== 'word') || !Array.isArray(j.vocabulary) || j.vocabulary.length < 1 ||
      j.vocabulary.some((t) => typeof t !== 'string') || typeof j.lowercase !== 'boolean' || typeof j.unknownToken !== 'string' || j.vocabulary[0] !== j.unknownToken)
    throw new TypeError(`${where}: not a tokenizer (expected { kind: 'char' | 'word', vocabulary: [unknownToken, ...], lowercase, unknownToken })`);
  if (new Set(j.vocabulary).size !== j.vocabulary.length) throw new TypeError(`${where}: the vocabulary has a token twice`);
  const t = new Tokenizer(j.kind, j.lowercase, j.unknownToken);
  t.setVocabulary([...j.vocabulary]);
  return t;
}

/** Reads a tokenizer saved with tokenizer.save(path). */
export async function loadTokenizer(path: string): Promise<Tokenizer> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`loadTokenizer: cannot read '${path}': ${(err as Error).message}`, { cause: err });
  }
  return tokenizerFromJSON(json, `loadTokenizer: '${path}'`);
}
