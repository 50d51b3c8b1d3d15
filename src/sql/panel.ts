/**
 * A dashboard panel: one fixed, parameterised query over lake tables and how
 * its result is drawn. Panels are declared beside what they show (a source's
 * folder, the forecasting tables, the pipeline's health) and run unchanged on
 * DuckDB locally and on Athena in the cloud: the text is fixed per panel and
 * dialect, request values only ever travel as bound parameters (`?`).
 */
import type { SqlDialect } from './dialect.js';

/** Where a panel sits on the page. */
export type PanelGroup = 'markets' | 'crypto' | 'stocks' | 'devices' | 'health';

/** How the page draws a panel's rows. */
export type ChartKind = 'candles' | 'lines' | 'bars' | 'scatter' | 'table';

/** A value bound to a `?` placeholder: typed, so each engine binds it as its own literal. */
export type SqlValue =
  | { readonly type: 'varchar'; readonly value: string }
  | { readonly type: 'timestamp'; readonly us: number }
  | { readonly type: 'bigint'; readonly value: number };

/** Query text with `?` placeholders and their values, in order. */
export interface BoundSql {
  readonly text: string;
  readonly params: readonly SqlValue[];
}

/** The request parameters a panel can read (validated before any query runs). */
export type PanelParam = 'range' | 'symbol' | 'symbols';

/** Validated arguments of one panel request. */
export interface PanelArgs {
  /** Start of the time range, µs since epoch (inclusive). */
  readonly fromUs: number;
  /** End of the time range, µs since epoch (exclusive). */
  readonly toUs: number;
  /** The one symbol the panel shows (panels that read `symbol`). */
  readonly symbol?: string;
  /** The symbols the panel shows, empty meaning the panel's default (panels that read `symbols`). */
  readonly symbols: readonly string[];
  /** The clock the request is served at, µs since epoch. */
  readonly nowUs: number;
}

/** Which result columns play which part in the chart. */
export interface ChartColumns {
  /** The x axis: epoch milliseconds for time charts, a category or number otherwise. */
  readonly x: string;
  /** The y values (candles: open, high, low, close[, volume]). */
  readonly y: readonly string[];
  /** A column whose values split the rows into one series each. */
  readonly series?: string;
}

/** One panel of the dashboard. */
export interface PanelDefinition {
  /** Kebab-case id, the API path segment: `/api/panels/<id>`. */
  readonly id: string;
  readonly title: string;
  /** One sentence under the title: what the panel shows and from which table. */
  readonly description: string;
  readonly group: PanelGroup;
  readonly chart: ChartKind;
  readonly columns: ChartColumns;
  /**
   * Id of a panel this one is drawn over (same x axis), instead of a chart of
   * its own: e.g. forecasts over the price candles.
   */
  readonly overlayOn?: string;
  /** The request parameters it reads. */
  readonly params: readonly PanelParam[];
  /** Shown instead of an empty chart, e.g. what to run to get data. */
  readonly emptyHint: string;
  /** The panel's query in one dialect. */
  query(args: PanelArgs, dialect: SqlDialect): BoundSql;
  /** The values its symbol picker offers (first column), for panels that read `symbol` or `symbols`. */
  choices?(args: PanelArgs, dialect: SqlDialect): BoundSql;
}

/** `?, ?, ?` for n values. */
export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** Bound-value helpers. */
export const bind = {
  text: (value: string): SqlValue => ({ type: 'varchar', value }),
  time: (us: number): SqlValue => ({ type: 'timestamp', us }),
  int: (value: number): SqlValue => ({ type: 'bigint', value }),
  /** The `dt` partition value (`yyyy-MM-dd`, UTC) of a time, for partition pruning. */
  day: (us: number): SqlValue => ({ type: 'varchar', value: new Date(Math.floor(us / 1000)).toISOString().slice(0, 10) }),
};

/**
 * A picker listing a column's values, in order: those in the range's `dt`
 * partitions for a partitioned table, all of them for an unpartitioned one.
 */
export function distinctValues(table: string, column: string, partitioned = true): NonNullable<PanelDefinition['choices']> {
  return partitioned
    ? (a) => ({
        text: `SELECT ${column} FROM ${table} WHERE dt BETWEEN ? AND ? GROUP BY ${column} ORDER BY ${column}`,
        params: [bind.day(a.fromUs), bind.day(a.toUs)],
      })
    : () => ({ text: `SELECT ${column} FROM ${table} GROUP BY ${column} ORDER BY ${column}`, params: [] });
}

/** What {@link seriesLinesPanel} draws: one line per series value of one table over the range. */
export interface SeriesLines {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly group: PanelGroup;
  readonly emptyHint: string;
  /** The `dt`-partitioned table read. */
  readonly table: string;
  /** The column whose values are the lines (and the picker's choices). */
  readonly series: string;
  /** The event-time column the range filters on. */
  readonly time: string;
  /** The x of a point: `time` itself, or a bucket of it (e.g. `date_trunc('minute', created_at)`). */
  readonly bucket: string;
  /** The y column and its aggregate per bucket and series (e.g. `max_by(price, created_at)`: at least once, a re-put row counts once). */
  readonly value: { readonly column: string; readonly aggregate: string };
  /** Rows labelled before the range still shown in it, µs (an hourly observation covers the hour after its label); default 0. */
  readonly lookBackUs?: number;
  /** The lines drawn when none is picked (default all of the range), as a condition with its parameters. */
  readonly unpicked?: (a: PanelArgs) => BoundSql;
  /** The picker (default the series values of the range's partitions). */
  readonly choices?: NonNullable<PanelDefinition['choices']>;
}

/**
 * A time-ranged line chart of one table, one line per series value: the
 * shape of the device, ticker and coin price panels, written once so that each
 * reads its partitions (`dt`) and its event times the same way.
 */
export function seriesLinesPanel(o: SeriesLines): PanelDefinition {
  const fromUs = (a: PanelArgs) => a.fromUs - (o.lookBackUs ?? 0);
  return {
    id: o.id,
    title: o.title,
    description: o.description,
    group: o.group,
    chart: 'lines',
    columns: { x: 't', y: [o.value.column], series: o.series },
    params: ['range', 'symbols'],
    emptyHint: o.emptyHint,
    query: (a, d) => {
      const pick: BoundSql =
        a.symbols.length > 0
          ? { text: `AND ${o.series} IN (${placeholders(a.symbols.length)})`, params: a.symbols.map(bind.text) }
          : o.unpicked
            ? (({ text, params }) => ({ text: `AND ${text}`, params }))(o.unpicked(a))
            : { text: '', params: [] };
      return {
        text: `SELECT ${d.epochMillis(o.bucket)} AS t, ${o.series}, ${o.value.aggregate} AS ${o.value.column}
FROM ${o.table}
WHERE dt BETWEEN ? AND ? AND ${o.time} >= ? AND ${o.time} < ? ${pick.text}
GROUP BY ${o.bucket}, ${o.series}
ORDER BY t, ${o.series}`,
        params: [bind.day(fromUs(a)), bind.day(a.toUs), bind.time(fromUs(a)), bind.time(a.toUs), ...pick.params],
      };
    },
    choices: o.choices ?? distinctValues(o.table, o.series),
  };
}
