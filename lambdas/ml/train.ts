/**
 * Lambda entry point of the `TrainModel` state: fits one model kind on the pooled bars of the window and stores its artifact.
 * Thin by design: the step is `trainModel` of `src/ml/steps/handlers.ts`,
 * the same function the local runtime runs as the Task override.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { cloudMlHandlers } from '../../src/adapters/aws/ml/cloud.js';
import type { TrainInput, TrainOutput } from '../../src/ml/steps/workflow-types.js';

const logger = new Logger({ serviceName: 'ticklake-ml' });
const handlers = cloudMlHandlers(process.env, { log: (message, data) => logger.info(message, { ...data }) });

/** Step Functions invokes the function with the state's Parameters as the event. */
export const handler = (event: TrainInput): Promise<TrainOutput> => handlers.trainModel(event);
