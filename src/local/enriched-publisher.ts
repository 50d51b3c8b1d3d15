/**
 * The local publishers' shared steps onto the enriched stream:
 * - the closed-results rule with bounded reads (src/enriched/closed-results.ts),
 *   on DuckDB over the local lake (`LakeSql` as the query runner) with its
 *   state in a JSON file: what `ticklake up` runs for category aggregates and
 *   view intervals every round, the rule the cloud's enriched publisher runs;
 * - {@link publishVersioned}: closed results given in memory, put once per key
 *   and again when their version changed, remembered in a state file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { type ClosedResultKind, type ClosedResultsSettings, createKindPublisher, type JsonDocument } from '../enriched/closed-results.js';
import type { LakeQueryRunner } from '../enriched/lake-queries.js';
import { putVersioned } from '../enriched/put.js';
import type { PutEntry, StreamProducer } from '../ingest/stream-producer.js';
import { DUCKDB } from '../sql/dialect.js';
import type { BarIdentity } from '../timeseries/bar-publication.js';
import { loadPublished, savePublished, writeJsonFile } from './bar-publisher.js';
import type { LakeSql } from './lake-sql.js';

/** What a run put: results never put before, and results put again with a new version. */
export interface VersionedPublishResult {
  readonly closed: number;
  readonly corrections: number;
}

/**
 * Puts the closed results (as the rule's identity: `symbol` the series,
 * `minute_start` the start, `trade_count` the version) that are new or changed,
 * then records them in the state file at `statePath`.
 */
export async function publishVersioned<R extends BarIdentity>(
  enriched: StreamProducer,
  statePath: string,
  closed: readonly R[],
  entry: (result: R, correction: boolean) => PutEntry,
): Promise<VersionedPublishResult> {
  const state = loadPublished(statePath);
  const { fresh, corrections } = await putVersioned(enriched, state.published, closed, entry);
  savePublished(statePath, state);
  return { closed: fresh.length, corrections: corrections.length };
}

/** A JSON state file (written aside, then renamed into place); none yet reads as undefined. */
export function fileDocument(path: string): JsonDocument {
  return {
    async load() {
      return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
    },
    async save(value) {
      writeJsonFile(path, value);
    },
  };
}

/** The publishers' bounded queries on DuckDB over the local lake (bound parameters, never spliced text). */
export function lakeSqlRunner(sql: LakeSql): LakeQueryRunner {
  return { dialect: DUCKDB, run: (q) => sql.queryBound(q.text, q.params) };
}

/**
 * One round of a kind: puts what closed or changed since the last round (the
 * state file at `statePath` says where that stopped; without it, the horizon
 * before the watermark), reading a bounded range of the lake.
 */
export async function publishClosed<R>(
  kind: ClosedResultKind<R>,
  statePath: string,
  enriched: StreamProducer,
  settings: ClosedResultsSettings = {},
): Promise<VersionedPublishResult> {
  const r = await createKindPublisher({ kind, state: fileDocument(statePath), enriched, ...settings })({});
  return { closed: r.fresh, corrections: r.corrections };
}
