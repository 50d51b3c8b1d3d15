/**
 * Lambda entry point of the backfill's `RenderStatements` state: the Athena
 * statements of one file, rendered from the same definitions the local DuckDB
 * backfill runs (`src/sql/backfill-job.ts` with the ATHENA dialect). Pure: no
 * AWS access.
 */
import { type BackfillFile, type BackfillRun, fileStatements } from '../../src/backfill/plan.js';
import type { BackfillStatements } from '../../src/sources/binance-trades/backfill-job.js';
import { ATHENA } from '../../src/sql/dialect.js';

/** Step Functions invokes the function with the state's Parameters as the event. */
export const handler = async (event: { run: BackfillRun; file: BackfillFile }): Promise<BackfillStatements> => fileStatements(ATHENA, event.run, event.file);
