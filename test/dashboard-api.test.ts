/**
 * The dashboard's JSON API through the Hono app itself (no server, no browser),
 * over a fake engine that records every statement it is given.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDashboardApi, type PanelRows, type PanelRunner } from '../src/dashboard/api.js';
import { SQL_PANELS, STATS_PANELS } from '../src/dashboard/panels.js';
import { MAX_RANGE_MS } from '../src/dashboard/params.js';
import { DUCKDB } from '../src/sql/dialect.js';
import type { BoundSql } from '../src/sql/panel.js';

const NOW = Date.UTC(2026, 11, 4, 12, 0);

/** Answers every statement with one row and keeps what it was asked. */
class RecordingRunner implements PanelRunner {
  readonly dialect = DUCKDB;
  readonly seen: BoundSql[] = [];
  async run(sql: BoundSql): Promise<PanelRows> {
    this.seen.push(sql);
    return { columns: ['symbol'], rows: [['BTCUSDT']] };
  }
}

function api() {
  const runner = new RecordingRunner();
  return { runner, app: createDashboardApi({ runner, now: () => NOW }) };
}

async function get(path: string) {
  const { app, runner } = api();
  const res = await app.request(path);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, runner };
}

describe('dashboard API', () => {
  it('lists every panel once, in its group', async () => {
    // Act
    const { status, body } = await get('/api/panels');
    // Assess
    expect(status).toBe(200);
    const groups = body.groups as { id: string; panels: { id: string; group: string }[] }[];
    const listed = groups.flatMap((g) => g.panels.map((p) => `${g.id}/${p.id}/${p.group}`));
    expect(listed.sort()).toEqual([...SQL_PANELS, ...STATS_PANELS].map((p) => `${p.group}/${p.id}/${p.group}`).sort());
  });

  it.each([
    ['an unknown panel', '/api/panels/no-such-panel', /unknown panel "no-such-panel"/],
    ['a from that is no time', '/api/panels/market-candles?from=yesterday', /from must be epoch milliseconds/],
    ['from after to', '/api/panels/market-candles?from=now&to=now-1h', /from must be before to/],
    ['from equal to to', `/api/panels/market-candles?from=${NOW}&to=${NOW}`, /from must be before to/],
    ['a range over the limit', `/api/panels/market-candles?from=now-${MAX_RANGE_MS / 86_400_000 + 1}d`, /the range is at most/],
    ['a symbol with a space', '/api/panels/market-candles?symbol=BTC%20USDT', /is not a symbol/],
    ['a symbol with a quote', "/api/panels/market-candles?symbol=BTC'--", /is not a symbol/],
    ['one bad symbol in a list', '/api/panels/crypto-prices?symbols=BTC,E%3BTH', /is not a symbol/],
    ['a symbol for a panel without one', '/api/panels/crypto-ranking?symbol=BTC', /takes no symbol/],
    ['an unknown parameter', '/api/panels/market-candles?limit=5', /unknown parameter "limit"/],
    ['choices of a panel without a picker', '/api/panels/crypto-ranking/choices', /has no symbol picker/],
  ])('answers 400 with a message for %s, before any query', async (_what, path, message) => {
    // Act
    const { status, body, runner } = await get(path);
    // Assess
    expect(status).toBe(400);
    expect(body.error).toMatch(message);
    expect(runner.seen).toHaveLength(0);
  });

  it('binds the symbol it is given and answers with it', async () => {
    // Act
    const { status, body, runner } = await get('/api/panels/market-candles?from=now-1h&symbol=ETHUSDT');
    // Assess
    expect(status).toBe(200);
    expect(body.symbol).toBe('ETHUSDT');
    expect(body.fromMs).toBe(NOW - 3_600_000);
    expect(body.toMs).toBe(NOW);
    expect(runner.seen).toHaveLength(1);
    expect(runner.seen[0]!.params).toContainEqual({ type: 'varchar', value: 'ETHUSDT' });
    expect(runner.seen[0]!.text).not.toContain('ETHUSDT');
  });

  it('never answers 500 and never puts request text into SQL, whatever the query string', async () => {
    // Prepare: real parameter names and others, plausible symbols and arbitrary text.
    const ids = [...SQL_PANELS, ...STATS_PANELS].map((p) => p.id);
    const symbolish = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._/-]{5,20}$/);
    const value = fc.oneof(
      symbolish,
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constantFrom('now-1h', 'now', '0', '1733300000000'),
    );
    const list = fc.array(symbolish, { minLength: 1, maxLength: 4 }).map((a) => a.join(','));
    const key = fc.oneof(fc.constantFrom('from', 'to', 'symbol', 'symbols'), fc.string({ maxLength: 8 }));
    const query = fc.array(fc.tuple(key, fc.oneof(value, list)), { maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ids), fc.boolean(), query, async (id, choices, pairs) => {
        // Act
        const qs = new URLSearchParams(pairs).toString();
        const { status, body, runner } = await get(`/api/panels/${id}${choices ? '/choices' : ''}?${qs}`);
        // Assess
        expect([200, 400]).toContain(status);
        if (status === 400) expect(typeof body.error).toBe('string');
        const given = new URLSearchParams(qs);
        // The values (and any unknown parameter name): the known names, such as `symbol`, are column names too.
        const known = new Set(['from', 'to', 'symbol', 'symbols']);
        const texts = [...given.entries()].flatMap(([k, v]) => [...(known.has(k) ? [] : [k]), ...v.split(',')]).filter((t) => t.length >= 6);
        for (const sql of runner.seen) for (const t of texts) expect(sql.text).not.toContain(t);
        // What was accepted travels as a bound parameter.
        const symbol = given.get('symbol');
        if (status === 200 && !choices && symbol && SQL_PANELS.some((p) => p.id === id)) {
          expect(runner.seen.flatMap((s) => s.params)).toContainEqual({ type: 'varchar', value: symbol });
        }
      }),
      { numRuns: 400 },
    );
  });
});
