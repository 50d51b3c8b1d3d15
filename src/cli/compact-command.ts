/** `ticklake compact`: one file per closed hour partition, each natural key once (docs/lake.md). */
import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { DataDirBusyError, lockDataDir } from '../local/data-dir-lock.js';
import { COMPACT_LOCK, compactableTables, compactLake, DEFAULT_GRACE_MS, DEFAULT_OLDER_THAN_MS } from '../local/compaction.js';
import { dataPaths } from '../local/pipeline.js';
import { parseDuration } from './args.js';
import { bytes, num } from './format.js';

/** Adds `compact` to the program. */
export function registerCompactCommand(
  program: Command,
  shared: { dataDirOption: () => Option; quietOption: () => Option; resolveDataDir: (o: string | undefined) => string; usageError: (m: string) => Error },
): void {
  const names = compactableTables().map((t) => t.name);
  program
    .command('compact')
    .description(
      'Rewrite each closed hour partition into one Parquet file, deduplicated by the natural key and sorted by it; delete the small files it replaced once no reader can still be reading them. Readers stay exact throughout. `ticklake up` runs it every few minutes.',
    )
    .addOption(shared.dataDirOption())
    .addOption(new Option('--table <name>', 'only this table').choices(names))
    .addOption(
      new Option('--older-than <duration>', 'compact partitions whose hour ended at least this long ago')
        .default(DEFAULT_OLDER_THAN_MS, '1h')
        .argParser(parseDuration),
    )
    .addOption(
      new Option('--grace <duration>', 'delete replaced files only this long after the compaction that replaced them')
        .default(DEFAULT_GRACE_MS, '10m')
        .argParser(parseDuration),
    )
    .addOption(shared.quietOption())
    .action(async (o) => {
      const dataDir = shared.resolveDataDir(o.dataDir);
      if (!existsSync(dataDir)) throw shared.usageError(`no data directory ${dataDir}: nothing to compact (--data-dir names one)`);
      let release: () => void;
      try {
        release = lockDataDir(dataDir, 'ticklake compact', COMPACT_LOCK);
      } catch (e) {
        if (e instanceof DataDirBusyError) throw shared.usageError(e.message);
        throw e;
      }
      try {
        const s = await compactLake({
          lakeRoot: dataPaths(dataDir).lake,
          ...(o.table ? { tables: [o.table] } : {}),
          olderThanMs: o.olderThan,
          graceMs: o.grace,
          onPartition: (r) => {
            if (o.quiet) return;
            const merged =
              r.filesIn > 0
                ? `${num(r.filesIn)} files -> 1 (${num(r.rows)} rows, ${num(r.duplicates)} duplicates dropped, ${bytes(r.bytesIn)} -> ${bytes(r.bytesOut)})`
                : '';
            const deleted = r.deleted > 0 ? `${merged ? '; ' : ''}${num(r.deleted)} replaced files deleted` : '';
            process.stderr.write(`  ${r.table} ${r.partition}: ${merged}${deleted}\n`);
          },
        });
        if (!o.quiet) for (const w of s.waiting) process.stderr.write(`  ${w.table} ${w.partition}: waits for a later run: ${w.reason}\n`);
        const waits = s.waiting.length > 0 ? `; ${num(s.waiting.length)} partitions wait for a later run` : '';
        const failed = s.failed.length > 0 ? `; ${num(s.failed.length)} partitions failed` : '';
        console.log(
          `ticklake compact: ${num(s.partitions)} partitions compacted (${num(s.filesIn)} files, ${num(s.rows)} rows, ${num(s.duplicates)} duplicates dropped, ${bytes(s.bytesIn)} -> ${bytes(s.bytesOut)}), ${num(s.deleted)} replaced files deleted${waits}${failed}, in ${s.seconds.toFixed(1)} s`,
        );
        // Failures print even with --quiet: the exit status alone would not say which partition or why.
        for (const f of s.failed) process.stderr.write(`  ${f.table} ${f.partition}: failed: ${f.reason}\n`);
        if (s.failed.length > 0)
          throw new Error(`${num(s.failed.length)} partitions failed; they stay as they were (readers see them exactly) and the next run tries them again`);
      } finally {
        release();
      }
    });
}
