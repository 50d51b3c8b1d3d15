/**
 * Fakes for the bar-publishing tests: a lake of trades that answers the bar
 * publisher's two questions (watermark, bars of a window) directly or as
 * Athena result rows, a Timestream table that applies the documented record
 * version rules, and an in-memory state document store.
 */
import { RejectedRecordsException, type WriteRecordsCommandInput } from '@aws-sdk/client-timestream-write';
import type { BarQuery } from '../../src/ml/steps/bar-source.js';
import type { LakeBarReader } from '../../src/timeseries/cloud-bar-publisher.js';
import { barsFromTrades } from '../../src/core/bars.js';
import type { Bar } from '../../src/core/bars.js';

export interface FakeTrade {
  readonly symbol: string;
  /** µs */
  readonly timeUs: number;
  readonly price: number;
}

/** Minute bars of the trades (`barsFromTrades`): each trade one unit at its price, ids in arrival order (open/close by time, then by arrival). */
export function barsOfTrades(trades: readonly FakeTrade[]): Bar[] {
  return barsFromTrades(
    trades.map((t, i) => ({
      symbol: t.symbol,
      trade_id: i,
      price: t.price,
      quantity: 1,
      quote_quantity: t.price,
      is_buyer_maker: false,
      trade_time: t.timeUs,
    })),
  );
}

/** A lake that grows by trades; answers like `bar_partials` / `bars_1m` do. */
export class FakeLake implements LakeBarReader {
  readonly trades: FakeTrade[] = [];
  /** Questions asked: watermark lower bounds and bar windows. */
  readonly asked: (number | BarQuery)[] = [];

  add(...trades: FakeTrade[]): void {
    this.trades.push(...trades);
  }

  /** Latest trade time from the UTC day of `fromUs` on (as the dt >= filter does). */
  async latestTradeTimeUs(fromUs: number): Promise<number | undefined> {
    this.asked.push(fromUs);
    const dayStart = Math.floor(fromUs / 86_400_000_000) * 86_400_000_000;
    const times = this.trades.filter((t) => t.timeUs >= dayStart).map((t) => t.timeUs);
    return times.length === 0 ? undefined : Math.max(...times);
  }

  async bars(q: BarQuery): Promise<Bar[]> {
    this.asked.push(q);
    return barsOfTrades(this.trades).filter((b) => b.minuteStartUs >= q.startUs && b.minuteStartUs < q.endUs);
  }

  /** The rows Athena would return for one of the publisher's queries (header row excluded). */
  async athenaRows(sql: string): Promise<(string | null)[][]> {
    if (sql.includes('watermark_us')) {
      const day = /dt >= '(\d{4}-\d{2}-\d{2})'/.exec(sql)![1]!;
      const w = await this.latestTradeTimeUs(Date.parse(`${day}T00:00:00Z`) * 1000);
      return [[w === undefined ? null : String(w)]];
    }
    const [from, to] = [...sql.matchAll(/minute_start [<>]=? TIMESTAMP '([^']+)'/g)].map((m) => Date.parse(`${m[1]!.slice(0, 23).replace(' ', 'T')}Z`) * 1000);
    const bars = await this.bars({ startUs: from!, endUs: to! });
    return bars.map((b) =>
      [
        b.symbol,
        b.minuteStartUs,
        b.open,
        b.high,
        b.low,
        b.close,
        b.vwap,
        b.avgPrice,
        b.avgQuantity,
        b.avgQuoteQuantity,
        b.volume,
        b.quoteVolume,
        b.tradeCount,
        b.buyerMakerShare,
      ].map(String),
    );
  }
}

/** A stored record of {@link FakeTimestreamTable}. */
export interface StoredRecord {
  readonly values: string;
  readonly version: number;
  readonly record: NonNullable<WriteRecordsCommandInput['Records']>[number];
}

/**
 * Timestream for LiveAnalytics record rules (API reference, WriteRecords
 * "Upserts" and RejectedRecord): a record whose (table, dimensions, measure
 * name, time) exists is applied when its version is higher; with the same
 * values and a version not higher it is accepted and changes nothing; with
 * other values and a version not higher it is rejected with ExistingVersion.
 */
export class FakeTimestreamTable {
  readonly records = new Map<string, StoredRecord>();
  /** Records that changed the store (new or upserted). */
  applied = 0;
  /** Records refused for their version. */
  conflicts = 0;

  write(input: WriteRecordsCommandInput): { RecordsIngested: { Total: number } } {
    const rejected: { RecordIndex: number; Reason: string; ExistingVersion: number }[] = [];
    (input.Records ?? []).forEach((r, i) => {
      const key = JSON.stringify([input.TableName, r.Dimensions, r.MeasureName, r.Time, r.TimeUnit]);
      const values = JSON.stringify(r.MeasureValues);
      const version = r.Version ?? 1;
      const old = this.records.get(key);
      if (old && version <= old.version) {
        if (old.values === values) return;
        this.conflicts++;
        rejected.push({
          RecordIndex: i,
          Reason: 'A record with the same dimensions, time and measure name exists with different measure values.',
          ExistingVersion: old.version,
        });
        return;
      }
      if (!old || old.values !== values) this.applied++;
      this.records.set(key, { values, version, record: r });
    });
    if (rejected.length > 0)
      throw new RejectedRecordsException({ $metadata: {}, message: 'One or more records have been rejected.', RejectedRecords: rejected });
    return { RecordsIngested: { Total: (input.Records ?? []).length } };
  }

  /** Stored bars: `symbol@minute start µs` -> trade count and version. */
  bars(): Record<string, { tradeCount: number; version: number }> {
    const out: Record<string, { tradeCount: number; version: number }> = {};
    for (const { record, version } of this.records.values()) {
      if (record.MeasureName !== 'bar_1m') continue;
      const symbol = record.Dimensions!.find((d) => d.Name === 'symbol')!.Value!;
      out[`${symbol}@${record.Time}`] = { tradeCount: Number(record.MeasureValues!.find((m) => m.Name === 'trade_count')!.Value), version };
    }
    return out;
  }
}

/** An in-memory state document store (JSON round trip, as S3 would do). */
export function memoryStateStore(): {
  getState(name: string): Promise<unknown>;
  putState(name: string, value: unknown): Promise<void>;
  docs: Map<string, string>;
} {
  const docs = new Map<string, string>();
  return {
    docs,
    async getState(name) {
      const v = docs.get(name);
      return v === undefined ? undefined : JSON.parse(v);
    },
    async putState(name, value) {
      docs.set(name, JSON.stringify(value));
    },
  };
}
