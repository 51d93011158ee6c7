// Argument checks shared by the public API. Every message names the argument,
// what was expected and what was given, so the fix is obvious.
export function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v}'`;
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `[${v.map(describe).join(', ')}]`;
  return typeof v;
}

/** The most rows a batch may have (the native engine's sizes are 32-bit for BLAS). */
export const MAX_BATCH_SIZE = 2 ** 31 - 1;

/** An integer in [min, max]; max defaults to 2^53 - 1, the largest integer a number holds exactly. */
export function checkInteger(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${describe(value)}`);
  if (value > max) throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  return value;
}

export function checkNumber(value: unknown, name: string, opts: { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new RangeError(`${name} must be a finite number, got ${describe(value)}`);
  const { min, max, minExclusive, maxExclusive } = opts;
  if (min !== undefined && (minExclusive ? value <= min : value < min))
    throw new RangeError(`${name} must be ${minExclusive ? '>' : '>='} ${min}, got ${value}`);
  if (max !== undefined && (maxExclusive ? value >= max : value > max))
    throw new RangeError(`${name} must be ${maxExclusive ? '<' : '<='} ${max}, got ${value}`);
  return value;
}

export function checkOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T))
    throw new TypeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`);
  return value as T;
}

export function checkShape(value: unknown, name: string): number[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((d) => !Number.isInteger(d) || d < 1))
    throw new TypeError(`${name} must be a non-empty array of positive integers, got ${describe(value)}`);
  return [...value];
}

/** Rejects option keys the function does not know (typos such as `learningrate`). */
export function checkKeys(options: object, name: string, known: readonly string[]): void {
  for (const key of Object.keys(options))
    if (!known.includes(key)) throw new TypeError(`${name}: unknown option '${key}'; known options are ${known.join(', ')}`);
}

export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export const shapeString = (s: readonly (number | null)[]): string => `[${s.map((d) => (d === null ? 'null' : d)).join(', ')}]`;

/** The most elements one sample of a tensor, or one weight, may have (BLAS's 32-bit sizes). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Elements of a shape, or a RangeError naming `what` and the shape when they exceed MAX_ELEMENTS. */
export function checkElements(shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > MAX_ELEMENTS)
      throw new RangeError(`${what}: shape ${shapeString(shape)} has ${shape.reduce((a, b) => a * b, 1).toExponential(3)} elements, more than the 2^31 - 1 gradloop supports per sample or weight`);
  }
  return n;
}
