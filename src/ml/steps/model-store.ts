/**
 * The model store: artifacts, registry entries, the active model set, one
 * champion pointer per symbol and the history of champion changes, as JSON
 * objects under one prefix of an object store (S3 in the cloud, a directory
 * locally). Layout under the prefix:
 *
 * ```
 * artifacts/<model_id>.json                    model artifact (src/ml ModelArtifact)
 * registry/<model_id>.json                     its `models` row (ModelRecord)
 * active.json                                  the models the daily evaluation scores
 * champions/<symbol>.json                      champion pointer of a symbol
 * champion-history/<symbol>/<eval_date>.json   one object per change (append-only, idempotent)
 * state/<name>.json                            small state of long-running consumers (live predictor)
 * errors/<symbol>/<eval_date>/<model_id>.json  a model's per-minute price errors on an evaluated day (the promotion rule's input)
 * ```
 *
 * The per-minute errors live here rather than in a lake table: they are the
 * promotion rule's working input (read back by the next days' evaluations,
 * a few days at a time), while the lake keeps the daily aggregates
 * (`model_evaluations`).
 *
 * Champions are per symbol: every symbol is evaluated and ranked separately
 * (a pooled RMSE would be dominated by the highest-priced symbol).
 * {@link MlModelStore.forSymbol} exposes one symbol through the pure core's
 * {@link ModelStore} contract.
 */
import type { TargetSpec } from '../features.js';
import type { ModelArtifact, ModelKind } from '../models/types.js';
import type { ChampionChange, ChampionPointer, ModelRecord, ModelStore } from '../registry.js';
import type { ObjectStore } from '../../lake/object-store.js';

/** The models the daily evaluation scores, set by the latest weekly training. */
export interface ActiveModels {
  /** Training run that produced them. */
  readonly runId: string;
  /** UTC training date, yyyy-MM-dd. */
  readonly trainingDate: string;
  /** Model ids, the persistence baseline among them. */
  readonly modelIds: readonly string[];
  /** What the models forecast (every candidate of a day must forecast the same). */
  readonly target: TargetSpec;
  /** When the set was activated, ISO 8601. */
  readonly activatedAt: string;
}

/** One change of a symbol's champion, as kept in the history. */
export interface ChampionChangeEntry extends ChampionChange {
  readonly symbol: string;
  /** Model family of the new champion. */
  readonly modelKind: ModelKind;
  /** `1 − rmse / baselineRmse` of the new champion. */
  readonly skillVsBaseline: number;
  /** When the pointer moved, ISO 8601. */
  readonly changedAt: string;
}

/** A model's per-minute price errors on one symbol and evaluated day. */
export interface DayErrors {
  readonly modelId: string;
  readonly kind: ModelKind;
  readonly symbol: string;
  /** yyyy-MM-dd. */
  readonly evalDate: string;
  /** Target minute of each error, minutes since the day's start (ascending). */
  readonly minute: readonly number[];
  /** Predicted − actual price. */
  readonly error: readonly number[];
  /** Persistence's error on the same minute (base price − actual). */
  readonly baselineError: readonly number[];
}

/** Storage of everything the forecasting workflows persist outside the lake tables. */
export interface MlModelStore {
  /** Human-readable root of the store. */
  readonly location: string;
  /** URI the artifact of a model is (or will be) stored at. */
  artifactUri(modelId: string): string;
  /** Stores an artifact; resolves to its URI. Idempotent per model id. */
  putArtifact(modelId: string, artifact: ModelArtifact): Promise<string>;
  /** An artifact, or undefined when absent. */
  getArtifact(modelId: string): Promise<ModelArtifact | undefined>;
  /** Stores the registry entry (`models` row) of a model. Idempotent. */
  putRecord(record: ModelRecord): Promise<void>;
  /** A registry entry, or undefined. */
  getRecord(modelId: string): Promise<ModelRecord | undefined>;
  /** Every registry entry, by model id. */
  listRecords(): Promise<ModelRecord[]>;
  /** The active model set, or undefined before the first training. */
  getActiveModels(): Promise<ActiveModels | undefined>;
  /** Replaces the active model set. */
  setActiveModels(active: ActiveModels): Promise<void>;
  /** The champion pointer of a symbol, or undefined before its first evaluation. */
  getChampion(symbol: string): Promise<ChampionPointer | undefined>;
  /** Every symbol's champion pointer. */
  listChampions(): Promise<Record<string, ChampionPointer>>;
  /**
   * Moves a symbol's champion pointer. A change is recorded in the history
   * first (one object per symbol and evaluation day, so a repeated call does not
   * duplicate it), then the pointer is written.
   */
  setChampion(symbol: string, pointer: ChampionPointer, change?: ChampionChangeEntry): Promise<void>;
  /** Recorded champion changes (of one symbol, or all), oldest first. */
  championHistory(symbol?: string): Promise<ChampionChangeEntry[]>;
  /** A small JSON state document, or undefined. */
  getState(name: string): Promise<unknown>;
  /** Replaces a small JSON state document. */
  putState(name: string, value: unknown): Promise<void>;
  /** Stores a model's errors of a day (replaced when the day is evaluated again). */
  putErrors(errors: DayErrors): Promise<void>;
  /** Every model's errors of a symbol and day. */
  listErrors(symbol: string, evalDate: string): Promise<DayErrors[]>;
  /** One symbol's view through the pure core's {@link ModelStore} contract. */
  forSymbol(symbol: string): ModelStore;
}

const JSON_TYPE = 'application/json';
const enc = new TextEncoder();
const dec = new TextDecoder();

function checkName(kind: string, s: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(s)) throw new Error(`invalid ${kind} "${s}"`);
  return s;
}

/** {@link MlModelStore} over any {@link ObjectStore}. */
export class BlobModelStore implements MlModelStore {
  readonly location: string;

  /** @param blobs where the objects go (already scoped to the store's prefix) */
  constructor(
    private readonly blobs: ObjectStore,
    /** Clock for {@link forSymbol} change records, ISO 8601. */
    private readonly nowIso: () => string = () => new Date().toISOString(),
  ) {
    this.location = blobs.location;
  }

  private async getJson<T>(key: string): Promise<T | undefined> {
    const body = await this.blobs.get(key);
    return body === undefined ? undefined : (JSON.parse(dec.decode(body)) as T);
  }

  private putJson(key: string, value: unknown): Promise<void> {
    return this.blobs.put(key, enc.encode(JSON.stringify(value)), JSON_TYPE);
  }

  artifactUri(modelId: string): string {
    return this.blobs.uri(`artifacts/${checkName('model id', modelId)}.json`);
  }

  async putArtifact(modelId: string, artifact: ModelArtifact): Promise<string> {
    if (artifact.meta.modelId !== undefined && artifact.meta.modelId !== modelId) throw new Error(`artifact of ${artifact.meta.modelId} stored as ${modelId}`);
    await this.putJson(`artifacts/${checkName('model id', modelId)}.json`, artifact);
    return this.artifactUri(modelId);
  }

  async getArtifact(modelId: string): Promise<ModelArtifact | undefined> {
    return this.getJson<ModelArtifact>(`artifacts/${checkName('model id', modelId)}.json`);
  }

  async putRecord(record: ModelRecord): Promise<void> {
    return this.putJson(`registry/${checkName('model id', record.model_id)}.json`, record);
  }

  async getRecord(modelId: string): Promise<ModelRecord | undefined> {
    return this.getJson<ModelRecord>(`registry/${checkName('model id', modelId)}.json`);
  }

  async listRecords(): Promise<ModelRecord[]> {
    const keys = (await this.blobs.list('registry/')).filter((k) => k.endsWith('.json'));
    const out = await Promise.all(keys.map((k) => this.getJson<ModelRecord>(k)));
    return out.filter((r): r is ModelRecord => r !== undefined).sort((a, b) => (a.model_id < b.model_id ? -1 : a.model_id > b.model_id ? 1 : 0));
  }

  async getActiveModels(): Promise<ActiveModels | undefined> {
    return this.getJson<ActiveModels>('active.json');
  }

  async setActiveModels(active: ActiveModels): Promise<void> {
    return this.putJson('active.json', active);
  }

  async getChampion(symbol: string): Promise<ChampionPointer | undefined> {
    return this.getJson<ChampionPointer>(`champions/${checkName('symbol', symbol)}.json`);
  }

  async listChampions(): Promise<Record<string, ChampionPointer>> {
    const out: Record<string, ChampionPointer> = {};
    for (const key of await this.blobs.list('champions/')) {
      const m = /^champions\/([^/]+)\.json$/.exec(key);
      if (!m) continue;
      const p = await this.getJson<ChampionPointer>(key);
      if (p) out[m[1]!] = p;
    }
    return out;
  }

  async setChampion(symbol: string, pointer: ChampionPointer, change?: ChampionChangeEntry): Promise<void> {
    checkName('symbol', symbol);
    if (change !== undefined) {
      if (change.symbol !== symbol || change.modelId !== pointer.modelId)
        throw new Error(`change record (${change.symbol} → ${change.modelId}) does not match the pointer (${symbol} → ${pointer.modelId})`);
      await this.putJson(`champion-history/${symbol}/${checkName('evaluation date', change.evalDate)}.json`, change);
    }
    await this.putJson(`champions/${symbol}.json`, pointer);
  }

  async championHistory(symbol?: string): Promise<ChampionChangeEntry[]> {
    const prefix = symbol === undefined ? 'champion-history/' : `champion-history/${checkName('symbol', symbol)}/`;
    const keys = (await this.blobs.list(prefix)).filter((k) => k.endsWith('.json'));
    const entries = (await Promise.all(keys.map((k) => this.getJson<ChampionChangeEntry>(k)))).filter((e): e is ChampionChangeEntry => e !== undefined);
    return entries.sort((a, b) => (a.evalDate < b.evalDate ? -1 : a.evalDate > b.evalDate ? 1 : a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }

  async putErrors(errors: DayErrors): Promise<void> {
    const key = `errors/${checkName('symbol', errors.symbol)}/${checkName('evaluation date', errors.evalDate)}/${checkName('model id', errors.modelId)}.json`;
    return this.putJson(key, errors);
  }

  async listErrors(symbol: string, evalDate: string): Promise<DayErrors[]> {
    const keys = (await this.blobs.list(`errors/${checkName('symbol', symbol)}/${checkName('evaluation date', evalDate)}/`)).filter((k) => k.endsWith('.json'));
    const out: DayErrors[] = [];
    for (const k of keys.sort()) {
      const e = await this.getJson<DayErrors>(k);
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  async getState(name: string): Promise<unknown> {
    return this.getJson<unknown>(`state/${checkName('state name', name)}.json`);
  }

  async putState(name: string, value: unknown): Promise<void> {
    return this.putJson(`state/${checkName('state name', name)}.json`, value);
  }

  forSymbol(symbol: string): ModelStore {
    checkName('symbol', symbol);
    return {
      putArtifact: (id, a) => this.putArtifact(id, a),
      getArtifact: (id) => this.getArtifact(id),
      getChampion: () => this.getChampion(symbol),
      setChampion: (pointer, change) =>
        this.setChampion(
          symbol,
          pointer,
          change && {
            ...change,
            symbol,
            modelKind: pointer.kind,
            skillVsBaseline: change.baselineRmse === 0 ? 0 : 1 - change.rmse / change.baselineRmse,
            changedAt: this.nowIso(),
          },
        ),
    };
  }
}
