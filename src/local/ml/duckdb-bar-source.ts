/**
 * {@link BarSource} over the local lake with DuckDB: the `bars_1m` view
 * (merged from `bar_partials`), queried with the same SQL text as Athena runs
 * (`src/ml/steps/bar-source.ts`), DuckDB dialect.
 */
import type { Bar } from '../../core/bars.js';
import { DUCKDB } from '../../sql/dialect.js';
import { barFromRow, barsQuerySql, symbolsQuerySql, type BarQuery, type BarSource, type BarWindow } from '../../ml/steps/bar-source.js';
import { LakeSql } from '../lake-sql.js';

/** Minute bars of the local lake. Each call opens a fresh session, so files written since are seen. */
export class DuckDbBarSource implements BarSource {
  /** @param lakeRoot the lake directory, e.g. `.ticklake/lake` */
  constructor(readonly lakeRoot: string) {}

  private async rows(sql: string): Promise<readonly (readonly unknown[])[]> {
    const session = await LakeSql.open(this.lakeRoot);
    try {
      return (await session.query(sql)).rows;
    } finally {
      session.close();
    }
  }

  async bars(query: BarQuery): Promise<Bar[]> {
    return (await this.rows(barsQuerySql(query, DUCKDB))).map(barFromRow);
  }

  async symbols(window: BarWindow): Promise<string[]> {
    return (await this.rows(symbolsQuerySql(window, DUCKDB))).map((r) => String(r[0]));
  }

  /** First and last minute with a bar (µs), or undefined when the lake has no bars. */
  async extent(): Promise<{ firstUs: number; lastUs: number } | undefined> {
    const [row] = await this.rows('SELECT epoch_us(min(minute_start)), epoch_us(max(minute_start)) FROM bar_partials');
    if (row === undefined || row[0] === null || row[1] === null) return undefined;
    return { firstUs: Number(row[0]), lastUs: Number(row[1]) };
  }
}
