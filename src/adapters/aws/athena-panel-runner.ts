/**
 * The dashboard's {@link PanelRunner} on Athena: the shared Athena runner
 * ({@link AthenaQueryRunner}) with the dashboard's settings: results reused
 * for a few minutes (refreshes repeat identical queries), short first polls (a
 * reused result is there at once), and a deadline within an API request's patience.
 */
import type { AthenaClient } from '@aws-sdk/client-athena';
import type { PanelRows, PanelRunner } from '../../dashboard/api.js';
import { ATHENA } from '../../sql/dialect.js';
import type { BoundSql } from '../../sql/panel.js';
import { AthenaQueryRunner, type AthenaQueryRunnerOptions } from './athena-query-runner.js';

export { athenaCell, athenaLiteral } from './athena-query-runner.js';

/** Where and how the panel queries run (defaults: results reused for 5 minutes, first poll 100 ms, deadline 25,000 ms). */
export type AthenaPanelRunnerOptions = AthenaQueryRunnerOptions;

/** Runs panel SQL on Athena and waits for its rows. */
export class AthenaPanelRunner implements PanelRunner {
  readonly dialect = ATHENA;
  private readonly runner: AthenaQueryRunner;

  constructor(athena: Pick<AthenaClient, 'send'>, options: AthenaPanelRunnerOptions) {
    this.runner = new AthenaQueryRunner(athena, {
      ...options,
      reuseMinutes: options.reuseMinutes ?? 5,
      pollMs: options.pollMs ?? 100,
      timeoutMs: options.timeoutMs ?? 25_000,
    });
  }

  run(sql: BoundSql): Promise<PanelRows> {
    return this.runner.run(sql);
  }
}
