/**
 * A compact histogram-based regression tree learner, the engine of the random
 * forest and the gradient-boosted trees.
 *
 * Why not a library: the JavaScript options available here are too slow or too
 * fragile for a weekly retrain inside a Lambda. `ml-random-forest` / `ml-cart`
 * need about 30 minutes for 100 trees on 16,000 rows (they sort rows at every
 * node), and `ml-xgboost` 1.1.2 is an old WebAssembly build of XGBoost that
 * crashes at about 200,000 rows and cannot be bundled as plain JavaScript. The
 * technique below is the one LightGBM and XGBoost's `hist` method use, and is
 * small enough to own:
 *
 * - Features are binned once into at most 256 quantile bins (`binMatrix`), stored
 *   column-major in a Uint8Array: a split search scans bins, not sorted rows.
 * - Each node accumulates a gradient / hessian histogram per feature; the best
 *   split maximises the second-order gain
 *   `G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)`.
 * - Subtraction trick: only the smaller child's histogram is built from rows;
 *   the larger child's is the parent's minus the smaller one.
 * - Depth-wise growth with max depth, a minimum hessian (= weighted row count
 *   for squared loss) per leaf, a minimum gain and L2 leaf regularisation λ;
 *   leaf value `−G/(H+λ)` (the Newton step; the mean for a random-forest tree).
 * - Rows are partitioned in place in one index array (stable, so histogram
 *   scans stay in memory order), and bootstrap weights are hessian weights.
 *
 * Trees are stored as flat typed arrays; prediction compares raw feature values
 * with the bin's upper edge (`x <= threshold` goes left; NaN goes right), which
 * on training rows is exactly the binned decision.
 */
import type { FeatureMatrix } from '../features.js';
import type { Rng as SeededRng } from '../../core/random.js';

/** Features binned into quantile bins, column-major. */
export interface BinnedMatrix {
  readonly rows: number;
  readonly cols: number;
  /** `bins[c * rows + r]`: bin of row r in column c. */
  readonly bins: Uint8Array;
  /** Upper edges per column: bin b holds values `<= cuts[c][b]`; the last bin has no edge. */
  readonly cuts: readonly Float64Array[];
  /** Number of bins per column (`cuts[c].length + 1`). */
  readonly nBins: Int32Array;
  /** Largest `nBins` over the columns. */
  readonly maxBins: number;
}

/** Rows sampled to compute quantile cuts on large matrices. */
const QUANTILE_SAMPLE = 200_000;

/** Quantile cut points of one column's sorted values (at most maxBins − 1 of them). */
function quantileCuts(sorted: Float64Array, maxBins: number): Float64Array {
  const n = sorted.length;
  let distinct = 0;
  for (let i = 0; i < n && distinct <= maxBins; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  if (distinct <= maxBins) {
    // Few distinct values: each gets its own bin (the cuts are every value but the largest).
    const values: number[] = [];
    for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) values.push(sorted[i]!);
    return Float64Array.from(values.slice(0, -1));
  }
  const cuts: number[] = [];
  const max = sorted[n - 1]!;
  for (let k = 1; k < maxBins; k++) {
    const v = sorted[Math.max(0, Math.floor((k * n) / maxBins) - 1)]!;
    if (v < max && (cuts.length === 0 || v > cuts[cuts.length - 1]!)) cuts.push(v);
  }
  return Float64Array.from(cuts);
}

/**
 * Index of the first cut `>= x` (= the bin of x); `cuts.length` when none.
 * A branch-free binary search (the comparison feeds arithmetic, not a jump):
 * about three times faster than a branching one on random values.
 */
export function binOf(cuts: Float64Array, x: number): number {
  let len = cuts.length;
  if (len === 0) return 0;
  let base = 0;
  while (len > 1) {
    const half = len >>> 1;
    base += half * Number(cuts[base + half]! < x);
    len -= half;
  }
  return base + Number(cuts[base]! < x);
}

/** Binned matrices already computed, per matrix data and bin count (see {@link binMatrix}). */
const binnedCache = new WeakMap<Float64Array, Map<number, BinnedMatrix>>();

/**
 * Bins every column of X into at most `maxBins` (2..256) quantile bins.
 *
 * The result is memoised per `X.data` array and `maxBins`, so the models of one
 * training run (the forest and the boosted trees) bin their shared matrix once:
 * treat both the matrix and the result as immutable.
 */
export function binMatrix(X: FeatureMatrix, maxBins = 256): BinnedMatrix {
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > 256) throw new RangeError(`maxBins must be an integer in 2..256, got ${maxBins}`);
  const byBins = binnedCache.get(X.data) ?? new Map<number, BinnedMatrix>();
  binnedCache.set(X.data, byBins);
  const known = byBins.get(maxBins);
  if (known !== undefined && known.rows === X.rows && known.cols === X.cols) return known;
  const binned = computeBins(X, maxBins);
  byBins.set(maxBins, binned);
  return binned;
}

function computeBins(X: FeatureMatrix, maxBins: number): BinnedMatrix {
  const { rows: n, cols: d, data } = X;
  const bins = new Uint8Array(n * d);
  const cuts: Float64Array[] = [];
  const nBins = new Int32Array(d);
  const step = n > QUANTILE_SAMPLE ? n / QUANTILE_SAMPLE : 1;
  const m = Math.min(n, QUANTILE_SAMPLE);
  const col = new Float64Array(m);
  let widest = 1;
  for (let c = 0; c < d; c++) {
    for (let k = 0; k < m; k++) col[k] = data[Math.floor(k * step) * d + c]!;
    col.sort();
    const cc = quantileCuts(col, maxBins);
    cuts.push(cc);
    nBins[c] = cc.length + 1;
    widest = Math.max(widest, cc.length + 1);
    const off = c * n;
    for (let r = 0; r < n; r++) bins[off + r] = binOf(cc, data[r * d + c]!);
  }
  return { rows: n, cols: d, bins, cuts, nBins, maxBins: widest };
}

/** Growth limits of one tree. */
export interface TreeParams {
  /** Maximum depth (root = depth 0; depth 7 gives up to 128 leaves). */
  readonly maxDepth: number;
  /** Minimum hessian sum per leaf: rows for squared loss, bootstrap-weighted rows for a forest. */
  readonly minSamplesLeaf: number;
  /** L2 regularisation of leaf values, in hessian units. */
  readonly lambda: number;
  /** Minimum gain for a split. */
  readonly minGain: number;
  /** Share (0..1] of the tree's features tried at each node (random-forest style). */
  readonly nodeFeatureFraction: number;
}

/** A fitted tree in flat arrays. Node 0 is the root; leaves have `feature = -1`. */
export interface Tree {
  /** Split feature per node, −1 for a leaf. */
  readonly feature: Int32Array;
  /** Split threshold (go left when `x <= threshold`), or the leaf value. */
  readonly value: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Split bin per node (training-time only; not serialised). */
  readonly bin?: Uint8Array;
  /**
   * Per leaf, the range `[rowStart, rowEnd)` of the grown sample's row indices,
   * in the order `grow` left them, that reach it (training-time only).
   */
  readonly rowStart?: Int32Array;
  readonly rowEnd?: Int32Array;
}

/** JSON form of a tree. */
export interface TreeJSON {
  /** Split feature per node, −1 for a leaf. */
  readonly f: number[];
  /** Threshold of an internal node, value of a leaf. */
  readonly v: number[];
  readonly l: number[];
  readonly r: number[];
}

/** Predicts one raw feature row with a tree. */
export function predictTree(t: Tree, x: ArrayLike<number>): number {
  const { feature, value, left, right } = t;
  let i = 0;
  let f = feature[0]!;
  while (f >= 0) {
    i = x[f]! <= value[i]! ? left[i]! : right[i]!;
    f = feature[i]!;
  }
  return value[i]!;
}

/**
 * Writes a tree's value at each row of the binned matrix it was grown on whose
 * `skip` flag is 0 into `out`: the same values as {@link predictTree} of the raw
 * rows, since a raw training value is `<=` a split's upper edge exactly when its
 * bin is `<=` the split bin.
 */
function treeValuesBinned(t: Tree, m: BinnedMatrix, out: Float64Array, skip: Uint8Array): void {
  const { feature, value, left, right } = t;
  const bin = t.bin!;
  const n = m.rows;
  const bins = m.bins;
  const root = feature[0]!;
  for (let r = 0; r < n; r++) {
    if (skip[r] !== 0) continue;
    let i = 0;
    let f = root;
    while (f >= 0) {
      i = bins[f * n + r]! <= bin[i]! ? left[i]! : right[i]!;
      f = feature[i]!;
    }
    out[r] = value[i]!;
  }
}

/** Serialises a tree. */
export function treeToJSON(t: Tree): TreeJSON {
  return { f: Array.from(t.feature), v: Array.from(t.value), l: Array.from(t.left), r: Array.from(t.right) };
}

/** Restores and checks a serialised tree. */
export function treeFromJSON(j: TreeJSON, nFeatures: number): Tree {
  const len = j.f?.length ?? -1;
  if (len < 1 || j.v?.length !== len || j.l?.length !== len || j.r?.length !== len) throw new Error('tree artifact is malformed');
  const t: Tree = { feature: Int32Array.from(j.f), value: Float64Array.from(j.v), left: Int32Array.from(j.l), right: Int32Array.from(j.r) };
  for (let i = 0; i < len; i++) {
    const f = t.feature[i]!;
    if (f >= nFeatures) throw new Error(`tree node ${i} splits on feature ${f} of ${nFeatures}`);
    if (f >= 0 && !(t.left[i]! > i && t.left[i]! < len && t.right[i]! > i && t.right[i]! < len)) throw new Error(`tree node ${i} has invalid children`);
  }
  return t;
}

interface Split {
  feature: number;
  bin: number;
  gain: number;
  gl: number;
  hl: number;
}

interface NodeWork {
  id: number;
  start: number;
  end: number;
  g: number;
  h: number;
  /** Gradient / hessian histogram; undefined for nodes that can only be leaves. */
  hist: Float64Array | undefined;
}

/**
 * Grows trees on one binned matrix. Reuses its row-index, scratch and
 * histogram buffers across trees, so an ensemble allocates them once.
 */
export class TreeGrower {
  private readonly stride: number;
  private readonly pool: Float64Array[] = [];
  private readonly scratch: Uint32Array;
  private readonly gradBuf: Float64Array;
  private readonly hessBuf: Float64Array;
  /** Per row: 1 while {@link values} has filled it from a leaf range; all 0 between calls. */
  private readonly filled: Uint8Array;
  /** Gain accumulated per feature over every split grown so far. */
  readonly gainByFeature: Float64Array;

  constructor(
    readonly data: BinnedMatrix,
    readonly params: TreeParams,
  ) {
    this.stride = data.maxBins * 2;
    this.scratch = new Uint32Array(data.rows);
    this.gradBuf = new Float64Array(data.rows);
    this.hessBuf = new Float64Array(data.rows);
    this.filled = new Uint8Array(data.rows);
    this.gainByFeature = new Float64Array(data.cols);
    if (!(params.maxDepth >= 0) || !(params.minSamplesLeaf > 0) || !(params.lambda >= 0)) throw new RangeError('invalid tree parameters');
    if (!(params.nodeFeatureFraction > 0 && params.nodeFeatureFraction <= 1)) throw new RangeError('nodeFeatureFraction must be in (0, 1]');
  }

  private takeHist(): Float64Array {
    const h = this.pool.pop();
    if (h !== undefined) {
      h.fill(0);
      return h;
    }
    return new Float64Array(this.data.cols * this.stride);
  }

  /**
   * Adds rows[start..end)'s gradients and hessians to `hist` for each feature.
   * The node's gradients are first gathered into contiguous buffers (LightGBM's
   * "ordered gradients"), and four features share one pass over the rows, which
   * reads the row index and gradient once for four histogram updates (about 40 %
   * faster than a pass per feature). Every bin still sums its rows in row order,
   * so the histograms are bit for bit those of the simple loop.
   */
  private buildHist(hist: Float64Array, rows: Uint32Array, start: number, end: number, features: Int32Array, grad: Float64Array, hess: Float64Array): void {
    const { bins, rows: n } = this.data;
    const stride = this.stride;
    const g = this.gradBuf;
    const h = this.hessBuf;
    const len = end - start;
    for (let k = 0; k < len; k++) {
      const r = rows[start + k]!;
      g[k] = grad[r]!;
      h[k] = hess[r]!;
    }
    const nf = features.length;
    let fi = 0;
    for (; fi + 3 < nf; fi += 4) {
      const c0 = features[fi]!;
      const c1 = features[fi + 1]!;
      const c2 = features[fi + 2]!;
      const c3 = features[fi + 3]!;
      const o0 = c0 * n;
      const o1 = c1 * n;
      const o2 = c2 * n;
      const o3 = c3 * n;
      const h0 = c0 * stride;
      const h1 = c1 * stride;
      const h2 = c2 * stride;
      const h3 = c3 * stride;
      for (let k = 0; k < len; k++) {
        const r = rows[start + k]!;
        const gk = g[k]!;
        const hk = h[k]!;
        let i = h0 + 2 * bins[o0 + r]!;
        hist[i]! += gk;
        hist[i + 1]! += hk;
        i = h1 + 2 * bins[o1 + r]!;
        hist[i]! += gk;
        hist[i + 1]! += hk;
        i = h2 + 2 * bins[o2 + r]!;
        hist[i]! += gk;
        hist[i + 1]! += hk;
        i = h3 + 2 * bins[o3 + r]!;
        hist[i]! += gk;
        hist[i + 1]! += hk;
      }
    }
    for (; fi < nf; fi++) {
      const c = features[fi]!;
      const off = c * n;
      const hb = c * stride;
      for (let k = 0; k < len; k++) {
        const i = hb + 2 * bins[off + rows[start + k]!]!;
        hist[i]! += g[k]!;
        hist[i + 1]! += h[k]!;
      }
    }
  }

  private findSplit(node: NodeWork, hist: Float64Array, candidates: Int32Array, count: number): Split | undefined {
    const { lambda, minSamplesLeaf, minGain } = this.params;
    const { g: G, h: H } = node;
    const parentScore = (G * G) / (H + lambda);
    let best: Split | undefined;
    for (let fi = 0; fi < count; fi++) {
      const c = candidates[fi]!;
      const nb = this.data.nBins[c]!;
      const hb = c * this.stride;
      let gl = 0;
      let hl = 0;
      for (let b = 0; b < nb - 1; b++) {
        gl += hist[hb + 2 * b]!;
        hl += hist[hb + 2 * b + 1]!;
        if (hl < minSamplesLeaf) continue;
        const hr = H - hl;
        if (hr < minSamplesLeaf) break;
        const gr = G - gl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore;
        if (gain > minGain && gain > 1e-14 * parentScore && (best === undefined || gain > best.gain)) best = { feature: c, bin: b, gain, gl, hl };
      }
    }
    return best;
  }

  /**
   * Grows one tree.
   * @param grad per-row gradient (already multiplied by the row's weight)
   * @param hess per-row hessian (the row's weight for squared loss); rows with 0 are ignored
   * @param rows indices of the rows in the tree's sample, ascending; reordered in place
   * @param features columns this tree may split on
   * @param rng source for per-node feature sampling (needed when nodeFeatureFraction < 1)
   * @param leafScale factor applied to leaf values (the learning rate for boosting)
   */
  grow(grad: Float64Array, hess: Float64Array, rows: Uint32Array, features: Int32Array, rng: SeededRng | undefined, leafScale = 1): Tree {
    const { maxDepth, lambda, minSamplesLeaf, nodeFeatureFraction } = this.params;
    const { bins, rows: n } = this.data;
    const feature: number[] = [];
    const value: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const splitBin: number[] = [];
    const rowStart: number[] = [];
    const rowEnd: number[] = [];
    const newNode = () => {
      feature.push(-1);
      value.push(0);
      left.push(-1);
      right.push(-1);
      splitBin.push(0);
      rowStart.push(0);
      rowEnd.push(0);
      return feature.length - 1;
    };
    const nCand = Math.max(1, Math.round(nodeFeatureFraction * features.length));
    if (nCand < features.length && rng === undefined) throw new Error('per-node feature sampling needs a random source');
    const candidates = Int32Array.from(features);
    // Columns with one bin can never split: they get no histogram (sampling still draws from every feature).
    const active = features.filter((c) => this.data.nBins[c]! > 1);

    let G = 0;
    let H = 0;
    for (let k = 0; k < rows.length; k++) {
      G += grad[rows[k]!]!;
      H += hess[rows[k]!]!;
    }
    const rootHist = this.takeHist();
    this.buildHist(rootHist, rows, 0, rows.length, active, grad, hess);
    let level: NodeWork[] = [{ id: newNode(), start: 0, end: rows.length, g: G, h: H, hist: rootHist }];
    for (let depth = 0; level.length > 0; depth++) {
      const next: NodeWork[] = [];
      for (const node of level) {
        let split: Split | undefined;
        if (node.hist !== undefined && depth < maxDepth && node.h >= 2 * minSamplesLeaf && node.end - node.start >= 2) {
          if (nCand < features.length) {
            // Partial Fisher-Yates: the first nCand entries become a uniform sample.
            for (let i = 0; i < nCand; i++) {
              const j = i + rng!.int(candidates.length - i);
              const t = candidates[i]!;
              candidates[i] = candidates[j]!;
              candidates[j] = t;
            }
          }
          split = this.findSplit(node, node.hist, candidates, nCand);
        }
        if (split === undefined) {
          value[node.id] = (-node.g / (node.h + lambda)) * leafScale;
          rowStart[node.id] = node.start;
          rowEnd[node.id] = node.end;
          if (node.hist !== undefined) this.pool.push(node.hist);
          continue;
        }
        // Stable in-place partition: left rows compacted to the front, right rows via scratch.
        // Branch-free (each row is written to both, one cursor advances): the side is a coin toss.
        const off = split.feature * n;
        const scratch = this.scratch;
        const splitAt = split.bin;
        let w = node.start;
        let s = 0;
        for (let k = node.start; k < node.end; k++) {
          const r = rows[k]!;
          const toLeft = ((splitAt - bins[off + r]!) >>> 31) ^ 1;
          rows[w] = r;
          scratch[s] = r;
          w += toLeft;
          s += toLeft ^ 1;
        }
        rows.set(scratch.subarray(0, s), w);
        const mid = w;
        this.gainByFeature[split.feature]! += split.gain;
        const l = newNode();
        const r = newNode();
        feature[node.id] = split.feature;
        value[node.id] = this.data.cuts[split.feature]![split.bin]!;
        splitBin[node.id] = split.bin;
        left[node.id] = l;
        right[node.id] = r;
        const leftNode: NodeWork = { id: l, start: node.start, end: mid, g: split.gl, h: split.hl, hist: node.hist };
        const rightNode: NodeWork = { id: r, start: mid, end: node.end, g: node.g - split.gl, h: node.h - split.hl, hist: node.hist };
        if (depth + 1 >= maxDepth) {
          // Children are leaves: they need sums, not histograms.
          this.pool.push(node.hist!);
          leftNode.hist = undefined;
          rightNode.hist = undefined;
          next.push(leftNode, rightNode);
          continue;
        }
        // Subtraction trick: build the smaller child, derive the larger from the parent.
        const small = mid - node.start <= node.end - mid ? leftNode : rightNode;
        const large = small === leftNode ? rightNode : leftNode;
        small.hist = this.takeHist();
        this.buildHist(small.hist, rows, small.start, small.end, active, grad, hess);
        const ph = node.hist!;
        const sh = small.hist;
        for (let fi = 0; fi < active.length; fi++) {
          const c = active[fi]!;
          const base = c * this.stride;
          const top = base + 2 * this.data.nBins[c]!;
          for (let i = base; i < top; i++) ph[i]! -= sh[i]!;
        }
        large.hist = ph;
        next.push(leftNode, rightNode);
      }
      level = next;
    }
    return {
      feature: Int32Array.from(feature),
      value: Float64Array.from(value),
      left: Int32Array.from(left),
      right: Int32Array.from(right),
      bin: Uint8Array.from(splitBin),
      rowStart: Int32Array.from(rowStart),
      rowEnd: Int32Array.from(rowEnd),
    };
  }

  /**
   * Writes the value of a tree this grower just grew at every row of its matrix
   * into `out`, as {@link predictTree} gives it for the raw rows: the sample's
   * rows from their leaf ranges, the other rows by walking the binned tree.
   * @param rows the sample's row indices as `grow` left them
   */
  values(tree: Tree, rows: Uint32Array, out: Float64Array): void {
    const { feature, value } = tree;
    const rowStart = tree.rowStart!;
    const rowEnd = tree.rowEnd!;
    const filled = this.filled;
    for (let i = 0; i < feature.length; i++) {
      if (feature[i]! >= 0) continue;
      const v = value[i]!;
      for (let k = rowStart[i]!; k < rowEnd[i]!; k++) {
        const r = rows[k]!;
        out[r] = v;
        filled[r] = 1;
      }
    }
    treeValuesBinned(tree, this.data, out, filled);
    for (let k = 0; k < rows.length; k++) filled[rows[k]!] = 0;
  }
}
