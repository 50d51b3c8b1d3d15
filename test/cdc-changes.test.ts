/**
 * The cdc source without a database: the change reader's envelope and DMS's
 * Kinesis JSON read into the same rows (properties over random row images),
 * malformed changes quarantined with the source's reasons, and the
 * current-state views against a direct computation over random change
 * histories that arrive shuffled and partly twice.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cdc, pgoutputEnvelope, readChange, simulateShop, type ShopRow } from '../src/sources/cdc/index.js';
import { REASON_CODES } from '../src/sources/cdc/change.js';
import { isoMicros } from '../src/sql/dialect.js';
import { withLake } from './helpers/lake-files.js';
import { toLake } from './helpers/stream-capture.js';

const NOW_US = Date.UTC(2026, 10, 2, 12) * 1000;
const T0_US = Date.UTC(2026, 10, 2, 9) * 1000;

/** A DMS Kinesis record of one change (what DMS writes with the CDK's settings). */
function dmsRecord(o: {
  op: 'insert' | 'update' | 'delete';
  table: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  commitUs: number;
  xid: number;
  seq: number;
}): string {
  return JSON.stringify({
    data: o.op === 'delete' ? o.before : o.after,
    ...(o.op === 'update' && o.before ? { 'before-image': o.before } : {}),
    metadata: {
      timestamp: `${new Date(Math.floor(o.commitUs / 1000)).toISOString().slice(0, 19)}.${String(o.commitUs % 1_000_000).padStart(6, '0')}Z`,
      'record-type': 'data',
      operation: o.op,
      'partition-key-type': 'schema-table',
      'schema-name': 'shop',
      'table-name': o.table,
      'transaction-id': o.xid,
      'transaction-record-id': o.seq,
    },
  });
}

const lsnOf = (v: number) =>
  `${Math.floor(v / 2 ** 32)
    .toString(16)
    .toUpperCase()}/${(v % 2 ** 32).toString(16).toUpperCase()}`;

/** A timestamp in one of the spellings the sources send, with the instant it means (µs). */
const timestampArb = fc.tuple(fc.integer({ min: 0, max: 86_400_000_000 - 1 }), fc.constantFrom('iso-z', 'sql', 'offset')).map(([off, style]) => {
  const us = T0_US - 43_200_000_000 + off;
  const iso = new Date(Math.floor(us / 1000)).toISOString();
  const micros = String(us % 1_000_000).padStart(6, '0');
  if (style === 'iso-z') return { text: `${iso.slice(0, 19)}.${micros}Z`, us };
  if (style === 'sql') return { text: `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${micros}`, us };
  // +02:00: the same instant two hours later on the wall clock.
  const shifted = new Date(Math.floor(us / 1000) + 7_200_000).toISOString();
  return { text: `${shifted.slice(0, 19)}.${micros}+02:00`, us };
});

const orderArb = fc.record({
  order_id: fc.integer({ min: 1, max: 2 ** 40 }),
  customer_id: fc.integer({ min: 1, max: 2 ** 40 }),
  status: fc.constantFrom('placed', 'paid', 'shipped', 'delivered', 'cancelled'),
  amountCents: fc.integer({ min: 0, max: 10_000_000 }),
  currency: fc.constantFrom('EUR', 'USD', 'SEK'),
  items: fc.integer({ min: 1, max: 99 }),
  created: timestampArb,
  updated: timestampArb,
  idsAsText: fc.boolean(),
});

describe('cdc changes', () => {
  it('the reader envelope and a DMS record of the same change read into the same row, images normalised (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('insert', 'update', 'delete'), orderArb, orderArb, fc.integer({ min: 0, max: 1000 }), (op, a, b, seq) => {
        // Prepare: ids as numbers or digit strings (pgoutput's int8), amounts as numeric text
        const row = (o: typeof a, id: number) => ({
          order_id: o.idsAsText ? String(id) : id,
          customer_id: o.idsAsText ? String(o.customer_id) : o.customer_id,
          status: o.status,
          amount: (o.amountCents / 100).toFixed(2),
          currency: o.currency,
          items: o.items,
          created_at: o.created.text,
          updated_at: o.updated.text,
        });
        const before = op === 'insert' ? null : row(a, a.order_id);
        const after = op === 'delete' ? null : row(b, a.order_id);
        const commitUs = T0_US + seq;
        // Act
        const viaReader = readChange(
          pgoutputEnvelope({ lsn: '0/16B3748', xid: 731, commitTimeUs: commitUs, seq, schema: 'shop', table: 'orders', op, before, after }),
          undefined,
          NOW_US,
        );
        const viaDms = readChange(dmsRecord({ op, table: 'orders', before, after, commitUs, xid: 731, seq }), undefined, NOW_US);
        // Assess
        if (!viaReader.ok || !viaDms.ok) throw new Error(JSON.stringify([viaReader, viaDms]));
        const pick = (c: typeof viaReader.change) => [c.op, c.table_name, c.row_key, c.seq, c.commit_time, c.before_json, c.after_json];
        expect(pick(viaDms.change)).toEqual(pick(viaReader.change));
        expect(viaReader.change.row_key).toBe(String(a.order_id));
        const image = JSON.parse((viaReader.change.after_json ?? viaReader.change.before_json)!);
        const src = op === 'delete' ? a : b;
        expect(image).toEqual({
          order_id: a.order_id,
          customer_id: src.customer_id,
          status: src.status,
          amount: src.amountCents / 100,
          currency: src.currency,
          items: src.items,
          created_at: isoMicros(src.created.us),
          updated_at: isoMicros(src.updated.us),
        });
        expect(viaReader.change.lsn).toBe('0/16B3748');
        expect(viaDms.change.lsn).toBe('dms:731');
      }),
      { numRuns: 300 },
    );
  });

  it('reads the simulated shop’s changes back as the shop made them, each natural key once', () => {
    // Prepare
    const records = [...cdc.simulator!.simulate({ minutes: 10, seed: 7, startTimeMs: Date.UTC(2026, 10, 2, 10), malformedShare: 0, extra: {} })];
    const txs = [...simulateShop({ seed: 7, startTimeMs: Date.UTC(2026, 10, 2, 10), minutes: 10, ratePerSec: 5 })];
    // Act
    const changes = records.map((r) => readChange(r.payload, undefined, NOW_US));
    // Assess
    const expected = txs.flatMap((t) => t.changes);
    expect(changes).toHaveLength(expected.length);
    changes.forEach((r, i) => {
      if (!r.ok) throw new Error(r.rejection.message);
      expect(r.change.op).toBe(expected[i]!.op);
      expect(JSON.parse(r.change.after_json ?? 'null')).toEqual(expected[i]!.after);
    });
    const keys = changes.map((r) => (r.ok ? `${r.change.lsn}|${r.change.table_name}|${r.change.seq}` : ''));
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(expected.map((c) => c.op))).toEqual(new Set(['insert', 'update', 'delete']));
  });

  const good = { lsn: '0/16B3748', xid: 1, commit_time: T0_US, seq: 0, schema: 'shop', table: 'customers', op: 'insert', before: null };
  const customer = {
    customer_id: 5,
    email: 'a@example.com',
    name: 'A B',
    country: 'DE',
    tier: 'gold',
    created_at: '2026-11-02 09:00:00',
    updated_at: '2026-11-02 09:00:00',
  };
  const env = (over: Record<string, unknown>) => JSON.stringify({ source: 'cdc', ...good, after: customer, ...over });
  const dms = (meta: Record<string, unknown>, data: unknown = customer) =>
    JSON.stringify({
      data,
      metadata: {
        timestamp: '2026-11-02T09:00:00.000000Z',
        'record-type': 'data',
        operation: 'insert',
        'schema-name': 'shop',
        'table-name': 'customers',
        'transaction-id': 9,
        ...meta,
      },
    });
  it.each([
    ['truncated JSON', env({}).slice(0, 30), 'MALFORMED_JSON', 'pgoutput'],
    ['another kind of document', '{"hello":"world"}', 'UNKNOWN_FORMAT', 'unknown'],
    ['a table not captured', env({ table: 'audit_log' }), 'UNKNOWN_TABLE', 'pgoutput'],
    ['a bad LSN', env({ lsn: 'zz/1' }), 'BAD_LSN', 'pgoutput'],
    ['a negative position', env({ seq: -1 }), 'BAD_POSITION', 'pgoutput'],
    ['a truncate', env({ op: 'truncate' }), 'BAD_OPERATION', 'pgoutput'],
    ['an insert without its row', env({ after: null }), 'MISSING_ROW_IMAGE', 'pgoutput'],
    ['a delete without the old row', env({ op: 'delete', after: null }), 'MISSING_ROW_IMAGE', 'pgoutput'],
    ['an amount that is no number', env({ table: 'orders', after: { order_id: 1, amount: 'twelve' } }), 'BAD_ROW_IMAGE', 'pgoutput'],
    ['a bad timestamp', env({ after: { ...customer, created_at: 'yesterday' } }), 'BAD_ROW_IMAGE', 'pgoutput'],
    ['a row without its key', env({ after: { ...customer, customer_id: null } }), 'MISSING_KEY', 'pgoutput'],
    ['a commit in 1999', env({ commit_time: Date.UTC(1999, 0, 1) * 1000 }), 'TIME_OUT_OF_RANGE', 'pgoutput'],
    ['no commit time', env({ commit_time: undefined }), 'MISSING_FIELD', 'pgoutput'],
    [
      'a DMS control record',
      JSON.stringify({ metadata: { 'record-type': 'control', operation: 'create-table', 'table-name': 'awsdms_apply_exceptions' } }),
      'NOT_A_CHANGE',
      'dms',
    ],
    ['a DMS full-load record', dms({ operation: 'load' }), 'BAD_OPERATION', 'dms'],
    ['a DMS record without transaction details', dms({ 'transaction-id': undefined }), 'MISSING_FIELD', 'dms'],
    ['a DMS record with a bad timestamp', dms({ timestamp: 'now' }), 'BAD_NUMBER', 'dms'],
    ['a DMS record of another schema’s table', dms({ 'table-name': 'sessions' }), 'UNKNOWN_TABLE', 'dms'],
  ])('quarantines %s as %s', (_what, text, code, format) => {
    // Act
    const r = readChange(text, undefined, NOW_US);
    // Assess
    expect(r.ok ? 'ok' : [r.rejection.code, r.source]).toEqual([code, format]);
    expect(REASON_CODES).toContain(code);
  });

  it('never throws on arbitrary input: a change or a quarantine reason (property)', () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.double(), fc.boolean(), fc.dictionary(fc.string(), fc.string()));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .record({ source: fc.constant('cdc'), lsn: value, seq: value, commit_time: value, table: value, op: value, before: value, after: value })
            .map((d) => JSON.stringify(d)),
          fc
            .record({
              data: value,
              metadata: fc.dictionary(
                fc.constantFrom('record-type', 'operation', 'table-name', 'schema-name', 'timestamp', 'transaction-id', 'transaction-record-id'),
                value,
              ),
            })
            .map((d) => JSON.stringify(d)),
        ),
        (text) => {
          const r = readChange(text, undefined, NOW_US);
          if (!r.ok) expect(REASON_CODES).toContain(r.rejection.code);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('current-state views equal the latest change per key, deletes removed, whatever the arrival order and however often a change arrives (property)', async () => {
    type Op = { key: number; op: 'insert' | 'update' | 'delete'; tier: string };
    const txArb = fc.array(
      fc.record({
        key: fc.integer({ min: 1, max: 6 }),
        op: fc.constantFrom('insert', 'update', 'delete'),
        tier: fc.constantFrom('standard', 'silver', 'gold'),
      }),
      {
        minLength: 1,
        maxLength: 3,
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(txArb, { minLength: 1, maxLength: 25 }),
        fc.integer(),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        async (txs: Op[][], shuffleSeed, dupShare) => {
          // Prepare: one envelope per change; commit LSNs increase with the transaction
          const rowOf = (key: number, tier: string): ShopRow => ({ ...customer, customer_id: key, tier, email: `c${key}@example.com` });
          const records = txs.flatMap((tx, t) =>
            tx.map((c, seq) => ({
              partitionKey: `customers/${c.key}`,
              data: pgoutputEnvelope({
                lsn: lsnOf(0x1000000 + t * 0x100),
                xid: 100 + t,
                commitTimeUs: T0_US + t * 1000,
                seq,
                schema: 'shop',
                table: 'customers',
                op: c.op,
                before: c.op === 'insert' ? null : rowOf(c.key, 'standard'),
                after: c.op === 'delete' ? null : rowOf(c.key, c.tier),
              }),
            })),
          );
          // Shuffled (a deterministic permutation per seed) and some sent twice.
          const keyed = records.map((r, i) => ({ r, k: Math.sin(shuffleSeed + i * 12.9898) }));
          const arrived = [...keyed, ...keyed.filter((_, i) => (i * 0.618) % 1 < dupShare)].sort((x, y) => x.k - y.k).map((x) => x.r);
          // Direct computation: the last change per key in commit order
          const state = new Map<number, string>();
          for (const tx of txs) for (const c of tx) c.op === 'delete' ? state.delete(c.key) : state.set(c.key, c.tier);
          // Act
          const root = await toLake(arrived);
          const rows = await withLake(root, (sql) => sql.query('SELECT customer_id, tier FROM customers_current ORDER BY customer_id'));
          // Assess
          expect(rows.rows.map(([id, tier]) => [Number(id), tier])).toEqual([...state.entries()].sort((a, b) => a[0] - b[0]));
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
