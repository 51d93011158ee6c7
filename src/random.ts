// Seeded randomness for everything decided in TypeScript (initial weights,
// shuffles). Dropout masks are drawn natively from a counter-based generator.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

type Generator = ReturnType<typeof xoroshiro128plus>;

export class Random {
  private readonly rng: Generator;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed | 0);
  }
  /** Uniform in [0, 1). */
  uniform(): number {
    return uniformFloat64(this.rng);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return uniformInt(this.rng, 0, n - 1);
  }
  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.uniform();
    this.spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
  /** In-place Fisher-Yates shuffle. */
  shuffle(a: Int32Array): Int32Array {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

/** Derives an independent 31-bit seed from a base seed and a purpose (epoch, layer...). */
export function deriveSeed(seed: number, ...salt: number[]): number {
  let h = (seed | 0) ^ 0x9e3779b9;
  for (const s of salt) {
    h = Math.imul(h ^ (s | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h & 0x7fffffff;
}

/** A random seed for runs where the user gave none. */
export function freshSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}
