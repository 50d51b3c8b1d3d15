/**
 * Pipeline health panels, derived from the source registry: records per second
 * and lag per source read each source's first table (its ingest time and its
 * first timestamp column, the event time); quarantine reads the shared table.
 * Files per partition and dead letters are not SQL: the {@link LakeStats} port
 * answers them.
 */
import { QUARANTINE, type TableSchema } from '../lake/table-schema.js';
import { SOURCES } from '../sources/index.js';
import { bind, type BoundSql, type PanelArgs, type PanelDefinition, type SqlValue } from '../sql/panel.js';
import type { SqlDialect } from '../sql/dialect.js';

/** A source's main table and its event-time column: what its health is read from. */
interface Measured {
  readonly source: string;
  readonly table: string;
  readonly eventTime: string;
}

const MEASURED: readonly Measured[] = SOURCES.flatMap((s) => {
  const t: TableSchema | undefined = s.tables.find((x) => x.columns.some((c) => c.name === 'ingest_time'));
  const eventTime = t?.columns.find((c) => c.type === 'timestamp' && c.name !== 'ingest_time');
  return t && eventTime ? [{ source: s.id, table: t.name, eventTime: eventTime.name }] : [];
});

function unionPerSource(each: (m: Measured) => BoundSql): BoundSql {
  const parts = MEASURED.map(each);
  return { text: parts.map((p) => `(${p.text})`).join('\nUNION ALL\n'), params: parts.flatMap((p) => p.params) };
}

const inRange = (a: PanelArgs, column: string): { text: string; params: SqlValue[] } => ({
  text: `dt BETWEEN ? AND ? AND ${column} >= ? AND ${column} < ?`,
  // Rows land in their event day's partition; a late row is at most a day behind its ingest time.
  params: [bind.day(a.fromUs - 86_400_000_000), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs)],
});

const NO_RECORDS = 'No records yet: run `ticklake up` (or `npm start` for a finite demo).';

export const HEALTH_PANELS: readonly PanelDefinition[] = [
  {
    id: 'health-records',
    title: 'Records per second',
    description: 'Rows written per second per source, by the minute they were ingested (each source’s main table).',
    group: 'health',
    chart: 'lines',
    columns: { x: 't', y: ['per_s'], series: 'source' },
    params: ['range'],
    emptyHint: NO_RECORDS,
    query: (a: PanelArgs, d: SqlDialect) => {
      const u = unionPerSource((m) => {
        const r = inRange(a, 'ingest_time');
        return {
          text: `SELECT ${d.epochMillis("date_trunc('minute', ingest_time)")} AS t, '${m.source}' AS source, count(*) / 60.0 AS per_s FROM ${m.table} WHERE ${r.text} GROUP BY date_trunc('minute', ingest_time)`,
          params: r.params,
        };
      });
      return { text: `SELECT t, source, per_s FROM (${u.text}) AS r ORDER BY t, source`, params: u.params };
    },
  },
  {
    id: 'health-lag',
    title: 'Lag',
    description: 'Age of the newest record per source (event time), in seconds, with its last ingest time.',
    group: 'health',
    chart: 'table',
    columns: { x: 'source', y: ['lag_s'] },
    params: [],
    emptyHint: NO_RECORDS,
    query: (a: PanelArgs, d: SqlDialect) => {
      // The last two days' partitions: a source silent for longer shows no row.
      const u = unionPerSource((m) => ({
        text: `SELECT '${m.source}' AS source, max(${m.eventTime}) AS newest, max(ingest_time) AS ingested, count(*) AS n FROM ${m.table} WHERE dt >= ?`,
        params: [bind.day(a.nowUs - 86_400_000_000)],
      }));
      return {
        text: `SELECT source, (? - ${d.epochMillis('newest')}) / 1000.0 AS lag_s, ${d.epochMillis('newest')} AS newest_ms, ${d.epochMillis('ingested')} AS ingested_ms
FROM (${u.text}) AS r WHERE n > 0 ORDER BY source`,
        params: [bind.int(Math.floor(a.nowUs / 1000)), ...u.params],
      };
    },
  },
  {
    id: 'health-quarantine',
    title: 'Quarantined by reason',
    description: 'Records quarantined in the range, by reason code and format (table quarantine).',
    group: 'health',
    chart: 'bars',
    columns: { x: 'reason', y: ['records'] },
    params: ['range'],
    emptyHint: 'Nothing quarantined in this range.',
    query: (a: PanelArgs) => {
      const r = inRange(a, 'ingest_time');
      return {
        text: `SELECT reason_code || ' (' || source || ')' AS reason, count(*) AS records
FROM ${QUARANTINE.name} WHERE ${r.text}
GROUP BY reason_code, source ORDER BY records DESC, reason LIMIT 50`,
        params: r.params,
      };
    },
  },
];
