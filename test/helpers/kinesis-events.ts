/** Event factories: AWS Lambda Kinesis events shaped exactly as the service sends them. */
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

export interface RecordSpec {
  data: string;
  partitionKey?: string;
  sequenceNumber?: string;
  arrivalSeconds?: number;
}

export const STREAM_ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/ticklake-events';

/** Sequence numbers shaped like Kinesis's (56 digits), increasing with `n`. */
export function sequenceNumber(n: number): string {
  return `4963${String(n).padStart(52, '0')}`;
}

export function kinesisRecord(spec: RecordSpec, shardId = 'shardId-000000000000', n = 0): KinesisStreamRecord {
  const seq = spec.sequenceNumber ?? sequenceNumber(n);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: spec.partitionKey ?? 'BTCUSDT',
      sequenceNumber: seq,
      data: Buffer.from(spec.data, 'utf8').toString('base64'),
      approximateArrivalTimestamp: spec.arrivalSeconds ?? 1_793_577_600.123,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${seq}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/ticklake-stream-transform',
    awsRegion: 'eu-west-1',
    eventSourceARN: STREAM_ARN,
  };
}

/** A Kinesis event whose records carry `payloads` in order on one shard. */
export function kinesisEvent(payloads: (string | RecordSpec)[], shardId = 'shardId-000000000000', firstN = 1): KinesisStreamEvent {
  return {
    Records: payloads.map((p, i) => kinesisRecord(typeof p === 'string' ? { data: p } : p, shardId, firstN + i)),
  };
}

/** A valid Binance trade stream message. */
export function tradeMessage(over: Partial<Record<'E' | 's' | 't' | 'p' | 'q' | 'T' | 'm', unknown>> = {}, withOrderIds = false): string {
  const T = (over.T as number | undefined) ?? 1_793_577_600_123;
  const msg: Record<string, unknown> = {
    e: 'trade',
    E: (over.E as number | undefined) ?? T + 3,
    s: over.s ?? 'BTCUSDT',
    t: over.t ?? 5_000_000_001,
    p: over.p ?? '97123.45000000',
    q: over.q ?? '0.01200000',
  };
  if (withOrderIds) {
    msg.b = 88_000_000_001;
    msg.a = 88_000_000_002;
  }
  msg.T = T;
  msg.m = over.m ?? true;
  msg.M = true;
  return JSON.stringify(msg);
}

/** A valid stock-ticks record (AAPL, its market cap matching the shipped company profile), as an object: JSON.stringify it for a payload. */
export function stockTick(over: Record<string, unknown> = {}) {
  return {
    source: 'stock-ticks',
    id: 1,
    created_at: '2026-11-02T10:00:00.000Z',
    ticker: 'AAPL',
    sector: 'Technology',
    volume: 100,
    market_cap: 229.5 * 14_840_390_000,
    price: 229.5,
    ...over,
  };
}

/**
 * A valid crypto-quotes record (bitcoin, the only coin of its snapshot), as an object: JSON.stringify it for a payload.
 * `coin` replaces fields of the CoinGecko item, `over` fields of the envelope.
 */
export function cryptoQuote(coin: Record<string, unknown> = {}, over: Record<string, unknown> = {}) {
  const snapshot = (over.snapshot_time as string | undefined) ?? '2026-11-02T00:00:00.000Z';
  const item = {
    id: 'bitcoin',
    symbol: 'btc',
    name: 'Bitcoin',
    current_price: 97412,
    market_cap: 1_944_590_069_772,
    market_cap_rank: 1,
    total_volume: 38_214_477_196,
    price_change_percentage_24h: 1.21874,
    circulating_supply: 19_962_531,
    last_updated: new Date(Date.parse(snapshot) - 20_000).toISOString(),
    ...coin,
  };
  return {
    source: 'crypto-quotes',
    snapshot_time: snapshot,
    fetched_at: new Date(Date.parse(snapshot) + 400).toISOString(),
    vs_currency: 'usd',
    index: 0,
    symbols: [item.symbol],
    coin: item,
    ...over,
  };
}

/** A valid engagement record (a liked comedy view), as an object: JSON.stringify it for a payload. */
export function engagementView(over: Record<string, unknown> = {}) {
  return {
    source: 'engagement',
    timestamp: '2026-11-02T10:00:01.250Z',
    user_id: 'u004217',
    video_id: 'v-comedy-00312',
    category: 'comedy',
    watch_time: 23.417,
    liked: true,
    ...over,
  };
}

/** A valid viewing record (a smart TV starting news-24), as an object: JSON.stringify it for a payload. */
export function viewingEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    source: 'viewing',
    timestamp: '2026-11-02T20:00:01.250Z',
    user_id: 'u00042',
    device_id: 'u00042-tv',
    device_type: 'smart-tv',
    location: 'leeds',
    event_type: 'start',
    channel: 'news-24',
    seq: 17,
    ...over,
  };
}
