/**
 * `npm run bench`: measures the hot paths and prints one figure per line
 * (`npm run bench -- --json` prints the same figures as one JSON object).
 *
 * Figures (keys documented in the README):
 *   handler_records_per_s     stream handler on 10,000-record Kinesis events: base64 decode,
 *                             validate, features, Parquet encode of trades + raw + quarantine (one core)
 *   json_parse_records_per_s  plain JSON.parse of the same payloads, same run
 *   handler_vs_json_parse     ratio of the two
 *   replay_trades_per_s       local end-to-end replay of a Binance CSV (stream, pollers, handler, lake files)
 *   replay_peak_rss_mb        peak RSS of that replay process
 *   replay_trades             trades in the replayed file
 *
 * Options: --json, --replay-trades N (default 10,000,000), --skip-replay
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisStreamEvent } from 'aws-lambda';
import { createStreamTransform } from '../lambdas/shared/stream-transform.js';
import { simulateRecords } from '../src/sim/market.js';
import { CSV_HEADER } from '../src/sim/binance-format.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const skipReplay = args.includes('--skip-replay');
const replayTrades = Number(args[args.indexOf('--replay-trades') + 1] ?? NaN) || 10_000_000;
const figures: Record<string, number> = {};
const log = (line: string) => {
  if (!json) console.log(line);
};
const fig = (key: string, value: number, unit: string, note = '') => {
  figures[key] = value;
  log(`${key.padEnd(28)} ${value.toLocaleString('en-US', { maximumFractionDigits: 2 }).padStart(14)} ${unit}${note ? `  ${note}` : ''}`);
};

// --- stream handler -----------------------------------------------------------
const BATCH = 10_000;
const payloads: string[] = [];
for (const r of simulateRecords({ format: 'jsonl', symbols: ['BTCUSDT', 'ETHUSDT'], minutes: 30, seed: 7 })) {
  payloads.push(r.payload);
  if (payloads.length === BATCH * 5) break;
}
const events: KinesisStreamEvent[] = [];
for (let b = 0; b < 5; b++) {
  events.push({
    Records: payloads.slice(b * BATCH, (b + 1) * BATCH).map((p, i) => {
      const seq = '4963' + String(b * BATCH + i + 1).padStart(52, '0');
      return {
        kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'BTCUSDT', sequenceNumber: seq, data: Buffer.from(p).toString('base64'), approximateArrivalTimestamp: Date.UTC(2026, 10, 2, 1) / 1000 },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000000:${seq}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/bench',
        awsRegion: 'eu-west-1',
        eventSourceARN: 'arn:aws:kinesis:eu-west-1:000000000000:stream/bench',
      };
    }),
  });
}
let bytesOut = 0;
const handler = createStreamTransform({
  lake: { location: 'memory', put: async (_k, b) => void (bytesOut += b.byteLength), get: async () => undefined, delete: async () => undefined },
  clock: () => Date.UTC(2026, 10, 3),
});
const ROUNDS = 6;
for (const e of events) await handler(e); // warm-up
let best = Infinity;
for (let r = 0; r < ROUNDS; r++) {
  const t = performance.now();
  for (const e of events) await handler(e);
  best = Math.min(best, performance.now() - t);
}
const handlerRate = (events.length * BATCH) / (best / 1000);
let bestParse = Infinity;
for (let r = 0; r < ROUNDS + 1; r++) {
  const t = performance.now();
  for (const e of events) for (const rec of e.Records) JSON.parse(Buffer.from(rec.kinesis.data, 'base64').toString('utf8'));
  if (r > 0) bestParse = Math.min(bestParse, performance.now() - t);
}
const parseRate = (events.length * BATCH) / (bestParse / 1000);
fig('handler_records_per_s', Math.round(handlerRate), 'records/s', '(best of 6 rounds x 5 events x 10,000 records)');
fig('json_parse_records_per_s', Math.round(parseRate), 'records/s', '(base64 decode + JSON.parse of the same payloads)');
fig('handler_vs_json_parse', Number((handlerRate / parseRate).toFixed(3)), 'x');

// --- local end-to-end replay ------------------------------------------------------
if (!skipReplay) {
  const dir = join(tmpdir(), 'ticklake-bench');
  const file = join(dir, `BTCUSDT-trades-bench-${replayTrades}.csv`);
  if (!existsSync(file)) {
    log(`generating ${replayTrades.toLocaleString('en-US')} trades of Binance CSV in ${file} ...`);
    // A symbol with a high trade rate so the file covers hours, not weeks; exactly N lines.
    mkdirSync(dir, { recursive: true });
    const rate = 1_000;
    const out = createWriteStream(file);
    let n = 0;
    let chunk: string[] = [CSV_HEADER];
    for (const r of simulateRecords({
      format: 'csv',
      symbols: [{ symbol: 'BTCUSDT', startPrice: 97_000, tickSize: 0.01, qtyStep: 0.00001, meanRatePerSec: rate, medianQty: 0.002, firstTradeId: 5_000_000_000 }],
      minutes: (replayTrades / rate / 60) * 3,
      seed: 11,
    })) {
      chunk.push(r.payload);
      if (++n === replayTrades) break;
      if (chunk.length === 50_000) {
        if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain');
        chunk = [];
      }
    }
    out.end(chunk.join('\n') + '\n');
    await once(out, 'finish');
    if (n < replayTrades) throw new Error(`simulator produced only ${n} trades`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'ticklake-bench-replay-'));
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'replay-child.ts'), file, dataDir, 'BTCUSDT'], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { records: number; trades: number; seconds: number; maxRssMb: number };
    fig('replay_trades', r.trades, 'trades');
    fig('replay_trades_per_s', Math.round(r.records / r.seconds), 'trades/s', `(${r.seconds.toFixed(1)} s wall)`);
    fig('replay_peak_rss_mb', Math.round(r.maxRssMb), 'MB');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (json) process.stdout.write(JSON.stringify(figures) + '\n');
