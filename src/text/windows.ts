// Training pairs from a stream of token ids: every `stride` positions, a context of
// `contextLength` ids and what follows it: the next id (a next-token classifier's label), or the
// same window shifted by one (a language model's label at every position).
import { Tensor, tensor } from '../tensor.js';
import { checkInteger, checkOneOf, describe } from '../validate.js';

export interface WindowsOptions {
  contextLength: number;
  /** Positions between window starts (default 1). */
  stride?: number;
  /** 'next' (default): y[i] is the id after window i, shape [n]; 'sequence': y[i] is window i shifted by one, shape [n, contextLength]. */
  targets?: 'next' | 'sequence';
}

/** { x: int32 [n, contextLength], y: int32 [n] or [n, contextLength] }. */
export function windows(ids: ArrayLike<number> | Tensor, options: WindowsOptions): { x: Tensor; y: Tensor } {
  const data = ids instanceof Tensor ? ids.data : ids;
  if (!(data instanceof Int32Array) && !Array.isArray(data)) throw new TypeError(`text.windows: ids must be an Int32Array, an array of ids or an int32 tensor, got ${describe(ids)}`);
  const context = checkInteger(options?.contextLength, 'text.windows: contextLength', 1);
  const stride = checkInteger(options.stride ?? 1, 'text.windows: stride', 1);
  const targets = checkOneOf(options.targets ?? 'next', 'text.windows: targets', ['next', 'sequence'] as const);
  const n = data.length > context ? Math.floor((data.length - context - 1) / stride) + 1 : 0;
  if (n < 1) throw new RangeError(`text.windows: ${data.length} ids make no window of ${context} with a token after it; use a longer text or a shorter contextLength`);
  const x = new Int32Array(n * context), y = new Int32Array(targets === 'next' ? n : n * context);
  for (let i = 0; i < n; i++) {
    const start = i * stride;
    for (let j = 0; j < context; j++) x[i * context + j] = data[start + j];
    if (targets === 'next') y[i] = data[start + context];
    else for (let j = 0; j < context; j++) y[i * context + j] = data[start + j + 1];
  }
  return { x: tensor(x, [n, context], 'int32'), y: tensor(y, targets === 'next' ? [n] : [n, context], 'int32') };
}
