/**
 * The source contract: everything ticklake knows about one kind of incoming
 * record lives in one folder, `src/sources/<id>/`, behind this interface, and
 * the registry (`src/sources/index.ts`) lists them. The stream transform, the
 * catalog (Glue tables, DuckDB views), the transform's grants, the quarantine
 * reason codes, metrics and the CLI's `--sources` are all derived from it.
 */
import type { AvroRecord } from '../core/avro.js';
import type { Point } from '../core/point.js';
import type { Rejection } from '../core/reasons.js';
import type { PartitionColumns } from '../lake/rows.js';
import type { TableSchema } from '../lake/table-schema.js';
import type { DerivedTable } from '../sql/compaction.js';
import type { PanelDefinition } from '../sql/panel.js';

/**
 * How the stream transform tells that a record is this source's, in O(1), in
 * this order: the envelope, then the first bytes, then the fallback.
 */
export interface Recognition {
  /**
   * Value of the `source` envelope field the source's producers write first:
   * `{"source":"stock-ticks",…}`. A JSON record whose `source` field is not the
   * first key is recognised too, after the router has parsed it.
   */
  readonly envelope?: string;
  /** Exact first characters of records in a format the source does not control, e.g. `{"e":"trade"`. */
  readonly prefixes?: readonly string[];
  /**
   * Takes every record no other source recognises (exactly one source does):
   * its parser reads what it can and names the format error of the rest.
   */
  readonly fallback?: boolean;
}

/** What a source's batch needs from the transform. */
export interface BatchContext {
  /** Processing clock, microseconds since epoch: the `ingest_time` of every row and the validation clock. */
  readonly ingestUs: number;
}

/** A record the source could not accept: the format it was read as (the quarantine's `source` column) and why. */
export interface Quarantined {
  readonly source: string;
  readonly rejection: Rejection;
}

/** The rows one batch produced for one table, per hour partition. */
export interface TableRows {
  readonly table: TableSchema;
  readonly rows: number;
  partitions(): readonly PartitionColumns[];
}

/** One stream batch's worth of a source's records (one per source and invocation, created on first use). */
export interface SourceBatch {
  /**
   * Parses and validates one record. Returns `undefined` when it became rows,
   * else why it is quarantined. Throws only on an unexpected fault (the record
   * is then retried, never quarantined).
   * @param json the parsed document when the router already parsed the text
   */
  add(text: string, partitionKey: string, json?: unknown): Quarantined | undefined;
  /** The rows of every table the source writes, after the batch's last record (`batchId` names the written range). */
  outputs(batchId: string): readonly TableRows[];
}

/** How a source's records enter ticklake. */
export type EntryKind = 'stream' | 'poller' | 'mqtt' | 'cdc' | 'files';

/** One record as a producer puts it on the stream. */
export interface StreamRecord {
  readonly partitionKey: string;
  readonly payload: string;
}

/** One simulated record, as a producer puts it on the stream. */
export interface SimulatedRecord extends StreamRecord {
  /** Event time, ms since epoch: simulators of several sources are merged in this order. */
  readonly timeMs: number;
}

/** The poll a fetched response belongs to. */
export interface PollContext {
  /**
   * The wall-clock slot of the poll, ms since epoch (10:05:00.000 for the 10:05
   * poll of a 5-minute schedule, however late or retried the fetch was): what
   * identifies a snapshot, so a retried poll writes the same keys.
   */
  readonly slotMs: number;
  /** When the response was received, ms since epoch. */
  readonly fetchedAtMs: number;
  /** The URL polled (a source may read its query, e.g. CoinGecko's `vs_currency`). */
  readonly url: string;
}

/** What a polled response became: stream records, or why the body is unusable (the poll then fails and puts nothing). */
export type PolledRecords = { readonly records: readonly StreamRecord[] } | { readonly error: string };

/**
 * How a source that enters by `poller` reads a JSON API: an HTTP poller
 * (src/adapters/http/) fetches and parses the body on a schedule, the source
 * turns it into stream records. Pure.
 */
export interface PolledApi {
  /** Default poll interval, ms. */
  readonly intervalMs: number;
  /** The URL polled when none is configured. */
  readonly defaultUrl: string;
  /** The command-line flag naming the URL (default `--<id>-url`). */
  readonly urlFlag?: string;
  /** The stream records of one parsed response body. */
  records(body: unknown, poll: PollContext): PolledRecords;
  /**
   * A seeded stand-in for the API, to run without network: the body it answers
   * a request at `nowMs` with. Stateful (a market that moves on with time).
   */
  simulate?(seed: number | string): (nowMs: number, url: string) => unknown;
}

/** Options every simulator takes; a source reads its own options from `extra`. */
export interface SimulationOptions {
  readonly minutes: number;
  readonly seed: number;
  readonly startTimeMs: number;
  /** Share (0..1) of records corrupted on purpose, to exercise the quarantine (sources that support it). */
  readonly malformedShare: number;
  /** Values of the source's own {@link SourceOption}s, by option name. */
  readonly extra: Readonly<Record<string, unknown>>;
  /**
   * Added to the ids the simulator gives (trade ids, tick ids), so that separate
   * runs never reuse a natural key: live runs pass one derived from their start time.
   */
  readonly idBase?: number;
}

/** A command-line option a source adds to the commands that simulate it (e.g. `--symbols`). */
export interface SourceOption {
  /** commander flags, e.g. `--symbols <list>`. */
  readonly flags: string;
  readonly description: string;
  /** Parses the text given on the command line; throw to report a bad value. */
  readonly parse?: (text: string) => unknown;
  readonly defaultValue?: unknown;
}

/** A seeded, deterministic producer of realistic records. */
export interface Simulator {
  readonly options?: readonly SourceOption[];
  /** Records in event-time order. Same options, same records. */
  simulate(options: SimulationOptions): Iterable<SimulatedRecord>;
  /** About how many records `simulate` yields (for progress bars). */
  expectedRecords?(options: SimulationOptions): number;
  /** A few words on what it simulates with these options, e.g. `BTCUSDT + ETHUSDT trades`. */
  describe?(options: SimulationOptions): string;
}

/** A dimension shipped with the project as data (locally read in place, seeded into its Glue table in the cloud). */
export interface ShippedDimension {
  readonly table: TableSchema;
  /** The data file, relative to the project root (a JSON array of rows). */
  readonly file: string;
}

/** One source of records: its folder's public face. */
export interface SourceDefinition {
  /** Kebab-case id: the envelope value, the `--sources` name, the metrics dimension. */
  readonly id: string;
  /** A short human title, e.g. `Binance trades`. */
  readonly title: string;
  readonly description: string;
  /** How its records enter (the first is the main one). */
  readonly enters: readonly EntryKind[];
  readonly recognition: Recognition;
  /** The tables its stream batches write. */
  readonly tables: readonly TableSchema[];
  /** Lake tables defined as SQL over its tables (DuckDB views locally, Athena views in the cloud). */
  readonly viewTables?: readonly { readonly table: TableSchema; readonly sql: () => string }[];
  /** Views that are not lake tables (saved queries / views in Athena, DuckDB views locally). */
  readonly namedViews?: Readonly<Record<string, () => string>>;
  /** Tables of partial aggregates compaction recomputes from another of its tables' compacted hour, so a record put twice counts once (docs/lake.md). */
  readonly compactionDerivations?: readonly DerivedTable[];
  readonly dimensions?: readonly ShippedDimension[];
  /** Every reason code its records can be quarantined with (the core set included). */
  readonly reasonCodes: readonly string[];
  /** Values it writes into the quarantine's `source` column (the formats it reads records as). */
  readonly formats: readonly string[];
  newBatch(ctx: BatchContext): SourceBatch;
  readonly simulator?: Simulator;
  /** How it is polled, for sources that enter by `poller`. */
  readonly poller?: PolledApi;
  /**
   * The time-series points of one record, for the stream's second consumer (the
   * time-series writer); none for an invalid record, which the transform quarantines.
   * @param json the parsed document when the router already parsed the text
   */
  points?(text: string, partitionKey: string, json: unknown, ctx: BatchContext): readonly Point[];
  /** The measurements its points carry (one time-series table each in the cloud). */
  readonly measurements?: readonly string[];
  /** Its dashboard panels (queries over its tables), shown in the page's group of the same name. */
  readonly panels?: readonly PanelDefinition[];
  /** The schema of its stream messages, registered in the Glue Schema Registry (none: not registered). */
  readonly messageSchema?: MessageSchema;
}

/**
 * A source's stream message schema (Avro), defined once in its folder: the CDK
 * registers it in the AWS Glue Schema Registry (compatibility BACKWARD) and
 * `ticklake schemas check` compares it with the versions released before,
 * kept in `glue-schemas/messages/<id>/v<N>.avsc`.
 */
export interface MessageSchema {
  /**
   * This definition's version: the last released one (then the definition is
   * that file's), or the next one while the change is not released yet.
   * Records may carry `"schema_version": 1..version`.
   */
  readonly version: number;
  readonly avro: AvroRecord;
}
