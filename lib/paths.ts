/** Filesystem locations the infrastructure code needs (absolute, independent of the cwd). */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCK_FILE = join(PROJECT_ROOT, 'package-lock.json');
export const GLUE_SCHEMA_DIR = join(PROJECT_ROOT, 'glue-schemas');

/** Lambda entry points (TypeScript, bundled by esbuild at synth time). */
export const STREAM_TRANSFORM_ENTRY = join(PROJECT_ROOT, 'lambdas', 'stream-transform', 'handler.ts');
/** Optional: the time-series writer; the time-series stack deploys the store without it until it exists. */
export const TIMESERIES_WRITER_ENTRY = join(PROJECT_ROOT, 'lambdas', 'timeseries-writer', 'handler.ts');

/** The poller of a polled source (sourcePollers), invoked by its schedule. */
export const SOURCE_POLLER_ENTRY = join(PROJECT_ROOT, 'lambdas', 'source-poller', 'handler.ts');

/** The simulated producers' generator (simulators), invoked by its schedule. */
export const SIMULATED_PRODUCER_ENTRY = join(PROJECT_ROOT, 'lambdas', 'simulated-producer', 'handler.ts');

/** The dashboard API (dashboard=true), behind CloudFront. */
export const DASHBOARD_API_ENTRY = join(PROJECT_ROOT, 'lambdas', 'dashboard-api', 'handler.ts');
/** The dashboard page's static files, and uPlot's browser build it loads from /vendor/. */
export const DASHBOARD_ASSETS_DIR = join(PROJECT_ROOT, 'dashboard');
export const UPLOT_DIST_DIR = join(PROJECT_ROOT, 'node_modules', 'uplot', 'dist');

/** The forecasting functions (lambdas/ml), by step. */
export const ML_ENTRIES = {
  planTraining: join(PROJECT_ROOT, 'lambdas', 'ml', 'plan-training.ts'),
  train: join(PROJECT_ROOT, 'lambdas', 'ml', 'train.ts'),
  register: join(PROJECT_ROOT, 'lambdas', 'ml', 'register.ts'),
  activate: join(PROJECT_ROOT, 'lambdas', 'ml', 'activate.ts'),
  planEvaluation: join(PROJECT_ROOT, 'lambdas', 'ml', 'plan-evaluation.ts'),
  evaluate: join(PROJECT_ROOT, 'lambdas', 'ml', 'evaluate.ts'),
  chooseChampion: join(PROJECT_ROOT, 'lambdas', 'ml', 'choose-champion.ts'),
  publish: join(PROJECT_ROOT, 'lambdas', 'ml', 'publish.ts'),
  predict: join(PROJECT_ROOT, 'lambdas', 'ml', 'predict.ts'),
} as const;

/** The backfill state machine's functions (lambdas/backfill). */
export const BACKFILL_ENTRIES = {
  stage: join(PROJECT_ROOT, 'lambdas', 'backfill', 'stage.ts'),
  render: join(PROJECT_ROOT, 'lambdas', 'backfill', 'render.ts'),
  publish: join(PROJECT_ROOT, 'lambdas', 'backfill', 'publish.ts'),
} as const;

/** The compaction state machine's functions (lambdas/compaction). */
export const COMPACTION_ENTRIES = {
  list: join(PROJECT_ROOT, 'lambdas', 'compaction', 'list.ts'),
  plan: join(PROJECT_ROOT, 'lambdas', 'compaction', 'plan.ts'),
  commit: join(PROJECT_ROOT, 'lambdas', 'compaction', 'commit.ts'),
  delete: join(PROJECT_ROOT, 'lambdas', 'compaction', 'delete.ts'),
} as const;
