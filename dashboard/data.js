/**
 * API rows → uPlot's aligned data: one shared, sorted x array and one y array
 * per series, `null` where a series has no value at that x. Pure functions.
 */

/** Index of each column by name. */
export function columnIndex(columns) {
  return Object.fromEntries(columns.map((c, i) => [c, i]));
}

/**
 * Series of a `lines` panel: one per distinct value of the `series` column (and
 * per y column when there are several), in first-seen order.
 * Returns `{ xs, series: [{ label, values }] }` with xs sorted ascending.
 */
export function lineSeries(body, columns) {
  const at = columnIndex(body.columns);
  const xi = at[columns.x];
  const si = columns.series === undefined ? undefined : at[columns.series];
  const ys = columns.y.filter((y) => at[y] !== undefined);
  const keyed = new Map();
  const xSet = new Set();
  for (const row of body.rows) {
    const x = Number(row[xi]);
    xSet.add(x);
    const group = si === undefined ? '' : String(row[si]);
    for (const y of ys) {
      const label = [group, ys.length > 1 || group === '' ? y : ''].filter(Boolean).join(' ');
      if (!keyed.has(label)) keyed.set(label, new Map());
      keyed.get(label).set(x, row[at[y]] === null ? null : Number(row[at[y]]));
    }
  }
  const xs = [...xSet].sort((a, b) => a - b);
  return { xs, series: [...keyed].map(([label, byX]) => ({ label, values: xs.map((x) => (byX.has(x) ? byX.get(x) : null)) })) };
}

/** Values of one column at each of `xs` (ms), from rows keyed by the x column; null where missing. */
export function alignTo(xs, body, xColumn, yColumn) {
  const at = columnIndex(body.columns);
  const byX = new Map(body.rows.map((r) => [Number(r[at[xColumn]]), r[at[yColumn]] === null ? null : Number(r[at[yColumn]])]));
  return xs.map((x) => (byX.has(x) ? byX.get(x) : null));
}

/** Sorted union of numeric x values of several row sets. */
export function unionX(...sets) {
  const all = new Set();
  for (const { body, x } of sets) {
    const xi = columnIndex(body.columns)[x];
    for (const r of body.rows) all.add(Number(r[xi]));
  }
  return [...all].sort((a, b) => a - b);
}
