/**
 * Lambda entry point of the `EvaluateModel` state: scores one model per symbol on the day, with the persistence comparison.
 * Thin by design: the step is `evaluateModel` of `src/ml/steps/handlers.ts`,
 * the same function the local runtime runs as the Task override.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { cloudMlHandlers } from '../../src/adapters/aws/ml/cloud.js';
import type { EvaluateInput, ModelScore } from '../../src/ml/steps/workflow-types.js';

const logger = new Logger({ serviceName: 'ticklake-ml' });
const handlers = cloudMlHandlers(process.env, { log: (message, data) => logger.info(message, { ...data }) });

/** Step Functions invokes the function with the state's Parameters as the event. */
export const handler = (event: EvaluateInput): Promise<ModelScore> => handlers.evaluateModel(event);
