/** The histogram tree learner: binning, exactness of the binned decisions, and fitting a known nonlinear function. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binMatrix, binOf, GbtModel, RandomForestModel, TreeGrower, predictTree } from '../../src/ml/models/index.js';
import { Rng as SeededRng } from '../../src/core/random.js';
import { friedman1, meanOf, rmseOf } from './helpers.js';

describe('quantile binning', () => {
  it('uses at most maxBins bins, keeps order, and bin b holds exactly the values <= its upper edge', () => {
    // Prepare
    const { X } = friedman1(3000, 1);
    const data = X.data.slice();
    for (let r = 0; r < X.rows; r++) data[r * X.cols + 9] = r % 7; // a column with 7 distinct values
    const M = { rows: X.rows, cols: X.cols, data };
    // Act
    const b = binMatrix(M, 32);
    // Assess
    expect(b.nBins[9]).toBe(7);
    for (let c = 0; c < M.cols; c++) {
      expect(b.nBins[c]).toBeLessThanOrEqual(32);
      const cuts = b.cuts[c]!;
      for (let i = 1; i < cuts.length; i++) expect(cuts[i]!).toBeGreaterThan(cuts[i - 1]!);
      let wrong = 0;
      for (let r = 0; r < M.rows; r++) {
        const x = data[r * M.cols + c]!;
        const bin = b.bins[c * M.rows + r]!;
        if (bin !== binOf(cuts, x)) wrong++;
        if (bin < cuts.length && !(x <= cuts[bin]!)) wrong++;
        if (bin > 0 && !(x > cuts[bin - 1]!)) wrong++;
      }
      expect(wrong).toBe(0);
    }
  });

  it('binOf is the number of cuts below x, for any sorted cuts and any x (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { maxLength: 300 }), fc.double({ noNaN: true }), (values, x) => {
        // Prepare
        const cuts = Float64Array.from(new Set(values)).sort();
        // Act / Assess
        expect(binOf(cuts, x)).toBe(cuts.filter((c) => c < x).length);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects more than 256 bins (Uint8 storage)', () => {
    const { X } = friedman1(10, 1);
    expect(() => binMatrix(X, 257)).toThrow(/maxBins/);
  });
});

describe('histogram tree learner', () => {
  it('a grown tree predicts raw rows exactly as its binned training decisions, and leaves hold the Newton step', () => {
    // Prepare
    const { X, y } = friedman1(2000, 2);
    const binned = binMatrix(X, 64);
    const grower = new TreeGrower(binned, { maxDepth: 5, minSamplesLeaf: 10, lambda: 0, minGain: 0, nodeFeatureFraction: 1 });
    const grad = Float64Array.from(y, (v) => -v);
    const hess = new Float64Array(y.length).fill(1);
    const rows = Uint32Array.from({ length: y.length }, (_, i) => i);
    // Act
    const tree = grower.grow(
      grad,
      hess,
      rows,
      Int32Array.from({ length: X.cols }, (_, i) => i),
      undefined,
    );
    // Assess: leaf value = mean of its rows (λ = 0), reached identically by raw and binned routing
    const leafRows = new Map<number, number[]>();
    for (let r = 0; r < X.rows; r++) {
      const x = X.data.subarray(r * X.cols, (r + 1) * X.cols);
      let i = 0;
      while (tree.feature[i]! >= 0) i = x[tree.feature[i]!]! <= tree.value[i]! ? tree.left[i]! : tree.right[i]!;
      let j = 0;
      while (tree.feature[j]! >= 0) j = binned.bins[tree.feature[j]! * X.rows + r]! <= tree.bin![j]! ? tree.left[j]! : tree.right[j]!;
      expect(j).toBe(i);
      expect(predictTree(tree, x)).toBe(tree.value[i]);
      leafRows.set(i, [...(leafRows.get(i) ?? []), y[r]!]);
    }
    expect(leafRows.size).toBeGreaterThan(16);
    for (const [leaf, ys] of leafRows) {
      expect(ys.length).toBeGreaterThanOrEqual(10);
      expect(tree.value[leaf]).toBeCloseTo(meanOf(ys), 9);
    }
  });

  it('GBT and random forest fit Friedman #1 far better than a constant predictor (held-out rows)', () => {
    // Prepare
    const train = friedman1(5000, 3);
    const test = friedman1(2000, 4);
    const constant = rmseOf(test.y, new Float64Array(test.y.length).fill(meanOf(train.y)));
    // Act
    const gbt = new GbtModel({ nIterations: 200, maxDepth: 4, learningRate: 0.1, minSamplesLeaf: 5 }).fit(train.X, train.y);
    const rf = new RandomForestModel({ nTrees: 60, maxDepth: 10, minSamplesLeaf: 3, featureFraction: 0.5 }).fit(train.X, train.y);
    const gbtRmse = rmseOf(test.y, gbt.predictMatrix(test.X));
    const rfRmse = rmseOf(test.y, rf.predictMatrix(test.X));
    // Assess: noise sd is 1, the constant predictor's RMSE about 5
    expect(constant).toBeGreaterThan(4.5);
    expect(gbtRmse).toBeLessThan(0.3 * constant);
    expect(gbtRmse).toBeLessThan(1.5);
    expect(rfRmse).toBeLessThan(0.5 * constant);
    // the noise-only features carry little of the split gain
    const gains = gbt.featureGains();
    const signalGain = gains.slice(0, 5).reduce((a, b) => a + b, 0);
    const noiseGain = gains.slice(5).reduce((a, b) => a + b, 0);
    expect(noiseGain).toBeLessThan(0.05 * signalGain);
  });

  it('respects maxDepth and minSamplesLeaf', () => {
    // Prepare
    const { X, y } = friedman1(1000, 5);
    const binned = binMatrix(X, 128);
    const grower = new TreeGrower(binned, { maxDepth: 3, minSamplesLeaf: 100, lambda: 1, minGain: 0, nodeFeatureFraction: 0.5 });
    const rows = Uint32Array.from({ length: y.length }, (_, i) => i);
    // Act
    const tree = grower.grow(
      Float64Array.from(y, (v) => -v),
      new Float64Array(y.length).fill(1),
      rows,
      Int32Array.from({ length: 10 }, (_, i) => i),
      new SeededRng(1),
    );
    // Assess
    const depth = (i: number): number => (tree.feature[i]! < 0 ? 0 : 1 + Math.max(depth(tree.left[i]!), depth(tree.right[i]!)));
    expect(depth(0)).toBeLessThanOrEqual(3);
    const counts = new Map<number, number>();
    for (let r = 0; r < X.rows; r++) {
      let i = 0;
      while (tree.feature[i]! >= 0) i = X.data[r * X.cols + tree.feature[i]!]! <= tree.value[i]! ? tree.left[i]! : tree.right[i]!;
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    for (const c of counts.values()) expect(c).toBeGreaterThanOrEqual(100);
  });
});

describe('histogram split search (property)', () => {
  /** The best split of a node's rows by trying every value of every feature as a threshold, with the learner's rules. */
  function exhaustiveSplit(x: number[][], g: number[], h: number[], rows: number[], lambda: number, minLeaf: number) {
    const G = rows.reduce((a, r) => a + g[r]!, 0);
    const H = rows.reduce((a, r) => a + h[r]!, 0);
    const parent = (G * G) / (H + lambda);
    let best: { feature: number; threshold: number; gain: number } | undefined;
    for (let c = 0; c < x[0]!.length; c++) {
      const values = [...new Set(rows.map((r) => x[r]![c]!))].sort((a, b) => a - b);
      for (const v of values.slice(0, -1)) {
        const left = rows.filter((r) => x[r]![c]! <= v);
        const gl = left.reduce((a, r) => a + g[r]!, 0);
        const hl = left.reduce((a, r) => a + h[r]!, 0);
        const gr = G - gl;
        const hr = H - hl;
        if (hl < minLeaf || hr < minLeaf) continue;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > 0 && gain > 1e-14 * parent && (best === undefined || gain > best.gain)) best = { feature: c, threshold: v, gain };
      }
    }
    return { G, H, best };
  }

  const problem = fc.integer({ min: 1, max: 7 }).chain((d) =>
    fc.record({
      rows: fc.array(
        fc.record({
          x: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: d, maxLength: d }),
          // Integer gradients and bootstrap-like weights: every sum is exact, so the two searches must agree exactly.
          g: fc.integer({ min: -20, max: 20 }),
          h: fc.integer({ min: 1, max: 3 }),
        }),
        { minLength: 2, maxLength: 60 },
      ),
      lambda: fc.integer({ min: 0, max: 3 }),
      minLeaf: fc.integer({ min: 1, max: 6 }),
      maxDepth: fc.integer({ min: 1, max: 3 }),
    }),
  );

  it('every node splits on the feature and threshold an exhaustive search picks (first best), or stays a leaf when it finds none', () => {
    fc.assert(
      fc.property(problem, ({ rows: sample, lambda, minLeaf, maxDepth }) => {
        // Prepare
        const x = sample.map((s) => s.x);
        const g = sample.map((s) => s.g);
        const h = sample.map((s) => s.h);
        const n = x.length;
        const d = x[0]!.length;
        const X = { rows: n, cols: d, data: Float64Array.from(x.flat()) };
        const grower = new TreeGrower(binMatrix(X, 256), { maxDepth, minSamplesLeaf: minLeaf, lambda, minGain: 0, nodeFeatureFraction: 1 });
        // Act
        const tree = grower.grow(
          Float64Array.from(g),
          Float64Array.from(h),
          Uint32Array.from({ length: n }, (_, i) => i),
          Int32Array.from({ length: d }, (_, i) => i),
          undefined,
        );
        // Assess: walk the tree with the raw rows and compare each node with the exhaustive search on its rows
        const visit = (node: number, rows: number[], depth: number): void => {
          const { G, H, best } = exhaustiveSplit(x, g, h, rows, lambda, minLeaf);
          const mayGrow = depth < maxDepth && H >= 2 * minLeaf && rows.length >= 2;
          const f = tree.feature[node]!;
          if (f < 0) {
            expect(mayGrow ? best : undefined).toBeUndefined();
            expect(tree.value[node]).toBe(-G / (H + lambda));
            return;
          }
          expect(mayGrow).toBe(true);
          expect({ feature: f, threshold: tree.value[node] }).toEqual({ feature: best?.feature, threshold: best?.threshold });
          const t = tree.value[node]!;
          visit(
            tree.left[node]!,
            rows.filter((r) => x[r]![f]! <= t),
            depth + 1,
          );
          visit(
            tree.right[node]!,
            rows.filter((r) => x[r]![f]! > t),
            depth + 1,
          );
        };
        visit(
          0,
          Array.from({ length: n }, (_, i) => i),
          0,
        );
      }),
      { numRuns: 300 },
    );
  });
});
