/**
 * Lambda entry point of the `PlanEvaluation` state: resolves the day, the symbols and the candidate models.
 * Thin by design: the step is `planEvaluation` of `src/ml/steps/handlers.ts`,
 * the same function the local runtime runs as the Task override.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { cloudMlHandlers } from '../../src/adapters/aws/ml/cloud.js';
import type { EvaluationPlan, EvaluationRequest } from '../../src/ml/steps/workflow-types.js';
import type { RunStart } from '../../src/orchestration/asl.js';

const logger = new Logger({ serviceName: 'ticklake-ml' });
const handlers = cloudMlHandlers(process.env, { log: (message, data) => logger.info(message, { ...data }) });

/** Step Functions invokes the function with the state's Parameters as the event. */
export const handler = (event: RunStart<EvaluationRequest>): Promise<EvaluationPlan> => handlers.planEvaluation(event);
