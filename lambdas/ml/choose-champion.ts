/**
 * Lambda entry point of the `ChooseChampion` state: applies the promotion rule (`src/ml/promotion.ts`) per symbol.
 * Thin by design: the step is `chooseChampion` of `src/ml/steps/handlers.ts`,
 * the same function the local runtime runs as the Task override.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { cloudMlHandlers } from '../../src/adapters/aws/ml/cloud.js';
import type { ChooseInput, ChampionDecisions } from '../../src/ml/steps/workflow-types.js';

const logger = new Logger({ serviceName: 'ticklake-ml' });
const handlers = cloudMlHandlers(process.env, { log: (message, data) => logger.info(message, { ...data }) });

/** Step Functions invokes the function with the state's Parameters as the event. */
export const handler = (event: ChooseInput): Promise<ChampionDecisions> => handlers.chooseChampion(event);
