import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AvroField, AvroRecord } from '../../src/core/avro.js';
import { createStreamTransform, type BatchSummary } from '../../src/ingest/stream-transform.js';
import { MESSAGE_SCHEMA_DIR, readReleasedVersions, releasedSchemaFile, writeReleasedVersion } from '../../src/local/message-schema-files.js';
import { checkMessageSchema, nonConforming, type ReleasedVersion, versionsToRegister } from '../../src/schemas/message-schemas.js';
import type { MessageSchema, SourceDefinition } from '../../src/sources/contract.js';
import { SOURCES, sourceById } from '../../src/sources/index.js';
import { checkAllMessageSchemas } from '../../src/cli/schemas-command.js';
import { main } from '../../src/cli/main.js';
import { kinesisEvent, stockTick } from '../helpers/kinesis-events.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';

const START = Date.UTC(2026, 10, 2, 10);
const stock = sourceById('stock-ticks').messageSchema!;
const v1: ReleasedVersion = { version: 1, avro: stock.avro };
/** The stock tick schema as version 2 with its fields changed by `edit`. */
const v2 = (edit: (fields: readonly AvroField[]) => readonly AvroField[]): MessageSchema => ({
  version: 2,
  avro: { ...stock.avro, fields: edit(stock.avro.fields) },
});

describe('message schemas: the registry before deploy (compatibility BACKWARD)', () => {
  it("every source's definition in the repository is its released version or a compatible next one (what `ticklake schemas check` runs)", async () => {
    // Act
    const lines = checkAllMessageSchemas();
    const code = await main(['node', 'ticklake', 'schemas', 'check']);
    // Assess
    expect(lines.map((l) => l.source)).toEqual(SOURCES.filter((s) => s.messageSchema).map((s) => s.id));
    expect(lines.filter((l) => !l.ok)).toEqual([]);
    expect(code).toBe(0);
  });

  it('accepts a new optional field with a default as version 2', () => {
    // Prepare
    const next = v2((f) => [...f, { name: 'exchange', type: ['null', 'string'], default: null, doc: 'Exchange' }]);
    // Act / Assess
    expect(checkMessageSchema(next, [v1])).toEqual({ ok: true, status: 'unreleased' });
    expect(versionsToRegister(next, [v1]).map((v) => v.version)).toEqual([1, 2]);
  });

  it.each([
    ['a new required field (no default)', (f: readonly AvroField[]) => [...f, { name: 'exchange', type: 'string' }]],
    ['a required field renamed', (f: readonly AvroField[]) => f.map((x) => (x.name === 'ticker' ? { ...x, name: 'symbol' } : x))],
    ['a field whose type changed (price double -> string)', (f: readonly AvroField[]) => f.map((x) => (x.name === 'price' ? { ...x, type: 'string' } : x))],
    ['a field narrowed (volume long -> int)', (f: readonly AvroField[]) => f.map((x) => (x.name === 'volume' ? { ...x, type: 'int' } : x))],
  ])('rejects %s as version 2', (_name, edit) => {
    // Act
    const r = checkMessageSchema(v2(edit), [v1]);
    // Assess
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem).toMatch(/^v2 is not BACKWARD-compatible with released v1/);
  });

  it('rejects a released version changed in place, and a version that skips one', () => {
    // Prepare
    const edited: MessageSchema = { version: 1, avro: { ...stock.avro, fields: [...stock.avro.fields, { name: 'x', type: ['null', 'int'], default: null }] } };
    // Act / Assess
    expect(checkMessageSchema(edited, [v1])).toMatchObject({ ok: false, problem: expect.stringMatching(/v1 is released and frozen/) });
    expect(checkMessageSchema({ ...stock, version: 3 }, [v1])).toMatchObject({ ok: false, problem: expect.stringMatching(/must be 1 or 2/) });
    expect(checkMessageSchema(stock, [v1, { version: 3, avro: stock.avro }])).toMatchObject({ ok: false, problem: expect.stringMatching(/without gaps/) });
  });

  it("fails the check of a source whose new definition breaks, and releases a compatible one next to v1's file", () => {
    // Prepare: a copy of the stock source whose definition is a breaking version 2, and one with an allowed change
    const dir = mkdtempSync(join(tmpdir(), 'ticklake-schemas-'));
    writeReleasedVersion('stock-ticks', v1, dir);
    const withSchema = (messageSchema: MessageSchema): SourceDefinition[] => [{ ...sourceById('stock-ticks'), messageSchema }];
    const breaking = withSchema(v2((f) => f.filter((x) => x.name !== 'sector').concat({ name: 'sector_code', type: 'int' })));
    const allowed = v2((f) => [...f, { name: 'exchange', type: ['null', 'string'], default: null }]);
    // Act
    const [bad] = checkAllMessageSchemas(breaking, dir);
    const [good] = checkAllMessageSchemas(withSchema(allowed), dir);
    const path = writeReleasedVersion('stock-ticks', allowed, dir);
    // Assess
    expect(bad).toMatchObject({ source: 'stock-ticks', ok: false, text: expect.stringMatching(/sector_code/) });
    expect(good).toMatchObject({ ok: true });
    expect(path).toBe(releasedSchemaFile('stock-ticks', 2, dir));
    expect(
      readReleasedVersions('stock-ticks', dir)
        .map((r) => r.version)
        .sort(),
    ).toEqual([1, 2]);
    expect(checkMessageSchema(allowed, readReleasedVersions('stock-ticks', dir))).toEqual({ ok: true, status: 'released' });
    expect(() => writeReleasedVersion('stock-ticks', allowed, dir)).toThrow(/released already/);
  });

  it("any source's schema takes any new optional field and refuses it required (property)", () => {
    const withSchemas = SOURCES.filter((s) => s.messageSchema);
    fc.assert(
      fc.property(
        fc.constantFrom(...withSchemas),
        fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/),
        fc.constantFrom('int', 'long', 'double', 'string', 'boolean'),
        (source, name, type) => {
          const s = source.messageSchema!;
          fc.pre(!s.avro.fields.some((f) => f.name === name));
          const released = [{ version: s.version, avro: s.avro }];
          const next = (field: AvroField): MessageSchema => ({ version: s.version + 1, avro: { ...s.avro, fields: [...s.avro.fields, field] } });
          expect(checkMessageSchema(next({ name, type: ['null', type], default: null }), released).ok).toBe(true);
          expect(checkMessageSchema(next({ name, type }), released).ok).toBe(false);
        },
      ),
    );
  });

  it('keeps v1 of every source in glue-schemas/messages/ as the definition', () => {
    for (const s of SOURCES.filter((x) => x.messageSchema)) {
      const file = releasedSchemaFile(s.id, 1, MESSAGE_SCHEMA_DIR);
      expect(JSON.parse(readFileSync(file, 'utf8')).name, file).toBe(s.messageSchema!.avro.name);
    }
  });
});

describe("message schemas: each source's records conform to its registered schema", () => {
  const options = { minutes: 3, seed: 11, startTimeMs: START, malformedShare: 0, extra: {} };

  /** A few of the source's records as its producers put them on the stream. */
  function produced(s: SourceDefinition): string[] {
    if (s.simulator) return [...s.simulator.simulate(options)].slice(0, 300).map((r) => r.payload);
    const api = s.poller!;
    const body = api.simulate!(3)(START, api.defaultUrl);
    const r = api.records(body, { slotMs: START, fetchedAtMs: START + 400, url: api.defaultUrl });
    if ('error' in r) throw new Error(r.error);
    return r.records.map((x) => x.payload);
  }

  it.each(SOURCES.filter((s) => s.messageSchema).map((s) => [s.id, s] as const))('%s', (_id, s) => {
    // Prepare
    const payloads = produced(s);
    // Act
    const bad = payloads.map((p) => nonConforming(s.messageSchema!.avro, JSON.parse(p))).filter((b) => b.length > 0);
    // Assess
    expect(payloads.length).toBeGreaterThan(0);
    expect(bad).toEqual([]);
  });

  it('and a record that breaks the schema does not (a string price, a missing required field)', () => {
    // Prepare
    const avro: AvroRecord = stock.avro;
    const tick = stockTick();
    // Act / Assess
    expect(nonConforming(avro, tick)).toEqual([]);
    expect(nonConforming(avro, { ...tick, price: '229.5' })).toEqual(['price']);
    expect(nonConforming(avro, { ...tick, ticker: undefined })).toEqual(['ticker']);
    expect(nonConforming(avro, { ...tick, extra: 1 })).toEqual(['(record)']);
  });
});

describe('message schemas: records may carry their schema version', () => {
  it('accepts a known schema_version (or none) and quarantines an unknown one as UNKNOWN_SCHEMA_VERSION', async () => {
    // Prepare
    const batches: BatchSummary[] = [];
    const handler = createStreamTransform({ lake: new MemoryObjectStore(), clock: () => Date.UTC(2026, 10, 2, 12), onBatch: (b) => batches.push(b) });
    // The version second, after the envelope (the router's fast path), and last (a parsed document).
    const withVersion = (v: unknown, id: number) => {
      const { source, ...rest } = stockTick({ id });
      return JSON.stringify(id % 2 ? { source, schema_version: v, ...rest } : { ...rest, source, schema_version: v });
    };
    // Act
    await handler(
      kinesisEvent([
        JSON.stringify(stockTick({ id: 1 })),
        withVersion(1, 2),
        withVersion(null, 3),
        withVersion(stock.version + 1, 4),
        withVersion(0, 5),
        withVersion('1', 6),
        withVersion(1.5, 7),
      ]),
    );
    // Assess
    expect(batches[0]!.rowsByTable.stock_ticks).toBe(3);
    expect(batches[0]!.quarantinedByReason).toEqual({ UNKNOWN_SCHEMA_VERSION: 4 });
  });
});
