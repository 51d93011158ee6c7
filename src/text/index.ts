// The text tools (issue 18): tokenizers, training windows, and generation.
import { generate, topTokens } from './generate.js';
import { charTokenizer, loadTokenizer, tokenizerFromJSON, wordTokenizer } from './tokenizers.js';
import { windows } from './windows.js';

export { Tokenizer, type TokenizerJSON, type TokenizerOptions } from './tokenizers.js';
export type { GenerateOptions, NextToken } from './generate.js';
export type { WindowsOptions } from './windows.js';
export { generate, topTokens };

/** text.charTokenizer(), text.wordTokenizer(), text.windows(ids, { contextLength }), ... */
export const text = { charTokenizer, wordTokenizer, tokenizerFromJSON, loadTokenizer, windows, generate, topTokens };
