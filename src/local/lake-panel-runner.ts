/** The dashboard's panel queries on DuckDB over the local lake, and the lake's file and dead-letter counts. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { PanelRows, PanelRunner } from '../dashboard/api.js';
import type { DeadLetters, LakeStats, PartitionFiles } from '../dashboard/panels.js';
import type { BoundSql } from '../sql/panel.js';
import { DUCKDB } from '../sql/dialect.js';
import { TABLES } from '../catalog.js';
import { LakeSql, tableDir } from './lake-sql.js';

/**
 * Runs panel SQL on one DuckDB session over the lake, one query at a time (DuckDB
 * parallelises each query itself; one connection keeps prepared statements simple).
 */
export class LakePanelRunner implements PanelRunner {
  readonly dialect = DUCKDB;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly sql: LakeSql) {}

  static async open(lakeRoot: string): Promise<LakePanelRunner> {
    return new LakePanelRunner(await LakeSql.open(lakeRoot));
  }

  run(q: BoundSql): Promise<PanelRows> {
    const next = this.queue.then(async () => {
      await this.sql.refreshViews();
      const r = await this.sql.queryBound(q.text, q.params);
      return { columns: r.columns, rows: r.rows as PanelRows['rows'] };
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.sql.close();
  }
}

/** Files per partition from the lake directory, dead letters from the stream's JSON-lines on-failure file. */
export class LocalLakeStats implements LakeStats {
  constructor(
    private readonly lakeRoot: string,
    private readonly deadLetterFile: string,
  ) {}

  async partitionFiles(): Promise<readonly PartitionFiles[]> {
    const out: PartitionFiles[] = [];
    for (const t of Object.values(TABLES)) {
      const dir = tableDir(this.lakeRoot, t);
      if (!existsSync(dir)) continue;
      const byPartition = new Map<string, { files: number; bytes: number }>();
      for (const f of readdirSync(dir, { recursive: true }) as string[]) {
        if (!f.endsWith('.parquet')) continue;
        const partition = f.split(sep).slice(0, -1).join('/');
        const entry = byPartition.get(partition) ?? { files: 0, bytes: 0 };
        entry.files++;
        entry.bytes += statSync(join(dir, f)).size;
        byPartition.set(partition, entry);
      }
      for (const [partition, e] of byPartition) out.push({ table: t.name, partition, ...e });
    }
    return out;
  }

  async deadLetters(): Promise<DeadLetters> {
    if (!existsSync(this.deadLetterFile)) return { batches: 0, records: 0 };
    let batches = 0;
    let records = 0;
    let newestMs: number | undefined;
    for (const line of readFileSync(this.deadLetterFile, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const b = JSON.parse(line) as { timestamp?: string; KinesisBatchInfo?: { batchSize?: number } };
        batches++;
        records += b.KinesisBatchInfo?.batchSize ?? 0;
        const t = b.timestamp === undefined ? Number.NaN : Date.parse(b.timestamp);
        if (Number.isFinite(t)) newestMs = Math.max(newestMs ?? t, t);
      } catch {
        // A line cut short by a crash mid-append: not a batch.
      }
    }
    return { batches, records, ...(newestMs === undefined ? {} : { newestMs }) };
  }

  /** For messages: the lake root relative to `base`. */
  describe(base: string): string {
    return relative(base, this.lakeRoot) || '.';
  }
}
