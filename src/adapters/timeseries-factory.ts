/**
 * Chooses the time-series sink from configuration, for every runtime:
 * `none`, `embedded` (DuckDB file, the local runtime's default),
 * `timestream-liveanalytics` and `timestream-influxdb` (see
 * src/adapters/aws/timeseries/cloud-sink.ts for the cloud engines and their
 * environment variables). Lambda code imports the cloud factory directly so
 * that DuckDB never lands in a Lambda bundle.
 */
import { join } from 'node:path';
import { cloudConfigFromEnv, createCloudSink, type CloudSinkDependencies, type CloudTimeSeriesConfig } from './aws/timeseries/cloud-sink.js';
import { EmbeddedTimeSeriesStore } from '../local/embedded-store.js';
import type { TimeSeriesSink } from '../timeseries/point.js';

export interface EmbeddedConfig {
  readonly engine: 'embedded';
  /** Directory of `timeseries.duckdb`, e.g. `<data dir>/timeseries`. */
  readonly dir: string;
}

export type TimeSeriesConfig = CloudTimeSeriesConfig | EmbeddedConfig;

/** Default directory of the embedded store under a ticklake data directory. */
export const embeddedDir = (dataDir: string) => join(dataDir, 'timeseries');

/**
 * The configuration from the environment: `TIME_SERIES_ENGINE=embedded`
 * stores under `TICKLAKE_TIMESERIES_DIR`, else `<dataDir>/timeseries`; other
 * engines as in `cloudConfigFromEnv`. Without TIME_SERIES_ENGINE the local
 * runtime uses `fallback` (default `embedded`).
 */
export function timeSeriesConfigFromEnv(
  dataDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  fallback: 'embedded' | 'none' = 'embedded',
): TimeSeriesConfig {
  const engine = env.TIME_SERIES_ENGINE?.trim() || fallback;
  if (engine === 'embedded') return { engine, dir: env.TICKLAKE_TIMESERIES_DIR?.trim() || embeddedDir(dataDir) };
  return cloudConfigFromEnv({ ...env, TIME_SERIES_ENGINE: engine });
}

/** Opens the sink a configuration names. Close it when done. */
export async function createTimeSeriesSink(config: TimeSeriesConfig, deps: CloudSinkDependencies = {}): Promise<TimeSeriesSink> {
  if (config.engine === 'embedded') return EmbeddedTimeSeriesStore.open(config.dir);
  return createCloudSink(config, deps);
}
