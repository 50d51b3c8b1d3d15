/**
 * Seeded pseudo-random numbers for the models (bootstrap, row and column
 * sampling) and the synthetic bar generator. No Math.random, no clock: equal
 * seeds give equal streams, so training is reproducible.
 *
 * Generator: mulberry32 for seeding plus xoshiro128** (32-bit operations only,
 * which V8 runs without allocating).
 */

/** Expands a 32-bit seed (one step of the mulberry32 mixer). */
function mix32(x: number): number {
  let z = (x + 0x6d2b79f5) | 0;
  z = Math.imul(z ^ (z >>> 15), z | 1);
  z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
  return (z ^ (z >>> 14)) >>> 0;
}

/** FNV-1a of a string, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Seeded generator with the draws the ml code needs. */
export class SeededRng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = Number.NaN;

  /** @param seed any finite number or a label; numbers are hashed through their decimal text. */
  constructor(seed: number | string) {
    if (typeof seed === 'number' && !Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`);
    let s = fnv1a(String(seed));
    s = mix32(s);
    this.s0 = s;
    s = mix32(s);
    this.s1 = s;
    s = mix32(s);
    this.s2 = s;
    s = mix32(s);
    this.s3 = s | 1;
  }

  /** An independent stream for a sub-task (e.g. tree 17 of a forest). */
  static derive(seed: number | string, label: string): SeededRng {
    return new SeededRng(`${String(seed)}\u0000${label}`);
  }

  /** Uniform unsigned 32-bit integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = Number.NaN;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
