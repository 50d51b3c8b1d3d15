/** The dashboard's panel queries on DuckDB over the local lake, and the lake's file and dead-letter counts. */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { PanelRows, PanelRunner } from '../dashboard/api.js';
import type { DeadLetters, LakeStats, PartitionFiles } from '../dashboard/panels.js';
import type { BoundSql } from '../sql/panel.js';
import { DUCKDB } from '../sql/dialect.js';
import { TABLES } from '../catalog.js';
import { LakeSql } from './lake-sql.js';
import { LakeSnapshots, partitionStats } from './lake-snapshot.js';

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
  private readonly snapshots: LakeSnapshots;

  constructor(
    private readonly lakeRoot: string,
    private readonly deadLetterFile: string,
  ) {
    this.snapshots = new LakeSnapshots(lakeRoot);
  }

  async partitionFiles(): Promise<readonly PartitionFiles[]> {
    // Live files only: what a query reads (files a compaction replaced are not counted while they await deletion).
    return Object.values(TABLES).flatMap((t) => partitionStats(this.lakeRoot, t, this.snapshots).map((p) => ({ table: t.name, ...p })));
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
