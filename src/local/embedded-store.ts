/**
 * The embedded time-series store of the local runtime: one DuckDB file,
 * `<dir>/timeseries.duckdb`, one table per measurement.
 *
 * Table layout (e.g. `bar_1m`):
 *
 *   series VARCHAR    canonical tag set, JSON of the sorted [key, value] pairs
 *   time   TIMESTAMP  microseconds, UTC
 *   nanos  SMALLINT   sub-microsecond part, 0-999
 *   <one VARCHAR column per tag key>, <one typed column per field>
 *
 * (series, time, nanos) is the key: unique because every write goes through
 * the upsert below, on one connection, one transaction per call.
 *
 * Columns are added as new tag keys and fields appear; `_ts_columns` records
 * which columns are tags and which are fields, with their types. A field keeps
 * its first type (float DOUBLE, integer BIGINT, boolean BOOLEAN, string
 * VARCHAR); a point that brings another type is rejected, as InfluxDB does.
 *
 * Writes are upserts keyed by (measurement, tags, time): a point whose key
 * exists replaces the fields it carries and keeps the others (InfluxDB's merge
 * semantics), so a retried batch never duplicates points. Within one call,
 * later points with the same key win. Each call is one transaction.
 *
 * Use one store per process: DuckDB allows a single writer per file.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, timestampValue, type DuckDBAppender, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import {
  canonicalTags,
  fieldType,
  pointProblem,
  TimeSeriesWriteError,
  type FieldValue,
  type Point,
  type RejectedPoint,
  type TimeSeriesSink,
  type WriteResult,
} from '../timeseries/point.js';
import { sqlIdent } from '../sql/dialect.js';

export const EMBEDDED_FILE = 'timeseries.duckdb';

type FieldKind = ReturnType<typeof fieldType>;
type ColumnKind = 'tag' | FieldKind;

const SQL_TYPE: Record<ColumnKind, string> = {
  tag: 'VARCHAR',
  float: 'DOUBLE',
  integer: 'BIGINT',
  boolean: 'BOOLEAN',
  string: 'VARCHAR',
};

const RESERVED_COLUMNS = new Set(['series', 'time', 'nanos']);
const META_TABLE = '_ts_columns';
const STAGE_TABLE = '_ts_stage';

/** A stored point as returned by `range`. */
export interface StoredPoint {
  /** Microseconds since the epoch. */
  readonly time: number;
  readonly nanos: number;
  readonly tags: Record<string, string>;
  readonly fields: Record<string, FieldValue | null>;
}

export interface RangeQuery {
  readonly measurement: string;
  /** Exact tag matches, e.g. `{ symbol: 'BTCUSDT' }`. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Inclusive lower bound, microseconds. */
  readonly from?: number;
  /** Exclusive upper bound, microseconds. */
  readonly to?: number;
  /** Fields to return (default: all). */
  readonly fields?: readonly string[];
  readonly order?: 'asc' | 'desc';
  readonly limit?: number;
}

export type Aggregate = 'first' | 'last' | 'min' | 'max' | 'avg' | 'sum' | 'count';

export interface DownsampleQuery extends Omit<RangeQuery, 'fields' | 'order'> {
  /** Bucket width in microseconds, e.g. 300_000_000 for 5 minutes. Buckets align to the epoch. */
  readonly bucketUs: number;
  /** Output field -> aggregate of the stored field of the same name, e.g. `{ open: 'first', close: 'last' }`. */
  readonly aggregates: Readonly<Record<string, Aggregate>>;
  /** Keep these tags apart (one row per bucket and tag combination); default: aggregate across all series. */
  readonly groupBy?: readonly string[];
}

export interface Bucket {
  /** Start of the bucket, microseconds. */
  readonly time: number;
  readonly tags: Record<string, string>;
  /** Number of points in the bucket. */
  readonly points: number;
  readonly values: Record<string, number | string | boolean | null>;
}

const AGGREGATE_SQL: Record<Aggregate, (col: string) => string> = {
  first: (c) => `arg_min(${c}, epoch_us(time) * 1000 + nanos)`,
  last: (c) => `arg_max(${c}, epoch_us(time) * 1000 + nanos)`,
  min: (c) => `min(${c})`,
  max: (c) => `max(${c})`,
  avg: (c) => `avg(${c})`,
  sum: (c) => `sum(${c})`,
  count: (c) => `count(${c})`,
};

function toJs(v: unknown): FieldValue | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  return v as FieldValue;
}

interface Catalog {
  /** lower-case name -> measurement's table name as created. */
  tables: Map<string, string>;
  /** table -> lower-case column name -> column. */
  columns: Map<string, Map<string, { name: string; kind: ColumnKind }>>;
}

interface Staged {
  readonly index: number;
  readonly point: Point;
  readonly series: string;
  readonly tags: [string, string][];
}

export class EmbeddedTimeSeriesStore implements TimeSeriesSink {
  readonly kind = 'embedded' as const;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly catalog: Catalog,
    /** Path of the database file, or `:memory:`. */
    readonly path: string,
  ) {}

  /** Opens (creating if needed) `<dir>/timeseries.duckdb`; `dir` `:memory:` opens a throw-away store. */
  static async open(dir: string): Promise<EmbeddedTimeSeriesStore> {
    let path = ':memory:';
    if (dir !== ':memory:') {
      mkdirSync(dir, { recursive: true });
      path = join(dir, EMBEDDED_FILE);
    }
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run(
      `CREATE TABLE IF NOT EXISTS ${META_TABLE} (measurement VARCHAR NOT NULL, name VARCHAR NOT NULL, kind VARCHAR NOT NULL, PRIMARY KEY (measurement, name))`,
    );
    const catalog: Catalog = { tables: new Map(), columns: new Map() };
    const tables = await connection.runAndReadAll(
      `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name <> '${META_TABLE}'`,
    );
    for (const [name] of tables.getRowsJS() as [string][]) {
      catalog.tables.set(name.toLowerCase(), name);
      catalog.columns.set(name, new Map());
    }
    const cols = await connection.runAndReadAll(`SELECT measurement, name, kind FROM ${META_TABLE}`);
    for (const [m, name, kind] of cols.getRowsJS() as [string, string, ColumnKind][]) {
      catalog.columns.get(m)?.set(name.toLowerCase(), { name, kind });
    }
    return new EmbeddedTimeSeriesStore(instance, connection, catalog, path);
  }

  /** Serializes operations on the single connection. */
  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  write(points: readonly Point[]): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new TimeSeriesWriteError('embedded store is closed', false));
    return this.exclusive(() => this.writeNow(points));
  }

  private problem(p: Point): string | undefined {
    const base = pointProblem(p);
    if (base) return base;
    if (p.measurement.startsWith('_ts_')) return 'measurement names starting with "_ts_" are reserved';
    return undefined;
  }

  /** Checks on the column names of a point that does not match known columns exactly. */
  private static namesProblem(names: readonly string[]): string | undefined {
    const seen = new Map<string, string>();
    for (const name of names) {
      const lower = name.toLowerCase();
      if (RESERVED_COLUMNS.has(lower)) return `"${name}" is a reserved column name of the embedded store`;
      const other = seen.get(lower);
      if (other !== undefined) return `"${name}" and "${other}" differ only in case (DuckDB names are case-insensitive)`;
      seen.set(lower, name);
    }
    return undefined;
  }

  private async writeNow(points: readonly Point[]): Promise<WriteResult> {
    const rejected: RejectedPoint[] = [];
    const byTable = new Map<string, Staged[]>();
    const inBatch = new Map<string, string>();
    for (let index = 0; index < points.length; index++) {
      const point = points[index]!;
      const problem = this.problem(point);
      if (problem) {
        rejected.push({ index, point, code: 'invalid_point', reason: problem });
        continue;
      }
      const lower = point.measurement.toLowerCase();
      const existing = this.catalog.tables.get(lower) ?? inBatch.get(lower);
      if (existing !== undefined && existing !== point.measurement) {
        rejected.push({
          index,
          point,
          code: 'invalid_point',
          reason: `measurement "${point.measurement}" differs only in case from "${existing}" (DuckDB names are case-insensitive)`,
        });
        continue;
      }
      inBatch.set(lower, point.measurement);
      const tags = canonicalTags(point.tags);
      const list = byTable.get(point.measurement) ?? [];
      list.push({ index, point, tags, series: JSON.stringify(tags) });
      byTable.set(point.measurement, list);
    }

    let written = 0;
    const pendingCatalog: (() => void)[] = [];
    await this.connection.run('BEGIN TRANSACTION');
    try {
      for (const [table, staged] of byTable) {
        written += await this.writeTable(table, staged, rejected, pendingCatalog);
      }
      await this.connection.run('COMMIT');
    } catch (error) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      throw new TimeSeriesWriteError(`embedded store write failed: ${(error as Error).message}`, false, error);
    }
    for (const apply of pendingCatalog) apply();
    rejected.sort((a, b) => a.index - b.index);
    return { written, rejected, retried: 0, corrected: 0 };
  }

  private async writeTable(table: string, staged: Staged[], rejected: RejectedPoint[], pendingCatalog: (() => void)[]): Promise<number> {
    const known = new Map(this.catalog.columns.get(table) ?? []);
    if (!this.catalog.tables.has(table.toLowerCase())) {
      await this.connection.run(`CREATE TABLE ${sqlIdent(table)} (series VARCHAR NOT NULL, time TIMESTAMP NOT NULL, nanos SMALLINT NOT NULL)`);
      pendingCatalog.push(() => {
        this.catalog.tables.set(table.toLowerCase(), table);
        if (!this.catalog.columns.has(table)) this.catalog.columns.set(table, new Map());
      });
    }

    // Types: a column keeps the kind it was created with; new columns take the first point's.
    const added: { name: string; kind: ColumnKind }[] = [];
    const accepted: Staged[] = [];
    // Exact column name -> kind: a point whose names all match with the right kind needs no other check.
    const exact = new Map<string, ColumnKind>();
    for (const col of known.values()) exact.set(col.name, col.kind);
    for (const s of staged) {
      let fast = true;
      for (const [k] of s.tags) {
        if (exact.get(k) !== 'tag') {
          fast = false;
          break;
        }
      }
      if (fast) {
        for (const k in s.point.fields) {
          if (exact.get(k) !== fieldType(s.point.fields[k]!)) {
            fast = false;
            break;
          }
        }
      }
      if (fast) {
        accepted.push(s);
        continue;
      }
      const wanted: [string, ColumnKind][] = [
        ...s.tags.map(([k]) => [k, 'tag'] as [string, ColumnKind]),
        ...Object.entries(s.point.fields).map(([k, v]) => [k, fieldType(v)] as [string, ColumnKind]),
      ];
      let conflict = EmbeddedTimeSeriesStore.namesProblem(wanted.map(([name]) => name));
      if (conflict) {
        rejected.push({ index: s.index, point: s.point, code: 'invalid_point', reason: conflict });
        continue;
      }
      for (const [name, kind] of wanted) {
        const col = known.get(name.toLowerCase());
        if (col && col.name !== name) {
          conflict = `"${name}" differs only in case from the existing column "${col.name}"`;
          break;
        }
        if (col && col.kind !== kind) {
          conflict =
            col.kind === 'tag' || kind === 'tag'
              ? `"${name}" is a ${col.kind === 'tag' ? 'tag' : 'field'} of ${table} already`
              : `field ${name} is ${kind} but ${table}.${name} is ${col.kind}`;
          break;
        }
      }
      if (conflict) {
        const code = conflict.startsWith('field ') ? 'field_type_conflict' : 'invalid_point';
        rejected.push({ index: s.index, point: s.point, code, reason: conflict });
        continue;
      }
      for (const [name, kind] of wanted) {
        if (!known.has(name.toLowerCase())) {
          const col = { name, kind };
          known.set(name.toLowerCase(), col);
          exact.set(name, kind);
          added.push(col);
        }
      }
      accepted.push(s);
    }
    for (const col of added) {
      await this.connection.run(`ALTER TABLE ${sqlIdent(table)} ADD COLUMN ${sqlIdent(col.name)} ${SQL_TYPE[col.kind]}`);
      await this.connection.run(`INSERT INTO ${META_TABLE} VALUES ($1, $2, $3)`, [table, col.name, col.kind]);
    }
    if (added.length > 0) {
      pendingCatalog.push(() => {
        const cols = this.catalog.columns.get(table) ?? new Map();
        for (const col of added) cols.set(col.name.toLowerCase(), col);
        this.catalog.columns.set(table, cols);
      });
    }
    if (accepted.length === 0) return 0;

    // Same key twice in one call: merge, later fields win.
    const merged = new Map<string, { series: string; time: number; nanos: number; tags: [string, string][]; fields: Record<string, FieldValue> }>();
    for (const s of accepted) {
      const nanos = s.point.nanos ?? 0;
      const key = `${s.series}\u0000${s.point.time}\u0000${nanos}`;
      const row = merged.get(key);
      if (row) Object.assign(row.fields, s.point.fields);
      else merged.set(key, { series: s.series, time: s.point.time, nanos, tags: s.tags, fields: { ...s.point.fields } });
    }

    const tagCols = new Set<string>();
    const fieldCols = new Set<string>();
    for (const row of merged.values()) {
      for (const [k] of row.tags) tagCols.add(k);
      for (const k of Object.keys(row.fields)) fieldCols.add(k);
    }
    const tagList = [...tagCols];
    const fieldList = [...fieldCols];
    const colDefs = [
      'series VARCHAR',
      'time TIMESTAMP',
      'nanos SMALLINT',
      ...tagList.map((c) => `${sqlIdent(c)} VARCHAR`),
      ...fieldList.map((c) => `${sqlIdent(c)} ${SQL_TYPE[known.get(c.toLowerCase())!.kind]}`),
    ];
    await this.connection.run(`CREATE OR REPLACE TEMP TABLE ${STAGE_TABLE} (${colDefs.join(', ')})`);
    const appender = await this.connection.createAppender(STAGE_TABLE, 'main', 'temp');
    try {
      for (const row of merged.values()) {
        appender.appendVarchar(row.series);
        appender.appendTimestamp(timestampValue(BigInt(row.time)));
        appender.appendSmallInt(row.nanos);
        for (const c of tagList) {
          const v = row.tags.find(([k]) => k === c)?.[1];
          if (v === undefined) appender.appendNull();
          else appender.appendVarchar(v);
        }
        for (const c of fieldList) appendField(appender, row.fields[c]);
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    // Upsert as "update the keys that exist, insert the others". The time window
    // (constants) lets DuckDB skip row groups by their min/max time, so the cost
    // follows the batch, not the table; a primary key with ON CONFLICT was
    // several times slower.
    let minTime = Infinity;
    let maxTime = -Infinity;
    for (const row of merged.values()) {
      minTime = Math.min(minTime, row.time);
      maxTime = Math.max(maxTime, row.time);
    }
    const window = `_t.time BETWEEN make_timestamp(${minTime}) AND make_timestamp(${maxTime})`;
    const sameKey = '_t.series = _s.series AND _t.time = _s.time AND _t.nanos = _s.nanos';
    const updates = fieldList.map((c) => `${sqlIdent(c)} = COALESCE(_s.${sqlIdent(c)}, _t.${sqlIdent(c)})`).join(', ');
    await this.connection.run(`UPDATE ${sqlIdent(table)} AS _t SET ${updates} FROM ${STAGE_TABLE} AS _s WHERE ${sameKey} AND ${window}`);
    const cols = ['series', 'time', 'nanos', ...tagList, ...fieldList].map(sqlIdent);
    await this.connection.run(
      `INSERT INTO ${sqlIdent(table)} (${cols.join(', ')}) SELECT ${cols.map((c) => `_s.${c}`).join(', ')} FROM ${STAGE_TABLE} AS _s ` +
        `ANTI JOIN (SELECT series, time, nanos FROM ${sqlIdent(table)} AS _t WHERE ${window}) AS _t ON ${sameKey}`,
    );
    await this.connection.run(`DROP TABLE ${STAGE_TABLE}`);
    return accepted.length;
  }

  /** Measurements (tables) in the store. */
  measurements(): string[] {
    return [...this.catalog.tables.values()].sort();
  }

  /** Tag keys and fields (with types) of a measurement. */
  columnsOf(measurement: string): { tags: string[]; fields: Record<string, FieldKind> } {
    const cols = this.catalog.columns.get(measurement) ?? new Map();
    const tags: string[] = [];
    const fields: Record<string, FieldKind> = {};
    for (const c of cols.values()) {
      if (c.kind === 'tag') tags.push(c.name);
      else fields[c.name] = c.kind;
    }
    return { tags: tags.sort(), fields };
  }

  /** WHERE clause and parameters for a measurement, tag filter and time range; undefined when nothing can match. */
  private where(q: { measurement: string; tags?: Readonly<Record<string, string>>; from?: number; to?: number }) {
    const { tags } = this.columnsOf(q.measurement);
    const tagSet = new Set(tags);
    const clauses: string[] = [];
    const params: DuckDBValue[] = [];
    for (const [k, v] of Object.entries(q.tags ?? {})) {
      if (!tagSet.has(k)) return undefined;
      params.push(v);
      clauses.push(`${sqlIdent(k)} = $${params.length}`);
    }
    if (q.from !== undefined) {
      params.push(timestampValue(BigInt(q.from)));
      clauses.push(`time >= $${params.length}`);
    }
    if (q.to !== undefined) {
      params.push(timestampValue(BigInt(q.to)));
      clauses.push(`time < $${params.length}`);
    }
    return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params, tags };
  }

  /** Points of one measurement in a time range, optionally for given tags (e.g. one symbol). */
  range(q: RangeQuery): Promise<StoredPoint[]> {
    return this.exclusive(async () => {
      const table = this.catalog.tables.get(q.measurement.toLowerCase());
      if (table !== q.measurement) return [];
      const where = this.where(q);
      if (!where) return [];
      const all = this.columnsOf(table).fields;
      const fields = q.fields ?? Object.keys(all);
      for (const f of fields) if (!(f in all)) throw new Error(`${table} has no field ${f}`);
      const select = ['epoch_us(time)', 'nanos', ...where.tags.map(sqlIdent), ...fields.map(sqlIdent)].join(', ');
      const dir = q.order === 'desc' ? 'DESC' : 'ASC';
      const limit = q.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(q.limit))}` : '';
      const reader = await this.connection.runAndReadAll(
        `SELECT ${select} FROM ${sqlIdent(table)} ${where.sql} ORDER BY time ${dir}, nanos ${dir}, series${limit}`,
        where.params,
      );
      return reader.getRowsJS().map((row) => {
        const tags: Record<string, string> = {};
        where.tags.forEach((t, i) => {
          const v = row[2 + i];
          if (v !== null && v !== undefined) tags[t] = v as string;
        });
        const out: Record<string, FieldValue | null> = {};
        for (const [i, f] of fields.entries()) out[f] = toJs(row[2 + where.tags.length + i]);
        return { time: Number(row[0] as bigint), nanos: Number(row[1]), tags, fields: out };
      });
    });
  }

  /** Downsampling for dashboards: fixed time buckets with one aggregate per field. */
  downsample(q: DownsampleQuery): Promise<Bucket[]> {
    return this.exclusive(async () => {
      if (!Number.isSafeInteger(q.bucketUs) || q.bucketUs <= 0) throw new Error('bucketUs must be a positive integer');
      const table = this.catalog.tables.get(q.measurement.toLowerCase());
      if (table !== q.measurement) return [];
      const where = this.where(q);
      if (!where) return [];
      const all = this.columnsOf(table).fields;
      const groupBy = q.groupBy ?? [];
      for (const g of groupBy) if (!where.tags.includes(g)) return [];
      const outputs = Object.entries(q.aggregates);
      for (const [f, agg] of outputs) {
        if (!(f in all)) throw new Error(`${table} has no field ${f}`);
        if (!(agg in AGGREGATE_SQL)) throw new Error(`unknown aggregate ${agg}`);
      }
      const bucket = `(epoch_us(time) // ${q.bucketUs}) * ${q.bucketUs}`;
      const select = [`${bucket} AS bucket`, ...groupBy.map(sqlIdent), 'count(*)', ...outputs.map(([f, agg]) => AGGREGATE_SQL[agg](sqlIdent(f)))].join(', ');
      const groups = ['bucket', ...groupBy.map(sqlIdent)].join(', ');
      const reader = await this.connection.runAndReadAll(
        `SELECT ${select} FROM ${sqlIdent(table)} ${where.sql} GROUP BY ${groups} ORDER BY ${groups}`,
        where.params,
      );
      return reader.getRowsJS().map((row) => {
        const tags: Record<string, string> = {};
        groupBy.forEach((g, i) => {
          const v = row[1 + i];
          if (v !== null && v !== undefined) tags[g] = v as string;
        });
        const values: Record<string, number | string | boolean | null> = {};
        outputs.forEach(([f], i) => {
          const v = toJs(row[2 + groupBy.length + i]);
          values[f] = typeof v === 'bigint' ? Number(v) : v;
        });
        return { time: Number(row[0] as bigint), tags, points: Number(row[1 + groupBy.length] as bigint), values };
      });
    });
  }

  /** Runs one SQL statement over the store (meant for reads, e.g. a dashboard's custom panel). */
  sql(text: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return this.exclusive(async () => {
      const reader = await this.connection.runAndReadAll(text, params);
      const names = reader.columnNames();
      return reader.getRowsJS().map((row) => Object.fromEntries(names.map((n, i) => [n, toJs(row[i])])));
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return this.exclusive(async () => {
      this.connection.closeSync();
      this.instance.closeSync();
    });
  }
}

function appendField(appender: DuckDBAppender, v: FieldValue | undefined): void {
  switch (typeof v) {
    case 'undefined':
      appender.appendNull();
      return;
    case 'number':
      appender.appendDouble(v);
      return;
    case 'bigint':
      appender.appendBigInt(v);
      return;
    case 'boolean':
      appender.appendBoolean(v);
      return;
    default:
      appender.appendVarchar(v);
  }
}
