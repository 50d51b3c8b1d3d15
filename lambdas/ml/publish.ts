/**
 * Lambda entry point of the `PublishEvaluation` state: re-runs the promotion rule, writes `model_evaluations` and `champion_changes`, then moves the champion pointers.
 * Thin by design: the step is `publishEvaluation` of `src/ml/steps/handlers.ts`,
 * the same function the local runtime runs as the Task override.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { cloudMlHandlers } from '../../src/adapters/aws/ml/cloud.js';
import type { PublishInput, PublishOutput } from '../../src/ml/steps/workflow-types.js';

const logger = new Logger({ serviceName: 'ticklake-ml' });
const handlers = cloudMlHandlers(process.env, { log: (message, data) => logger.info(message, { ...data }) });

/** Step Functions invokes the function with the state's Parameters as the event. */
export const handler = (event: PublishInput): Promise<PublishOutput> => handlers.publishEvaluation(event);
