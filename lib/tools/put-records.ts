/**
 * Sends Binance-format stream messages (JSON lines, e.g. from
 * `npm run ticklake -- simulate --format jsonl --out trades.jsonl`) to the
 * deployed Kinesis stream with PutRecords, 500 records per call, retrying the
 * records a call rejects (throttling) with backoff. The partition key is the
 * message's symbol (`s`), so each symbol keeps its order.
 *
 *   npm run put-records -- --stream ticklake-dev-events --file trades.jsonl [--rate 300] [--endpoint http://localhost:4566]
 */
import { readFileSync } from 'node:fs';
import { KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';

export const MAX_RECORDS_PER_CALL = 500;

/** One PutRecords entry per non-empty line; the partition key is the symbol, else `unknown`. */
export function entriesFromLines(lines: readonly string[]): PutRecordsRequestEntry[] {
  const out: PutRecordsRequestEntry[] = [];
  for (const line of lines) {
    const text = line.trim();
    if (!text) continue;
    let key = 'unknown';
    try {
      const s = (JSON.parse(text) as { s?: unknown }).s;
      if (typeof s === 'string' && s) key = s;
    } catch {
      // malformed lines are sent as they are: the pipeline quarantines them
    }
    out.push({ Data: Buffer.from(text, 'utf8'), PartitionKey: key });
  }
  return out;
}

export interface PutResult {
  readonly sent: number;
  readonly calls: number;
  readonly retried: number;
}

/** Puts `entries` in calls of at most 500, resending rejected records until they are accepted (or `maxAttempts`). */
export async function putAll(
  client: Pick<KinesisClient, 'send'>,
  streamName: string,
  entries: readonly PutRecordsRequestEntry[],
  opts: { rate?: number; maxAttempts?: number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<PutResult> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let calls = 0;
  let retried = 0;
  for (let i = 0; i < entries.length; i += MAX_RECORDS_PER_CALL) {
    let pending = entries.slice(i, i + MAX_RECORDS_PER_CALL);
    const started = Date.now();
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > (opts.maxAttempts ?? 8)) throw new Error(`${pending.length} records still rejected after ${attempt - 1} attempts`);
      calls++;
      const res = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: pending }));
      const failed = (res.Records ?? []).flatMap((r, k) => (r.ErrorCode ? [pending[k]!] : []));
      if (failed.length > 0) {
        retried += failed.length;
        await sleep(Math.min(5000, 100 * 2 ** attempt));
      }
      pending = failed;
    }
    if (opts.rate) {
      const due = (Math.min(MAX_RECORDS_PER_CALL, entries.length - i) / opts.rate) * 1000 - (Date.now() - started);
      if (due > 0) await sleep(due);
    }
  }
  return { sent: entries.length, calls, retried };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const stream = arg('stream');
  const file = arg('file');
  if (!stream || !file) {
    console.error('usage: put-records --stream <name> --file <messages.jsonl> [--rate <records/s>] [--endpoint <url>]');
    process.exit(2);
  }
  const endpoint = arg('endpoint');
  const client = new KinesisClient(endpoint ? { endpoint } : {});
  const entries = entriesFromLines(readFileSync(file, 'utf8').split('\n'));
  const rate = arg('rate') ? Number(arg('rate')) : undefined;
  const r = await putAll(client, stream, entries, { rate });
  console.log(`${r.sent} records sent to ${stream} in ${r.calls} PutRecords calls (${r.retried} resent after throttling)`);
}
