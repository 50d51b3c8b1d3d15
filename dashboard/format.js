/** Number, time and label formatting shared by charts and tables (en-US, times in UTC like the lake). */

const nf = new Map();
const numberFormat = (digits) => {
  if (!nf.has(digits)) nf.set(digits, new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }));
  return nf.get(digits);
};

/** A number with digits suited to its size: 98,668.3, 3.4449, 0.000123. */
export function formatNumber(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  if (a > 0 && a < 1) return new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 }).format(v);
  return numberFormat(a >= 1000 ? 2 : 4).format(v);
}

/** A large count or amount shortened: 1.97 T, 53.8 B, 552.9 k. */
export function formatCompact(v) {
  if (v === null || v === undefined) return '–';
  return new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 }).format(v);
}

/** `+1.35 %` / `−0.69 %`: the sign spelled out, so colour is never the only signal. */
export function formatChange(v) {
  if (v === null || v === undefined) return '–';
  const sign = v > 0 ? '+' : v < 0 ? '−' : '±';
  return `${sign}${numberFormat(2).format(Math.abs(v))} %`;
}

const two = (n) => String(n).padStart(2, '0');

/** `21:04:16` (UTC) of epoch ms. */
export function formatClock(ms) {
  const d = new Date(ms);
  return `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** `21:04:16` for a time of today, else `2026-12-04 21:04` (UTC). */
export function formatStamp(ms) {
  return new Date(ms).toISOString().slice(0, 10) === new Date().toISOString().slice(0, 10) ? formatClock(ms) : formatTime(ms);
}

/** `2026-12-04 21:04` (UTC) of epoch ms. */
export function formatTime(ms) {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** `change_pct_24h` → `Change pct 24h`, with a few words the tables use spelled out. */
export function columnLabel(name) {
  const known = {
    cap_rank: 'Rank',
    change_pct_24h: '24 h change',
    volume_24h: '24 h volume',
    market_cap: 'Market cap',
    as_of_ms: 'As of (UTC)',
    lag_s: 'Lag (s)',
    newest_ms: 'Newest event (UTC)',
    ingested_ms: 'Last ingested (UTC)',
    skill_vs_baseline: 'Skill vs persistence',
    baseline_rmse: 'Persistence RMSE',
    rmse: 'RMSE',
    mae: 'MAE',
    r2: 'R²',
    mb: 'MB',
  };
  if (known[name]) return known[name];
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
