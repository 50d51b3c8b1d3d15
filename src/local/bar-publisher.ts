/**
 * Publishes closed minute bars from the lake to the time-series store (the
 * dashboards' view), once per minute and symbol, with upserts for corrections;
 * or puts them on the enriched stream, whose consumer writes them there.
 *
 * The rule (closed minutes, fresh bars, corrections, record versions) is the
 * one the cloud publisher shares: `src/timeseries/bar-publication.ts`. Locally
 * every run looks at the whole lake, so a correction of any age is published;
 * what was published is remembered in a state file.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { BAR_COLUMNS, type BarRow } from '../core/bars.js';
import type { StreamProducer } from '../ingest/stream-producer.js';
import { DEFAULT_ALLOWED_LATENESS_SECONDS, lastClosedMinuteUs, planPublication, recordPublished, type PublishedBars } from '../timeseries/bar-publication.js';
import { sendBars } from '../timeseries/bar-outlet.js';
import type { TimeSeriesSink, WriteResult } from '../timeseries/point.js';
import type { LakeSql } from './lake-sql.js';

export { DEFAULT_ALLOWED_LATENESS_SECONDS };

export interface PublisherState {
  /** Per symbol: minute_start (µs) -> trade count of what was published. */
  readonly published: PublishedBars;
}

export interface PublishOptions {
  readonly sql: LakeSql;
  /** The store the bars are written to, unless `enriched` is given. */
  readonly sink: TimeSeriesSink;
  /** The enriched stream: bars are put there instead (its consumer writes them to the store). */
  readonly enriched?: StreamProducer;
  /** Where published minutes are remembered between runs. */
  readonly statePath: string;
  readonly allowedLatenessSeconds?: number;
  /** Called with the bars newly closed in this run (e.g. to predict the next minute). */
  readonly onClosed?: (bars: readonly BarRow[]) => Promise<void> | void;
}

export interface PublishResult {
  readonly closed: number;
  readonly corrections: number;
  readonly write: WriteResult;
  /** Latest trade time in the lake, µs (undefined for an empty lake). */
  readonly watermarkUs?: number;
}

const NOTHING_WRITTEN: WriteResult = { written: 0, rejected: [], retried: 0, corrected: 0 };

/** What a local publisher published, from its state file (nothing when there is none). */
export function loadPublished(path: string): PublisherState {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as PublisherState) : { published: {} };
}

/** A JSON file written aside, then renamed into place: a reader or a crash never sees half of it. */
export function writeJsonFile(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(value));
  renameSync(`${path}.tmp`, path);
}

/** Saves what was published. */
export function savePublished(path: string, state: PublisherState): void {
  writeJsonFile(path, state);
}

/** Publishes what closed since the last run. */
export async function publishClosedBars(o: PublishOptions): Promise<PublishResult> {
  const lateness = o.allowedLatenessSeconds ?? DEFAULT_ALLOWED_LATENESS_SECONDS;
  const wm = await o.sql.query('SELECT epoch_us(max(trade_time)) FROM trades');
  const watermarkUs = wm.rows[0]?.[0] === null || wm.rows[0]?.[0] === undefined ? undefined : Number(wm.rows[0][0]);
  const state = loadPublished(o.statePath);
  if (watermarkUs === undefined) return { closed: 0, corrections: 0, write: NOTHING_WRITTEN };
  const r = await o.sql.query(
    `SELECT ${Object.values(BAR_COLUMNS)
      .map((c) => (c === BAR_COLUMNS.minuteStartUs ? `epoch_us(${c}) AS ${c}` : c))
      .join(', ')}
     FROM bars_1m WHERE epoch_us(minute_start) <= ${lastClosedMinuteUs(watermarkUs, lateness)} ORDER BY minute_start, symbol`,
  );
  // Every column is numeric but the symbol.
  const bars = r.rows.map(
    (row) => Object.fromEntries(r.columns.map((c, i) => [c, c === 'symbol' ? String(row[i]) : Number(row[i] ?? NaN)])) as unknown as BarRow,
  );
  const { fresh, corrections } = planPublication(bars, state.published, watermarkUs, lateness);
  const toWrite = [...fresh, ...corrections];
  const write = await sendBars(o.enriched ? { enriched: o.enriched } : { sink: o.sink }, fresh, corrections);
  if (write.rejected.length > 0) throw new Error(`time-series store rejected ${write.rejected.length} bar points, e.g. ${write.rejected[0]!.reason}`);
  recordPublished(state.published, toWrite);
  savePublished(o.statePath, state);
  if (fresh.length > 0) await o.onClosed?.(fresh);
  return { closed: fresh.length, corrections: corrections.length, write, watermarkUs };
}
