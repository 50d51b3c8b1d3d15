/**
 * Wiring of the forecasting handlers for Lambda, from environment variables:
 *
 * | variable | meaning |
 * |---|---|
 * | `LAKE_BUCKET` | lake bucket (`models`, `model_evaluations`, `champion_changes`, `predictions` rows) |
 * | `MODEL_BUCKET` | model store bucket (default: `LAKE_BUCKET`) |
 * | `MODEL_PREFIX` | model store key prefix (default `model-store/`) |
 * | `GLUE_DATABASE`, `ATHENA_WORKGROUP` | where `bars_1m` is queried |
 * | `ML_*` | handler configuration, see `mlConfigFromEnv` |
 *
 * The bar source is created on first use, so steps that read no bars
 * (register, activate, choose, publish) run even where Athena is not wired.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../s3-object-store.js';
import { AthenaBarSource, createAthenaApi, type AthenaApi } from './athena-bar-source.js';
import type { BarQuery, BarSource, BarWindow } from '../../../ml/steps/bar-source.js';
import { mlConfigFromEnv } from '../../../ml/steps/config.js';
import { createMlHandlers, type MlDependencies, type MlHandlers } from '../../../ml/steps/handlers.js';
import { BlobModelStore } from '../../../ml/steps/model-store.js';
import type { Bar } from '../../../core/bars.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Clients the wiring may be given (tests, or shared clients). */
export interface CloudClients {
  readonly s3?: S3Client;
  readonly athena?: AthenaApi;
  readonly log?: MlDependencies['log'];
}

/** A bar source created on first use. */
class LazyBarSource implements BarSource {
  private source: BarSource | undefined;
  constructor(private readonly create: () => BarSource) {}
  private get(): BarSource {
    this.source ??= this.create();
    return this.source;
  }
  async bars(query: BarQuery): Promise<Bar[]> {
    return this.get().bars(query);
  }
  async symbols(window: BarWindow): Promise<string[]> {
    return this.get().symbols(window);
  }
}

function required(env: Env, name: string): string {
  const v = env[name]?.trim();
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

/** The Athena bar source from the environment, created now (it also reads the lake's watermark, for the bar publisher). */
export function cloudAthenaBars(env: Env = process.env, athena?: AthenaApi): AthenaBarSource {
  return new AthenaBarSource(athena ?? createAthenaApi(), { database: required(env, 'GLUE_DATABASE'), workGroup: required(env, 'ATHENA_WORKGROUP') });
}

/** The Athena bar source from the environment (created on first use). */
export function cloudBarSource(env: Env = process.env, athena?: AthenaApi): BarSource {
  return new LazyBarSource(() => cloudAthenaBars(env, athena));
}

/** The S3 model store from the environment. */
export function cloudModelStore(env: Env = process.env, s3: S3Client = new S3Client({})): BlobModelStore {
  const bucket = env.MODEL_BUCKET?.trim() || required(env, 'LAKE_BUCKET');
  return new BlobModelStore(new S3ObjectStore(s3, bucket, env.MODEL_PREFIX?.trim() || 'model-store/'));
}

/** The dependencies of the handlers in Lambda. */
export function cloudMlDependencies(env: Env = process.env, clients: CloudClients = {}): MlDependencies {
  const s3 = clients.s3 ?? new S3Client({});
  return {
    bars: cloudBarSource(env, clients.athena),
    store: cloudModelStore(env, s3),
    lake: new S3ObjectStore(s3, required(env, 'LAKE_BUCKET')),
    config: mlConfigFromEnv(env),
    ...(clients.log ? { log: clients.log } : {}),
  };
}

/** The workflow steps wired for Lambda. */
export function cloudMlHandlers(env: Env = process.env, clients: CloudClients = {}): MlHandlers {
  return createMlHandlers(cloudMlDependencies(env, clients));
}
