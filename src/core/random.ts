/**
 * Seeded pseudo-random numbers for the simulators. Pure: no Math.random, no
 * clock, so the same seed always yields the same market.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), a
 * 128-bit-state generator that passes PractRand/BigCrush and needs only 32-bit
 * integer operations, which V8 runs without allocating. The state is filled by
 * splitmix32 so that nearby seeds (1, 2, 3...) give unrelated streams.
 */

const TWO_POW_32 = 4294967296;
const INV_TWO_POW_32 = 1 / TWO_POW_32;

/** One step of splitmix32: a strong 32-bit mixer used to expand seeds. */
export function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a hash of a string, 32 bits. Used to turn labels and seeds into integers. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Turns any seed (a number or a label) into a 32-bit integer.
 * Numbers are hashed through their decimal text so that 1, 1.5 and 2**40 all
 * give distinct, well-defined streams.
 */
export function seedToUint32(seed: number | string): number {
  if (typeof seed === 'number' && !Number.isFinite(seed)) {
    throw new RangeError(`seed must be finite, got ${seed}`);
  }
  return splitmix32(hashString(String(seed)));
}

/** Seeded PRNG with the continuous and discrete draws the market simulator needs. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Second value of the last polar-method pair, NaN when empty. */
  private spare = Number.NaN;

  /** @param seed any finite number or a string label; equal seeds give equal streams. */
  constructor(seed: number | string) {
    let s = seedToUint32(seed);
    s = splitmix32(s);
    this.a = s;
    s = splitmix32(s);
    this.b = s;
    s = splitmix32(s);
    this.c = s;
    s = splitmix32(s);
    this.d = s;
    // Discard the first outputs: sfc32's authors recommend warming up the state.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /**
   * An independent stream derived from a seed and a label, e.g. one per symbol,
   * so that adding a symbol does not change the trades of another.
   */
  static derive(seed: number | string, label: string): Rng {
    return new Rng(`${String(seed)}\u0000${label}`);
  }

  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() * INV_TWO_POW_32;
  }

  /** Uniform in (0, 1]: safe to pass to Math.log. */
  nextOpen(): number {
    return (this.nextUint32() + 1) * INV_TWO_POW_32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty array');
    return items[this.int(items.length)]!;
  }

  /** Standard normal N(0, 1), Marsaglia polar method (caches the pair's second value). */
  normal(): number {
    const spare = this.spare;
    if (!Number.isNaN(spare)) {
      this.spare = Number.NaN;
      return spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    return u * m;
  }

  /** Exponential with the given mean. */
  exponential(mean = 1): number {
    return -Math.log(this.nextOpen()) * mean;
  }

  /** Log-normal: exp(mu + sigma * N(0,1)); median is exp(mu). */
  logNormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  /**
   * Pareto type I with scale xm and tail index alpha: P(X > x) = (xm / x)^alpha.
   * alpha <= 2 has infinite variance, which is what real order sizes look like.
   */
  pareto(xm: number, alpha: number): number {
    return xm * this.nextOpen() ** (-1 / alpha);
  }

  /**
   * Student-t with `df` degrees of freedom, scaled to unit variance (df > 2).
   * Heavy-tailed replacement for normal() where single-draw tails matter.
   */
  studentT(df: number): number {
    // Chi-square(df) as a sum of squared normals is exact for integer df and
    // cheap for the small df used here.
    const k = Math.max(3, Math.round(df));
    let chi = 0;
    for (let i = 0; i < k; i++) {
      const z = this.normal();
      chi += z * z;
    }
    return (this.normal() / Math.sqrt(chi / k)) * Math.sqrt((k - 2) / k);
  }

  /** Number of failures before the first success, success probability p (0 < p <= 1). */
  geometric(p: number): number {
    if (p >= 1) return 0;
    return Math.floor(Math.log(this.nextOpen()) / Math.log(1 - p));
  }

  /** Poisson count with the given mean (Knuth for small means, normal approximation above 50). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
}
