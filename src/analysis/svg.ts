/**
 * Small, dependency-free SVG charts: axes with ticks, axis labels, a title, a
 * legend, series drawn as points or lines. Enough for the analysis plots in
 * docs/; the output is well-formed XML (text escaped, numbers rounded). Pure.
 */

/** One series of a chart. */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  readonly kind: 'points' | 'line';
  readonly color: string;
}

/** A chart: its series, title and axis labels, and optional x tick labels (value and text). */
export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  readonly xTicks?: readonly (readonly [number, string])[];
  readonly width?: number;
  readonly height?: number;
}

/** Text safe inside an XML element or attribute. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The round step nearest above 70 % of the raw one: neither crowded nor sparse.
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * 0.7) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

const fmt = (v: number) => (Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v * 100) / 100) : String(Number(v.toPrecision(3))));
const px = (v: number) => String(Math.round(v * 10) / 10);

/** The chart as an SVG document. */
export function chartSvg(spec: ChartSpec): string {
  const width = spec.width ?? 720;
  const height = spec.height ?? 420;
  const m = { left: 70, right: 20, top: 46, bottom: 58 };
  const all = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const pad = (lo: number, hi: number) => (hi > lo ? [lo - (hi - lo) * 0.04, hi + (hi - lo) * 0.04] : [lo - 1, hi + 1]) as [number, number];
  const [x0, x1] = all.length ? pad(Math.min(...xs), Math.max(...xs)) : [0, 1];
  const [y0, y1] = all.length ? pad(Math.min(...ys), Math.max(...ys)) : [0, 1];
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text class="title" x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`);
  // Grid and ticks.
  out.push(`<g class="axis y-axis" stroke="#dddddd">`);
  for (const v of niceTicks(y0, y1)) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${px(sy(v))}" y2="${px(sy(v))}"/>`);
    out.push(`<text x="${m.left - 6}" y="${px(sy(v) + 4)}" text-anchor="end" stroke="none" fill="#333333">${escapeXml(fmt(v))}</text>`);
  }
  out.push(`</g>`);
  out.push(`<g class="axis x-axis" stroke="#dddddd">`);
  const xTicks = spec.xTicks ?? niceTicks(x0, x1).map((v) => [v, fmt(v)] as const);
  for (const [v, label] of xTicks) {
    if (v < x0 || v > x1) continue;
    out.push(`<line x1="${px(sx(v))}" x2="${px(sx(v))}" y1="${m.top}" y2="${m.top + ph}"/>`);
    out.push(`<text x="${px(sx(v))}" y="${m.top + ph + 16}" text-anchor="middle" stroke="none" fill="#333333">${escapeXml(label)}</text>`);
  }
  out.push(`</g>`);
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333333"/>`);
  out.push(`<text class="x-label" x="${m.left + pw / 2}" y="${height - 14}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  out.push(
    `<text class="y-label" x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">${escapeXml(spec.yLabel)}</text>`,
  );
  // Series.
  for (const s of spec.series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (s.kind === 'line') {
      const d = pts.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(sx(x))},${px(sy(y))}`).join(' ');
      if (d) out.push(`<path d="${d}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="2"/>`);
    } else {
      for (const [x, y] of pts) out.push(`<circle cx="${px(sx(x))}" cy="${px(sy(y))}" r="2.2" fill="${escapeXml(s.color)}" fill-opacity="0.55"/>`);
    }
    out.push(`</g>`);
  }
  // Legend.
  out.push(`<g class="legend">`);
  out.push(`<rect x="${m.left + pw - 208}" y="${m.top + 2}" width="204" height="${spec.series.length * 16 + 6}" fill="#ffffff" fill-opacity="0.85"/>`);
  spec.series.forEach((s, i) => {
    const y = m.top + 14 + i * 16;
    const x = m.left + pw - 200;
    out.push(
      s.kind === 'line'
        ? `<line x1="${x}" x2="${x + 18}" y1="${y - 4}" y2="${y - 4}" stroke="${escapeXml(s.color)}" stroke-width="2"/>`
        : `<circle cx="${x + 9}" cy="${y - 4}" r="3" fill="${escapeXml(s.color)}"/>`,
    );
    out.push(`<text x="${x + 24}" y="${y}">${escapeXml(s.name)}</text>`);
  });
  out.push(`</g>`);
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}
