/**
 * Compaction of a source table and the table derived from it
 * (`trades` → `bar_partials`) as a model check: the real state machine
 * definition and the real steps, over an in-memory lake whose every operation
 * is ordered by fast-check's scheduler. The Map's items of one hour, stream
 * batches landing late (a batch puts its `trades` and `bar_partials` objects
 * in parallel, as the stream handler does, and a retried one puts them again),
 * files backfilled into the hour by the backfill's publish step (and one of
 * them backfilled again with one key more, before or after its hour was
 * compacted), readers and a run killed at any
 * operation all interleave; both ways of putting a generation in place (the
 * cloud's publication, read through the exact-read view, and the local
 * `_compacted/` one, read by manifests). The engine is a stand-in with Athena's
 * semantics (a planned file that is gone is skipped; several output objects).
 *
 * Each batch covers its own keys; a `bar_partials` object stands for the
 * trades of its batch, so every reader must count each key once in each table
 * (a key a file backfilled again added may wait for the next merge; then it is
 * there once).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMPACTION_STATES as S, localCompactionDefinition } from '../../src/adapters/workflows/compaction-workflow.js';
import { COMPACTION_DERIVATIONS, TABLES } from '../../src/catalog.js';
import { type CompactionManifest, manifestTablePrefix, snapshotAt, snapshotOf } from '../../src/lake/compaction.js';
import {
  type CompactionRun,
  commitPartition,
  deleteReplaced,
  type ListInput,
  listClosedPartitions,
  type MergeWork,
  type PartitionItem,
  type PartitionWork,
  planCompaction,
  replacedFiles,
} from '../../src/lake/compaction-steps.js';
import { type BackfillFile, outputPrefix } from '../../src/backfill/plan.js';
import { publishFile } from '../../src/backfill/publish.js';
import { tablePrefix } from '../../src/lake/layout.js';
import type { ObjectStore } from '../../src/lake/object-store.js';
import type { TableSchema } from '../../src/lake/table-schema.js';
import { LocalWorkflow } from '../../src/local/ml/executor.js';
import { ATHENA } from '../../src/sql/dialect.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';

const PARTITION = 'dt=2026-11-02/hour=10';
const START_MS = Date.UTC(2026, 10, 2, 12);
const SOURCE = TABLES.trades!;
const DERIVED = TABLES.bar_partials!;
const BOTH = [SOURCE, DERIVED];
/** The cloud's default grace period; a lake operation takes a second of the model's clock. */
const GRACE_MS = 45 * 60_000;
const OP_MS = 1_000;

const decode = (b: Uint8Array | undefined): number[] => (b ? (JSON.parse(Buffer.from(b).toString('utf8')) as number[]) : []);
const encode = (keys: readonly number[]) => Buffer.from(JSON.stringify(keys));
const folder = (t: TableSchema) => `${tablePrefix(t)}${PARTITION}/`;

/** One phase of the scenario: the clock jumps, batches land, readers read, and a run starts (killed at its nth lake operation, or not). */
interface Phase {
  readonly jumpMinutes: number;
  readonly batches: number;
  /** Whether each of the phase's batches is put again once it is in (a retried invocation rewrites the same objects). */
  readonly retried: boolean;
  readonly readers: number;
  /** Whether a file is backfilled into the hour meanwhile (two trades objects, one bar_partials object). */
  readonly backfill: boolean;
  /** Whether the first backfilled file is backfilled again meanwhile, with one more key (a complete download of it). */
  readonly rebackfill: boolean;
  readonly killAt?: number;
  /** Whether the engine writes each output as two objects (Athena splits large outputs). */
  readonly twoParts: boolean;
}

const phaseArb: fc.Arbitrary<Phase> = fc.record(
  {
    jumpMinutes: fc.constantFrom(0, 1, 20, 50, 120),
    batches: fc.integer({ min: 0, max: 3 }),
    retried: fc.boolean(),
    readers: fc.integer({ min: 0, max: 3 }),
    backfill: fc.boolean(),
    rebackfill: fc.boolean(),
    killAt: fc.integer({ min: 1, max: 60 }),
    twoParts: fc.boolean(),
  },
  { requiredKeys: ['jumpMinutes', 'batches', 'retried', 'readers', 'backfill', 'rebackfill', 'twoParts'] },
);

/** The lake, its clock and what was written when; every operation waits for its turn from the scheduler. */
class World {
  readonly mem = new MemoryObjectStore('s3://lake/');
  now = START_MS;
  /** Per table, when each key's object was put. */
  readonly written = new Map<string, Map<number, number>>(BOTH.map((t) => [t.name, new Map()]));
  private nextKey = 0;
  private nextBatch = 0;
  private nextBackfill = 0;
  /** Keys a file backfilled again added: they may wait for the next merge (its hour compacted meanwhile), and must then be there once. */
  readonly added = new Set<number>();
  /** The first backfilled file's keys (as its last publication put them), and how many times it was published. */
  private first: { keys: number[]; publications: number } | undefined;

  constructor(
    private readonly s: fc.Scheduler,
    /** Published into the partition folders and read through the exact-read view (the cloud), or read by manifests (local). */
    readonly publish: boolean,
  ) {}

  /** The lake as one run (or other actor) sees it: each operation scheduled; from its `killAt`th on, none completes (`killed` resolves). */
  store(label: string, killAt?: number): ObjectStore & { readonly killed: Promise<void> } {
    const { mem, s } = this;
    let killed = false;
    let ops = 0;
    let onKill: () => void = () => undefined;
    const self = {
      killed: new Promise<void>((resolve) => {
        onKill = resolve;
      }),
      location: mem.location,
      uri: (k: string) => mem.uri(k),
      get: (k: string) => turn(`${label} get`, () => mem.get(k)),
      list: (p: string) => turn(`${label} list`, () => mem.list(p)),
      put: (k: string, b: Uint8Array) => turn(`${label} put ${k}`, () => mem.put(k, b)),
      copy: (from: string, to: string) => turn(`${label} copy ${to}`, () => mem.copy(from, to)),
      delete: (keys: readonly string[]) => turn(`${label} delete ${keys.join(',')}`, () => mem.delete(keys)),
    };
    const turn = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
      const never = new Promise<T>(() => undefined);
      if (killed) return never;
      await s.schedule(Promise.resolve(what), what);
      if (killed || (killAt !== undefined && ++ops >= killAt)) {
        killed = true;
        onKill();
        return never;
      }
      this.now += OP_MS;
      return op();
    };
    return self;
  }

  /**
   * A stream batch of 1-3 new keys: its trades and bar_partials objects (named alike), put in parallel; when
   * `retried`, put again later (same names, same rows), maybe after a compaction merged them.
   */
  async batch(retried: boolean): Promise<void> {
    const store = this.store('stream');
    const keys = Array.from({ length: 1 + (this.nextBatch % 3) }, () => this.nextKey++);
    const name = `shardId-000000000000-${String(this.nextBatch++).padStart(6, '0')}.parquet`;
    for (const attempt of retried ? [1, 2] : [1])
      await Promise.all(
        BOTH.map(async (t) => {
          await store.put(`${folder(t)}${name}`, encode(keys));
          if (attempt === 1) for (const k of keys) this.written.get(t.name)!.set(k, this.now);
        }),
      );
  }

  /**
   * A backfilled file of 3 new keys, published by the backfill's own step: its trades as two objects, its
   * bar_partials as one (named `backfill-<file>-<n>`, one by one, under its publication marker).
   */
  async backfill(): Promise<void> {
    const n = this.nextBackfill++;
    const keys = [this.nextKey++, this.nextKey++, this.nextKey++];
    await this.putFile(`bf${n}`, `BTCUSDT-trades-f${n}`, keys);
    if (n === 0) this.first = { keys, publications: 1 }; // backfilled again only once this publication is done (never two at once)
    for (const t of BOTH) for (const k of keys) this.written.get(t.name)!.set(k, this.now);
  }

  /** The first backfilled file backfilled again with one more key (nothing when none was backfilled yet). */
  async rebackfill(): Promise<void> {
    const first = this.first;
    if (!first) return;
    const added = this.nextKey++;
    first.keys = [...first.keys, added];
    this.added.add(added);
    await this.putFile(`rb${first.publications++}`, 'BTCUSDT-trades-f0', first.keys);
  }

  /** Publishes a file's keys by the backfill's own step: its trades as two objects, its bar_partials as one. */
  private async putFile(runId: string, fileKey: string, keys: readonly number[]): Promise<void> {
    const file: BackfillFile = { index: 0, key: fileKey, symbol: 'BTCUSDT', sourceName: 'f.zip', linesLocation: '' };
    const stage = (t: TableSchema, n: number, k: readonly number[]) => this.mem.put(`${outputPrefix(runId, 0, t)}${PARTITION}/${n}.parquet`, encode(k));
    await stage(SOURCE, 0, keys.slice(0, 1));
    await stage(SOURCE, 1, keys.slice(1));
    await stage(DERIVED, 0, keys);
    await publishFile(this.store('backfill'), runId, file);
  }

  /**
   * What a reader that starts now counts, per table: through the exact-read view, manifests and listing read in
   * either order; locally, manifests first and the listing after them.
   */
  async read(): Promise<{ asOf: number; keys: Map<string, number[]> }> {
    const store = this.store('reader');
    await store.get('start');
    const asOf = this.now;
    const keys = new Map<string, number[]>();
    await Promise.all(
      BOTH.map(async (t) => {
        const readManifests = () =>
          store
            .list(`${manifestTablePrefix(t)}${PARTITION}/`)
            .then((ks) => ks.map((k) => JSON.parse(Buffer.from(this.mem.objects.get(k)!).toString('utf8')) as CompactionManifest));
        const readListing = () =>
          store.list(folder(t)).then((ks) => new Map(ks.map((k) => [k.slice(folder(t).length), decode(this.mem.objects.get(k))] as const)));
        const [manifests, listing] = this.publish
          ? await Promise.all([readManifests(), readListing()])
          : await readManifests().then(async (ms) => [ms, await readListing()] as const);
        const live = (this.publish ? snapshotAt([...listing.keys()], manifests, asOf) : snapshotOf([...listing.keys()], manifests)).live;
        keys.set(
          t.name,
          live.flatMap((f) => listing.get(f)!),
        );
      }),
    );
    return { asOf, keys };
  }
}

/** What one execution works on: its lake, and whether its engine writes two objects per output. */
interface Execution {
  readonly world: World;
  readonly store: ObjectStore;
  readonly twoParts: boolean;
}

/** The executions by run id, and each rendered statement with its execution (Tasks are found through their input). */
const executions = new Map<string, Execution>();
const statements = new Map<string, { x: Execution; work: MergeWork; table: TableSchema }>();
const executionOf = (i: unknown) => executions.get((i as { run: CompactionRun }).run.runId)!;

/** CompactPartition, CompactDerived: a merge's rows (each key once) from its listed files still there; a derivation's from its source generation's objects. */
async function engine(i: unknown): Promise<unknown> {
  const s = statements.get((i as { QueryString: string }).QueryString);
  if (!s) throw new Error('a statement no plan rendered');
  const { store, twoParts } = s.x;
  const listing = await store.list(folder(s.work.derivedFrom ? SOURCE : s.table));
  const wanted = s.work.derivedFrom
    ? (k: string) => k.slice(folder(SOURCE).length).startsWith(s.work.derivedFrom!.replace(/\.parquet$/, ''))
    : (
        (names) => (k: string) =>
          names.has(k.slice(folder(s.table).length))
      )(new Set(await replacedFiles(store, s.work)));
  const keys = new Set<number>();
  for (const k of listing.filter(wanted)) for (const key of decode(await store.get(k))) keys.add(key);
  const rows = [...keys].sort((a, b) => a - b);
  const parts = twoParts && rows.length > 1 ? [rows.slice(0, 1), rows.slice(1)] : [rows];
  for (const [n, p] of parts.entries()) await store.put(`${s.work.staged}part-${n}.parquet`, encode(p));
  return { QueryExecution: { Status: { State: 'SUCCEEDED' } } };
}

/** The compaction definition (built once: rendering and validating it is slow) with its Tasks overridden by the real steps and the engine. */
const workflow = new LocalWorkflow(localCompactionDefinition(), {
  [S.list]: (i) => {
    const input = i as ListInput;
    const x = executions.get(input.runId)!;
    return listClosedPartitions(x.store, BOTH, input, { lakeRoot: 's3://lake/', maxConcurrency: 4, publish: x.world.publish }, COMPACTION_DERIVATIONS);
  },
  [S.plan]: async (i) => {
    const input = i as { run: CompactionRun; item: PartitionItem };
    const x = executionOf(i);
    const work = await planCompaction(x.store, BOTH, ATHENA, input, COMPACTION_DERIVATIONS);
    const merges = work.action === 'merge' ? [work, ...(work.derived ? [work.derived] : [])] : work.action === 'derive' ? [work.derived] : [];
    for (const m of merges) statements.set(m.sql.compact, { x, work: m, table: m === work ? TABLES[input.item.table]! : DERIVED });
    return work;
  },
  [S.compact]: engine,
  [S.compactDerived]: engine,
  [S.commit]: (i) =>
    commitPartition(executionOf(i).store, BOTH, i as { run: CompactionRun; item: PartitionItem; plan: PartitionWork }, {
      clock: () => executionOf(i).world.now,
    }),
  [S.commitDerived]: (i) =>
    commitPartition(executionOf(i).store, BOTH, i as { run: CompactionRun; item: PartitionItem; plan: PartitionWork }, {
      clock: () => executionOf(i).world.now,
    }),
  [S.deleteReplaced]: (i) => deleteReplaced(executionOf(i).store, BOTH, i as Parameters<typeof deleteReplaced>[2], undefined, () => executionOf(i).world.now),
});

describe('compaction of a table and its derived table, interleaved at every lake operation (model check)', () => {
  let properties = 0;
  it.each([
    ['published into the partition folders (the cloud)', true],
    ['in _compacted/, read by manifests (local)', false],
  ])(
    '%s: counts each key once in each table for every reader, through late batches and killed runs, and ends with one generation per table',
    async (_, publish) => {
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), fc.array(phaseArb, { minLength: 1, maxLength: 5 }), async (s, phases) => {
          // Prepare
          const world = new World(s, publish);
          const reads: { asOf: number; keys: Map<string, number[]> }[] = [];
          const property = ++properties;
          let runNo = 0;
          const runOnce = async (phase: Phase, store: ObjectStore) => {
            const request = { tables: BOTH.map((t) => t.name), olderThanMs: 0, graceMs: GRACE_MS, processingTime: new Date(world.now).toISOString() };
            const runId = `p${property}r${runNo++}`;
            executions.set(runId, { world, store, twoParts: phase.twoParts });
            return workflow.run(request, runId).then(
              () => 'ok',
              (e: unknown) => `failed: ${e instanceof Error ? e.message : String(e)}`,
            );
          };
          // Act: each phase's run, batches and readers interleaved; a killed run's operations never complete
          for (const phase of phases) {
            world.now += phase.jumpMinutes * 60_000;
            const store = world.store(`run-${runNo}`, phase.killAt);
            const run = runOnce(phase, store);
            const others = Promise.all([
              ...Array.from({ length: phase.batches }, () => world.batch(phase.retried)),
              ...Array.from({ length: phase.readers }, () => world.read().then((r) => reads.push(r))),
              ...(phase.backfill ? [world.backfill()] : []),
              ...(phase.rebackfill ? [world.rebackfill()] : []),
            ]);
            // A run killed part-way never ends; one that ends first is waited for (runs never overlap).
            await s.waitFor(Promise.all([others, Promise.race([run, store.killed])]));
          }
          // Then runs far apart, nothing else happening. A replaced generation goes only once what it replaced is gone,
          // one generation per run: as many runs as there can be generations, and two more.
          const outcomes: string[] = [];
          for (let i = 0; i < phases.length + 3; i++) {
            world.now += 2 * GRACE_MS;
            outcomes.push(
              await s.waitFor(
                runOnce(
                  { jumpMinutes: 0, batches: 0, retried: false, readers: 0, backfill: false, rebackfill: false, twoParts: false },
                  world.store(`final-${i}`),
                ),
              ),
            );
          }
          const final = await s.waitFor(world.read());
          // Assess
          expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
          for (const r of [...reads, final]) {
            for (const t of BOTH) {
              const keys = r.keys.get(t.name)!;
              expect(new Set(keys).size, `${t.name}: a key counted twice at ${r.asOf}`).toBe(keys.length);
              const due = [...world.written.get(t.name)!].filter(([, at]) => at <= r.asOf).map(([k]) => k);
              expect(keys, `${t.name}: a key missing at ${r.asOf}`).toEqual(expect.arrayContaining(due));
            }
          }
          for (const t of BOTH) {
            const files = (await world.mem.list(folder(t))).map((k) => k.slice(folder(t).length));
            const all = [...world.written.get(t.name)!.keys(), ...world.added];
            // One generation: its file and its parts (compacted-<ms>-<run>[-<n>].parquet, or in _compacted/).
            const generations = new Set(files.map((f) => /^(?:compacted-|_compacted\/)(\d{15}-[A-Za-z0-9]+)(?:-\d+)?\.parquet$/.exec(f)?.[1] ?? f));
            expect(generations.size, `${t.name}: ${files.join(', ')}`).toBe(all.length > 0 ? 1 : 0);
            expect(
              [...generations].every((g) => !g.endsWith('.parquet')),
              `${t.name}: ${files.join(', ')}`,
            ).toBe(true);
            expect(final.keys.get(t.name)!.sort((a, b) => a - b)).toEqual(all.sort((a, b) => a - b));
          }
        }),
        { numRuns: 300 },
      );
    },
    300_000,
  );
});
