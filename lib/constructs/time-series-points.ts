/**
 * The time-series points function (`lambdas/timeseries-points/handler.ts`):
 * deployed by the time-series stack next to the store, invoked synchronously
 * by functions of other stacks (the predict function: minute bars and
 * predictions) that write points through it. Addressed by name, so a caller's
 * stack needs no export of the time-series stack: its environment and its one
 * grant (`lambda:InvokeFunction` on that function) come from here.
 */
import { join } from 'node:path';
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { namePrefix, type TicklakeConfig } from '../config.js';
import { PROJECT_ROOT } from '../paths.js';
import type { TicklakeFunction } from './ticklake-function.js';

/** Entry point of the points function. */
export const TIMESERIES_POINTS_ENTRY = join(PROJECT_ROOT, 'lambdas', 'timeseries-points', 'handler.ts');

/** Powertools service name of the points function. */
export const TIMESERIES_POINTS_SERVICE = 'timeseries-points';

/** Measurements written through the points function, and their LiveAnalytics tables. */
export const TIMESERIES_POINTS_TABLES = ['minute_bars', 'predictions'] as const;

/** `ticklake-<stage>-timeseries-points`. */
export function timeSeriesPointsFunctionName(config: Pick<TicklakeConfig, 'stage'>): string {
  return `${namePrefix(config)}-timeseries-points`;
}

/**
 * Environment of a function that writes points through the points function
 * (read by `cloudConfigFromEnv`): the engine and the function's name, or
 * `none` when the app has no time-series store.
 */
export function timeSeriesPointsClientEnvironment(config: Pick<TicklakeConfig, 'stage' | 'timeSeries'>): Record<string, string> {
  if (config.timeSeries === 'none') return { TIME_SERIES_ENGINE: 'none' };
  return { TIME_SERIES_ENGINE: config.timeSeries, TIME_SERIES_POINTS_FUNCTION: timeSeriesPointsFunctionName(config) };
}

/** Lets a function invoke the points function, and nothing else of the time-series stack (no grant without a store). */
export function grantTimeSeriesPoints(fn: TicklakeFunction, config: Pick<TicklakeConfig, 'stage' | 'timeSeries'>): void {
  if (config.timeSeries === 'none') return;
  const arn = Stack.of(fn).formatArn({
    service: 'lambda',
    resource: 'function',
    resourceName: timeSeriesPointsFunctionName(config),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  iam.Grant.addToPrincipal({ grantee: fn.role, actions: ['lambda:InvokeFunction'], resourceArns: [arn] });
}
