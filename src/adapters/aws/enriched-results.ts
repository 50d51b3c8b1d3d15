/**
 * Wiring of the enriched publisher in Lambda (`lambdas/enriched-publisher/handler.ts`),
 * from environment variables:
 *
 * | variable | meaning |
 * |---|---|
 * | `ENRICHED_SOURCES` | the sources whose closed results are put: `engagement` (closed category minutes), `viewing` (closed views), comma-separated |
 * | `STREAM_NAME` / `STREAM_ARN` | the enriched stream |
 * | `GLUE_DATABASE`, `ATHENA_WORKGROUP` | where the lake is queried |
 * | `STATE_BUCKET`, `STATE_KEY` | the one S3 object holding the publisher's state |
 * | `ALLOWED_LATENESS_SECONDS` | category minutes: lateness before a minute counts as closed (default 10) |
 * | `CORRECTION_HORIZON_MINUTES` | how long after closing a changed result is put again (default 60) |
 * | `MAX_CATCH_UP_MINUTES` | how far one tick moves at most (default 180) |
 */
import type { AthenaClient } from '@aws-sdk/client-athena';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type ClosedResultKind,
  type ClosedResultsTick,
  type ClosedResultsTickResult,
  createClosedResultsPublisher,
  objectDocument,
} from '../../enriched/closed-results.js';
import { engagementResults } from '../../enriched/engagement-results.js';
import { ENRICHED_RESULT_SOURCES, type EnrichedResultSource, LakeResultsReader } from '../../enriched/lake-queries.js';
import { viewResults } from '../../enriched/view-results.js';
import { AthenaQueryRunner } from './athena-query-runner.js';
import { KinesisStreamProducer, kinesisStreamTargetFromEnv } from './kinesis-stream-producer.js';
import { S3ObjectStore } from './s3-object-store.js';

type Env = Readonly<Record<string, string | undefined>>;

const SOURCES = Object.keys(ENRICHED_RESULT_SOURCES) as EnrichedResultSource[];

function required(env: Env, name: string): string {
  const v = env[name]?.trim();
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

/** A whole number from the environment, or undefined. */
function envInt(env: Env, name: string): number | undefined {
  const v = env[name]?.trim();
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number (got "${v}")`);
  return n;
}

/** `ENRICHED_SOURCES` as a list of known sources (at least one, each once). */
export function enrichedSourcesOf(text: string): EnrichedResultSource[] {
  const ids = [...new Set(text.split(',').map((s) => s.trim()))].filter((s) => s !== '');
  const unknown = ids.filter((s) => !(SOURCES as string[]).includes(s));
  if (unknown.length > 0 || ids.length === 0) throw new Error(`ENRICHED_SOURCES must list ${SOURCES.join(' and/or ')} (got "${text}")`);
  return ids as EnrichedResultSource[];
}

/** Clients of the wiring (tests pass mocked ones). */
export interface EnrichedPublisherClients {
  readonly athena: Pick<AthenaClient, 'send'>;
  readonly s3: S3Client;
  readonly kinesis: Pick<KinesisClient, 'send'>;
  /** Athena's waits (tests). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The tick of the enriched publisher, wired from the environment. */
export function cloudEnrichedPublisher(env: Env, clients: EnrichedPublisherClients): (tick: ClosedResultsTick) => Promise<ClosedResultsTickResult> {
  const reader = new LakeResultsReader(
    new AthenaQueryRunner(clients.athena, {
      database: required(env, 'GLUE_DATABASE'),
      workGroup: required(env, 'ATHENA_WORKGROUP'),
      ...(clients.sleep ? { sleep: clients.sleep } : {}),
    }),
  );
  const lateness = envInt(env, 'ALLOWED_LATENESS_SECONDS');
  // biome-ignore lint/suspicious/noExplicitAny: kinds of different result types share one tick
  const kinds: ClosedResultKind<any>[] = enrichedSourcesOf(env.ENRICHED_SOURCES ?? '').map((s) =>
    s === 'engagement' ? engagementResults(reader, lateness) : viewResults(reader),
  );
  return createClosedResultsPublisher({
    kinds,
    state: objectDocument(new S3ObjectStore(clients.s3, required(env, 'STATE_BUCKET')), required(env, 'STATE_KEY')),
    enriched: new KinesisStreamProducer(clients.kinesis, kinesisStreamTargetFromEnv(env)),
    correctionHorizonMinutes: envInt(env, 'CORRECTION_HORIZON_MINUTES'),
    maxCatchUpMinutes: envInt(env, 'MAX_CATCH_UP_MINUTES'),
  });
}

/** The input of a tick: the schedule's, or a manual invocation's. */
export interface EnrichedPublisherEvent {
  /** `<aws.scheduler.scheduled-time>`, ISO 8601 (the clock's time without it). */
  readonly scheduledTime?: string;
  /** `<aws.scheduler.execution-id>`, for the logs. */
  readonly scheduleExecutionId?: string;
  /** ISO 8601: put every closed result from this time on again (a manual republish). */
  readonly republishFrom?: string;
}

function isoUs(text: string, field: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`${field} is not ISO 8601: ${JSON.stringify(text)}`);
  return ms * 1000;
}

/** The tick of an event. */
export function tickOfEvent(event: EnrichedPublisherEvent | undefined, nowMs: number): ClosedResultsTick {
  const timeUs = event?.scheduledTime === undefined ? nowMs * 1000 : isoUs(event.scheduledTime, 'scheduledTime');
  return { timeUs, ...(event?.republishFrom === undefined ? {} : { fromUs: isoUs(event.republishFrom, 'republishFrom') }) };
}

/** Raised after a tick when a kind could not be published (the others were, and their state saved): the invocation fails, so Lambda retries it. */
export class EnrichedPublishError extends Error {
  constructor(readonly failures: ClosedResultsTickResult['failures']) {
    super(`publishing ${failures.map((f) => `${f.kind} (${(f.error as Error)?.message ?? String(f.error)})`).join(', ')} failed; the next tick catches up`);
    this.name = 'ticklake.EnrichedPublishError';
  }
}
