import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourceRouter, UNREGISTERED } from '../../src/ingest/source-router.js';
import { createStreamTransform, type BatchSummary } from '../../src/ingest/stream-transform.js';
import { QUARANTINE_REASON_CODES, STREAM_TRANSFORM_TABLES, TABLES } from '../../src/catalog.js';
import { CORE_REASON_CODES, reject } from '../../src/core/reasons.js';
import { PartitionedColumns } from '../../src/lake/rows.js';
import { FileObjectStore } from '../../src/local/file-object-store.js';
import { parseTableSchema } from '../../src/lake/table-schema.js';
import type { SourceDefinition } from '../../src/sources/contract.js';
import { SOURCES, sourceById } from '../../src/sources/index.js';
import { kinesisEvent, stockTick, tradeMessage } from '../helpers/kinesis-events.js';
import { duck, tempDir } from '../helpers/lake-files.js';

const ROOT = join(import.meta.dirname, '..', '..');
const index = (id: string) => SOURCES.findIndex((s) => s.id === id);

describe('source registry', () => {
  it('has unique ids, one fallback, unique envelopes and table names, and glue-schemas files for every table', () => {
    // Assess
    const ids = SOURCES.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(SOURCES.filter((s) => s.recognition.fallback)).toHaveLength(1);
    const envelopes = SOURCES.flatMap((s) => (s.recognition.envelope ? [s.recognition.envelope] : []));
    expect(new Set(envelopes).size).toBe(envelopes.length);
    const tables = SOURCES.flatMap((s) => [...s.tables, ...(s.viewTables ?? []).map((v) => v.table), ...(s.dimensions ?? []).map((d) => d.table)]);
    expect(new Set(tables.map((t) => t.name)).size).toBe(tables.length);
    for (const t of tables) {
      expect(existsSync(join(ROOT, 'glue-schemas', `${t.name}.json`)), t.name).toBe(true);
      expect(TABLES[t.name]).toBe(t);
    }
    for (const s of SOURCES) for (const d of s.dimensions ?? []) expect(existsSync(join(ROOT, d.file)), d.file).toBe(true);
  });

  it('derives the quarantine reason codes (core set first) and the transform tables from the sources', () => {
    // Assess
    expect(QUARANTINE_REASON_CODES.slice(0, CORE_REASON_CODES.length)).toEqual([...CORE_REASON_CODES]);
    for (const s of SOURCES) {
      expect(s.reasonCodes).toEqual(expect.arrayContaining([...CORE_REASON_CODES]));
      for (const c of s.reasonCodes) expect(QUARANTINE_REASON_CODES).toContain(c);
    }
    for (const c of QUARANTINE_REASON_CODES) expect(c).toMatch(/^[A-Z][A-Z_]*$/);
    expect(STREAM_TRANSFORM_TABLES.map((t) => t.name)).toEqual(['raw_events', 'quarantine', ...SOURCES.flatMap((s) => s.tables.map((t) => t.name))]);
  });

  it('names the known sources when asked for an unknown one', () => {
    expect(() => sourceById('nope')).toThrow(new RegExp(`unknown source "nope"; known: ${SOURCES.map((s) => s.id).join(', ')}`));
  });
});

describe('source router', () => {
  const router = new SourceRouter(SOURCES);
  const fallback = SOURCES.findIndex((s) => s.recognition.fallback);

  it('sends Binance messages by their first bytes and stock ticks by their envelope, without parsing either', () => {
    // Act / Assess
    expect(router.route(tradeMessage())).toBe(index('binance-trades'));
    expect(router.json).toBeUndefined();
    expect(router.route(JSON.stringify(stockTick()))).toBe(index('stock-ticks'));
    expect(router.json).toBeUndefined();
    expect(router.route('{"source":"stock-ticks",broken')).toBe(index('stock-ticks'));
    expect(router.route('{"source":"crypto-quotes","snapshot_time":"2026-11-02T10:05:00.000Z"}')).toBe(index('crypto-quotes'));
    expect(router.json).toBeUndefined();
  });

  it('reads the envelope field of other JSON objects once and hands the parsed document on', () => {
    // Prepare
    const tick = stockTick();
    const { source, ...rest } = tick;
    const reordered = JSON.stringify({ ...rest, source });
    const spaced = JSON.stringify(tick, null, 1);
    // Act / Assess
    for (const text of [reordered, spaced]) {
      expect(router.route(text)).toBe(index('stock-ticks'));
      expect(router.json).toEqual(tick);
    }
    expect(router.route('{"source":"no-such-source","x":1}')).toBe(UNREGISTERED);
    expect(router.json).toEqual({ source: 'no-such-source', x: 1 });
    expect(router.route('{"e":"kline","source":7}')).toBe(fallback);
  });

  it('sends everything it cannot place to the fallback source (property)', () => {
    // Assess: arbitrary text is either claimed by a prefix or envelope, or goes to the fallback
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const i = router.route(text);
        const claimed = SOURCES.some((s) => (s.recognition.prefixes ?? []).some((p) => text.startsWith(p))) || text.startsWith('{"source":"');
        if (!claimed && !text.startsWith('{')) expect(i).toBe(fallback);
        expect(i).toBeGreaterThanOrEqual(UNREGISTERED);
        expect(i).toBeLessThan(SOURCES.length);
      }),
    );
  });

  it('refuses a registry without exactly one fallback or with a shared envelope', () => {
    const noFallback = SOURCES.map((s) => ({ ...s, recognition: { ...s.recognition, fallback: false } }));
    expect(() => new SourceRouter(noFallback)).toThrow(/exactly one source must be the fallback, found 0/);
    const twice = [...SOURCES, { ...sourceById('stock-ticks'), id: 'copy' }];
    expect(() => new SourceRouter(twice)).toThrow(/two sources claim the envelope "stock-ticks"/);
  });
});

// A third source, written the way a new source module is: its table, its batch, its definition.
const THERMO = parseTableSchema(
  {
    name: 'thermo_readings',
    description: 'Test source: thermometer readings.',
    zone: 'curated',
    naturalKey: ['device', 'seq'],
    columns: [
      { name: 'device', type: 'string', description: 'Device id.' },
      { name: 'seq', type: 'bigint', description: 'Per-device counter.' },
      { name: 'celsius', type: 'double', description: 'Temperature.' },
      { name: 'reading_time', type: 'timestamp', description: 'When it was read.' },
    ],
    partitionKeys: [
      { name: 'dt', type: 'string', description: 'UTC date.' },
      { name: 'hour', type: 'int', description: 'UTC hour.' },
    ],
  },
  'test',
);
class ThermoRows extends PartitionedColumns<{ device: string[]; seq: number[]; celsius: number[]; reading_time: number[] }> {
  constructor() {
    super(THERMO);
  }
  protected empty() {
    return { device: [], seq: [], celsius: [], reading_time: [] };
  }
  add(device: string, seq: number, celsius: number, timeUs: number): void {
    const c = this.part(Math.floor(timeUs / 3_600_000_000));
    c.device.push(device);
    c.seq.push(seq);
    c.celsius.push(celsius);
    c.reading_time.push(timeUs);
  }
}
const thermo: SourceDefinition = {
  id: 'thermo',
  title: 'Thermometers',
  description: 'test source',
  enters: ['mqtt'],
  recognition: { envelope: 'thermo' },
  tables: [THERMO],
  reasonCodes: [...CORE_REASON_CODES, 'TOO_HOT'],
  formats: ['thermo'],
  newBatch: () => {
    const rows = new ThermoRows();
    return {
      add: (text, _key, json) => {
        const d = (json ?? JSON.parse(text)) as { device: string; seq: number; celsius: number; ts: number };
        if (d.celsius > 100) return { source: 'thermo', rejection: reject('TOO_HOT', `${d.celsius} °C is above 100`) };
        rows.add(d.device, d.seq, d.celsius, d.ts * 1000);
        return undefined;
      },
      outputs: () => [rows],
    };
  },
};

describe('adding a source', () => {
  it('takes only its module: the unchanged transform routes, writes and quarantines its records beside the others', async () => {
    // Prepare
    const root = tempDir();
    const batches: BatchSummary[] = [];
    const handler = createStreamTransform({
      lake: new FileObjectStore(root),
      clock: () => Date.UTC(2026, 10, 2, 12),
      sources: [...SOURCES, thermo],
      onBatch: (b) => batches.push(b),
    });
    const reading = (seq: number, celsius: number) => JSON.stringify({ source: 'thermo', device: 'd1', seq, celsius, ts: Date.UTC(2026, 10, 2, 11, seq) });
    // Act
    const res = await handler(kinesisEvent([tradeMessage(), reading(1, 21.5), JSON.stringify(stockTick()), reading(2, 250), reading(3, 22)]));
    // Assess
    expect(res.batchItemFailures).toEqual([]);
    expect(await duck(`SELECT device, seq, celsius FROM read_parquet('${root}/curated/thermo_readings/**/*.parquet') ORDER BY seq`)).toEqual([
      { device: 'd1', seq: 1n, celsius: 21.5 },
      { device: 'd1', seq: 3n, celsius: 22 },
    ]);
    expect(await duck(`SELECT source, reason_code FROM read_parquet('${root}/quarantine/quarantine/**/*.parquet')`)).toEqual([
      { source: 'thermo', reason_code: 'TOO_HOT' },
    ]);
    expect(batches[0]!.quarantinedByReason).toEqual({ TOO_HOT: 1 });
    expect(batches[0]!.bySource).toMatchObject({
      thermo: { records: 3, rows: 2, quarantined: 1 },
      'binance-trades': { records: 1, quarantined: 0 },
      'stock-ticks': { records: 1, rows: 2, quarantined: 0 },
    });
  });
});

describe('catalog', () => {
  it('describes the quarantine with every format and reason code the registry can write (Glue table description)', () => {
    const d = TABLES.quarantine!.description;
    for (const s of SOURCES) for (const f of s.formats) expect(d).toContain(f);
    for (const c of QUARANTINE_REASON_CODES) expect(d).toContain(c);
    expect(d.length).toBeLessThanOrEqual(2048);
  });
});

describe('a record for a source that is not registered', () => {
  it('is quarantined as UNKNOWN_FORMAT naming the known sources, and does not reach the fallback source', async () => {
    // Prepare
    const root = tempDir();
    const batches: BatchSummary[] = [];
    const handler = createStreamTransform({ lake: new FileObjectStore(root), clock: () => Date.UTC(2026, 10, 2, 12), onBatch: (b) => batches.push(b) });
    // Act
    await handler(kinesisEvent([tradeMessage(), '{"source":"thermo","t":1}']));
    // Assess
    expect(await duck(`SELECT source, reason_code, reason_message FROM read_parquet('${root}/quarantine/quarantine/**/*.parquet')`)).toEqual([
      {
        source: 'unknown',
        reason_code: 'UNKNOWN_FORMAT',
        reason_message: `no registered source "thermo" (known: ${SOURCES.map((s) => s.id).join(', ')})`,
      },
    ]);
    expect(batches[0]!.bySource).toEqual({ 'binance-trades': { records: 1, rows: 2, quarantined: 0 } });
  });
});
