/**
 * uPlot charts of the four drawn kinds. A chart is created once per card and
 * then fed new data with `setData`; it is only rebuilt when its series change
 * (another symbol set, a series appearing), which `spec.key` tells apart.
 * uPlot is the global of its IIFE build, served from npm at /vendor/.
 */
import { alignTo, columnIndex, lineSeries, unionX } from './data.js';
import { formatCompact, formatNumber, formatTime } from './format.js';

const { uPlot } = globalThis;

/** Series colours, in order: distinguishable, and ≥ 4.5:1 against the white card. */
export const PALETTE = ['#1f5fbf', '#b3401e', '#1b7a3d', '#7b3fb5', '#a6551a', '#0f6e7a', '#a1266c', '#4d5a1a'];
const UP = '#137a3f';
const DOWN = '#c0262d';
const AXIS = { stroke: '#2b3340', grid: { stroke: '#e3e6eb', width: 1 }, ticks: { stroke: '#c9ced6', width: 1 } };
const noPaths = () => null;

/** [min, max] of the non-null values (no spread: arrays can be long). */
function extent(values) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === null) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}
// Times on the axes in UTC, like the lake and the tables (x values are epoch ms: `ms: 1`).
const utc = (ts) => uPlot.tzDate(new Date(ts), 'Etc/UTC');

/**
 * Candles drawn by hand over the price scale: a wick from low to high and a
 * body from open to close; rising minutes hollow, falling ones filled, so the
 * direction does not rest on colour alone.
 */
function candlesPlugin() {
  const draw = (u) => {
    const [xs, open, high, low, close] = u.data;
    if (xs.length === 0) return;
    const { ctx } = u;
    const step = xs.length > 1 ? Math.abs(u.valToPos(xs[1], 'x', true) - u.valToPos(xs[0], 'x', true)) : 12;
    const body = Math.max(1, Math.min(18 * devicePixelRatio, step * 0.62));
    const line = Math.max(1, Math.round(devicePixelRatio));
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    ctx.lineWidth = line;
    for (let i = 0; i < xs.length; i++) {
      if (open[i] === null || close[i] === null || high[i] === null || low[i] === null) continue;
      const x = Math.round(u.valToPos(xs[i], 'x', true));
      const yo = u.valToPos(open[i], 'price', true);
      const yc = u.valToPos(close[i], 'price', true);
      const colour = close[i] >= open[i] ? UP : DOWN;
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.beginPath();
      ctx.moveTo(x + 0.5, u.valToPos(high[i], 'price', true));
      ctx.lineTo(x + 0.5, Math.min(yo, yc));
      ctx.moveTo(x + 0.5, Math.max(yo, yc));
      ctx.lineTo(x + 0.5, u.valToPos(low[i], 'price', true));
      ctx.stroke();
      const top = Math.min(yo, yc);
      const h = Math.max(line, Math.abs(yc - yo));
      if (close[i] >= open[i]) ctx.strokeRect(x - body / 2 + 0.5, top, body, h);
      else ctx.fillRect(x - body / 2, top, body + 1, h);
    }
    ctx.restore();
  };
  return { hooks: { draw: [draw] } };
}

/** The x range of a time chart: half a minute beyond the ends, so edge candles are whole and one point is not a degenerate range. */
const timeRange = (_u, min, max) => [min - 30_000, max + 30_000];

/** Time ticks in UTC, 24 h: `21:05`, or `12-04` when ticks are days apart. */
const timeAxis = {
  ...AXIS,
  values: (_u, splits, _axis, _space, incr) =>
    splits.map((ms) => {
      const iso = new Date(ms).toISOString();
      return incr >= 86_400_000 ? iso.slice(5, 10) : incr < 60_000 ? iso.slice(11, 19) : iso.slice(11, 16);
    }),
};
/** A value axis; ticks of a million and more read 1.2M, so they fit its width. */
const valueAxis = (scale, size = 70) => ({
  ...AXIS,
  scale,
  size,
  values: (_u, splits) => splits.map((v) => (Math.abs(v) >= 1e6 ? formatCompact(v) : formatNumber(v))),
});

/** Candles of `base` (t, open, high, low, close[, volume]) with `overlays` as lines on the same price scale. */
function candlesSpec(base, overlays) {
  const xs = unionX({ body: base, x: 't' }, ...overlays.map((o) => ({ body: o.body, x: o.panel.columns.x })));
  const ohlc = ['open', 'high', 'low', 'close'].map((c) => alignTo(xs, base, 't', c));
  const hasVolume = base.columns.includes('volume');
  const series = [
    { label: 'Time (UTC)', value: (_u, v) => (v === null ? '–' : formatTime(v)) },
    ...['Open', 'High', 'Low', 'Close'].map((label) => ({
      label,
      scale: 'price',
      paths: noPaths,
      points: { show: false },
      stroke: '#2b3340',
      value: (_u, v) => formatNumber(v),
    })),
  ];
  const data = [xs, ...ohlc];
  if (hasVolume) {
    series.push({
      label: 'Volume',
      scale: 'vol',
      paths: uPlot.paths.bars({ size: [0.62, 18] }),
      points: { show: false },
      stroke: '#8a94a3',
      fill: 'rgba(110, 122, 140, 0.35)',
      value: (_u, v) => formatNumber(v),
    });
    data.push(alignTo(xs, base, 't', 'volume'));
  }
  overlays.forEach((o, k) => {
    series.push({
      label: o.panel.title,
      scale: 'price',
      stroke: PALETTE[(k + 3) % PALETTE.length],
      width: 2,
      dash: [6, 3],
      spanGaps: true,
      points: { show: true, size: 5 },
      value: (_u, v) => formatNumber(v),
    });
    data.push(alignTo(xs, o.body, o.panel.columns.x, o.panel.columns.y[0]));
  });
  const closes = ohlc[3].filter((v) => v !== null);
  const summary =
    `${base.symbol ?? ''} minute candles: ${closes.length} minutes from ${formatTime(xs[0])} to ${formatTime(xs.at(-1))} UTC, ` +
    `low ${formatNumber(extent(ohlc[2])[0])}, high ${formatNumber(extent(ohlc[1])[1])}, ` +
    `last close ${formatNumber(closes.at(-1))}` +
    overlays.map((o) => `; ${o.panel.title}: ${o.body.rows.length} points`).join('');
  return {
    key: `candles|${hasVolume}|${overlays.map((o) => o.panel.id).join(',')}`,
    height: 340,
    opts: {
      ms: 1,
      tzDate: utc,
      series,
      scales: { x: { time: true, range: timeRange }, price: { auto: true }, vol: { range: (_u, _min, max) => [0, Math.max(1, max) * 4] } },
      axes: [timeAxis, valueAxis('price')],
      plugins: [candlesPlugin()],
      cursor: { points: { show: false } },
    },
    data,
    summary,
    last: closes.at(-1),
  };
}

/** One line per series over epoch-ms x. */
function linesSpec(panel, body) {
  const { xs, series } = lineSeries(body, panel.columns);
  // Series orders of magnitude apart (a coin at 98,000 and one at 0.2) share a log scale, or the small ones lie flat.
  const [min, max] = extent(series.flatMap((s) => s.values));
  const log = min > 0 && max / min > 100;
  const last = series.map((s) => `${s.label} ${formatNumber(s.values.findLast((v) => v !== null))}`);
  return {
    key: `lines|${log}|${series.map((s) => s.label).join('|')}`,
    height: 260,
    opts: {
      ms: 1,
      tzDate: utc,
      series: [
        { label: 'Time (UTC)', value: (_u, v) => (v === null ? '–' : formatTime(v)) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          spanGaps: true,
          value: (_u, v) => formatNumber(v),
        })),
      ],
      scales: { x: { time: true, range: timeRange }, y: log ? { distr: 3 } : {} },
      axes: [timeAxis, valueAxis('y')],
    },
    data: [xs, ...series.map((s) => s.values)],
    summary: `${series.length} series${log ? ' (log scale)' : ''} from ${formatTime(xs[0])} to ${formatTime(xs.at(-1))} UTC; last values: ${last.slice(0, 8).join(', ')}`,
  };
}

/** Bars over categories, in the order the API gives (largest first). */
function barsSpec(panel, body) {
  const at = columnIndex(body.columns);
  const labels = body.rows.map((r) => String(r[at[panel.columns.x]]));
  const y = panel.columns.y[0];
  const values = body.rows.map((r) => Number(r[at[y]]));
  const idx = labels.map((_l, i) => i);
  // Long categories are cut on the axis (whole in the legend and the summary).
  const short = labels.map((l) => (l.length > 22 ? `${l.slice(0, 21)}…` : l));
  const longest = Math.max(...short.map((l) => l.length));
  const tilted = labels.length > 4;
  return {
    key: `bars|${labels.length}`,
    height: 260 + (tilted ? longest * 4 : 0),
    opts: {
      // Room on the right for the last tilted label.
      padding: [12, tilted ? 110 : 12, 0, 0],
      series: [
        { label: panel.columns.x, value: (_u, v) => labels[v] ?? '–' },
        {
          label: y.replace(/_/g, ' '),
          stroke: PALETTE[0],
          fill: 'rgba(31, 95, 191, 0.75)',
          paths: uPlot.paths.bars({ size: [0.7, 90] }),
          points: { show: false },
          value: (_u, v) => formatNumber(v),
        },
      ],
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, labels.length - 0.5)] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        {
          ...AXIS,
          grid: { show: false },
          rotate: labels.length > 4 ? -30 : 0,
          size: 30 + Math.min(120, longest * (labels.length > 4 ? 4 : 1)),
          splits: () => idx,
          values: () => labels,
        },
        valueAxis('y'),
      ],
    },
    data: [idx, values],
    summary: `${labels.length} bars, largest first: ${labels
      .slice(0, 6)
      .map((l, i) => `${l} ${formatNumber(values[i])}`)
      .join(', ')}`,
  };
}

/** Points of (x, y[0]), one series per `series` value. */
function scatterSpec(panel, body) {
  const { xs, series } = lineSeries(body, panel.columns);
  return {
    key: `scatter|${series.map((s) => s.label).join('|')}`,
    height: 280,
    opts: {
      mode: 1,
      series: [
        { label: panel.columns.x, value: (_u, v) => formatNumber(v) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          paths: noPaths,
          points: { show: true, size: 6, fill: PALETTE[i % PALETTE.length] },
        })),
      ],
      scales: { x: { time: false } },
      axes: [{ ...AXIS, values: (_u, splits) => splits.map(formatNumber) }, valueAxis('y')],
    },
    data: [xs, ...series.map((s) => s.values)],
    summary: `${body.rows.length} points of ${panel.columns.y[0]} against ${panel.columns.x}`,
  };
}

/** What to draw for a panel's answer (and its overlays' answers). */
export function chartSpec(panel, body, overlays = []) {
  switch (panel.chart) {
    case 'candles':
      return candlesSpec(body, overlays);
    case 'lines':
      return linesSpec(panel, body);
    case 'bars':
      return barsSpec(panel, body);
    case 'scatter':
      return scatterSpec(panel, body);
    default:
      throw new Error(`no chart for kind ${panel.chart}`);
  }
}

/**
 * A chart in `host` that keeps its uPlot instance across refreshes: `show(spec)`
 * calls `setData` when the series are the same as last time, else rebuilds.
 */
export class Chart {
  constructor(host) {
    this.host = host;
    this.plot = undefined;
    this.key = undefined;
    this.resize = new ResizeObserver(() => {
      if (this.plot && this.host.clientWidth > 0) this.plot.setSize({ width: this.host.clientWidth, height: this.plot.height });
    });
    this.resize.observe(host);
  }

  show(spec) {
    if (this.plot && this.key === spec.key) this.plot.setData(spec.data);
    else {
      this.clear();
      this.key = spec.key;
      this.plot = new uPlot({ ...spec.opts, width: Math.max(280, this.host.clientWidth), height: spec.height }, spec.data, this.host);
    }
    this.host.setAttribute('aria-label', spec.summary);
    // What is drawn, in plain numbers: series, non-null points, the last value of the main series.
    const ys = spec.data.slice(1);
    this.host.dataset.series = String(ys.length);
    this.host.dataset.points = String(ys.reduce((n, s) => n + s.filter((v) => v !== null).length, 0));
    this.host.dataset.last = String(spec.last ?? '');
  }

  /** Drops the drawing (empty or failed answers show text instead). */
  clear() {
    this.plot?.destroy();
    this.plot = undefined;
    this.key = undefined;
    this.host.removeAttribute('aria-label');
    for (const k of ['series', 'points', 'last']) delete this.host.dataset[k];
  }
}
