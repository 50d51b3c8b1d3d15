/**
 * Publishes closed minute bars from the lake to the time-series store (the
 * dashboards' view), once per minute and symbol, with upserts for corrections.
 *
 * A minute is closed when the watermark (the latest trade time in the lake) is
 * at least `allowedLatenessSeconds` past its end. Each run publishes the closed
 * minutes after the last published one per symbol, plus any already-published
 * minute whose bar changed because a trade arrived later than the lateness
 * (detected by its trade count), re-sent as an upsert.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Bar } from '../domain/bars.js';
import { barPoint } from '../timeseries/measurements.js';
import type { TimeSeriesSink, WriteResult } from '../timeseries/point.js';
import type { LakeSql } from './lake-sql.js';

/** Default allowed lateness: trades up to 10 s late still make their minute's first published bar. */
export const DEFAULT_ALLOWED_LATENESS_SECONDS = 10;

interface PublisherState {
  /** Per symbol: minute_start (µs) -> trade count of what was published. */
  readonly published: Record<string, Record<string, number>>;
}

export interface PublishOptions {
  readonly sql: LakeSql;
  readonly sink: TimeSeriesSink;
  /** Where published minutes are remembered between runs. */
  readonly statePath: string;
  readonly allowedLatenessSeconds?: number;
  /** Called with the bars newly closed in this run (e.g. to predict the next minute). */
  readonly onClosed?: (bars: readonly Bar[]) => Promise<void> | void;
}

export interface PublishResult {
  readonly closed: number;
  readonly corrections: number;
  readonly write: WriteResult;
  /** Latest trade time in the lake, µs (undefined for an empty lake). */
  readonly watermarkUs?: number;
}

const NOTHING_WRITTEN: WriteResult = { written: 0, rejected: [], retried: 0, corrected: 0 };

function load(path: string): PublisherState {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as PublisherState) : { published: {} };
}

/** Publishes what closed since the last run. */
export async function publishClosedBars(o: PublishOptions): Promise<PublishResult> {
  const lateness = (o.allowedLatenessSeconds ?? DEFAULT_ALLOWED_LATENESS_SECONDS) * 1_000_000;
  const wm = await o.sql.query('SELECT epoch_us(max(trade_time)) FROM trades');
  const watermarkUs = wm.rows[0]?.[0] === null || wm.rows[0]?.[0] === undefined ? undefined : Number(wm.rows[0][0]);
  const state = load(o.statePath);
  if (watermarkUs === undefined) return { closed: 0, corrections: 0, write: NOTHING_WRITTEN };
  const cutoff = watermarkUs - lateness - 60_000_000;
  const r = await o.sql.query(
    `SELECT symbol, epoch_us(minute_start) AS minute_start, open, high, low, close, vwap, avg_price, avg_quantity, avg_quote_quantity, volume, quote_volume, trade_count, buyer_maker_share
     FROM bars_1m WHERE epoch_us(minute_start) <= ${cutoff} ORDER BY minute_start, symbol`,
  );
  // Every column is numeric but the symbol.
  const bars = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, c === 'symbol' ? String(row[i]) : Number(row[i] ?? NaN)])) as unknown as Bar);
  const fresh: Bar[] = [];
  const corrected: Bar[] = [];
  for (const b of bars) {
    const seen = (state.published[b.symbol] ??= {});
    const prev = seen[String(b.minute_start)];
    if (prev === b.trade_count) continue;
    (prev === undefined ? fresh : corrected).push(b);
    seen[String(b.minute_start)] = b.trade_count;
  }
  const toWrite = [...fresh, ...corrected];
  const write = toWrite.length > 0 ? await o.sink.write(toWrite.map(barPoint)) : NOTHING_WRITTEN;
  if (write.rejected.length > 0) throw new Error(`time-series store rejected ${write.rejected.length} bar points, e.g. ${write.rejected[0]!.reason}`);
  writeFileSync(`${o.statePath}.tmp`, JSON.stringify(state));
  renameSync(`${o.statePath}.tmp`, o.statePath);
  if (fresh.length > 0) await o.onClosed?.(fresh);
  return { closed: fresh.length, corrections: corrected.length, write, watermarkUs };
}
