/**
 * Lambda entry point of the dashboard API: the function URL (reached only
 * through CloudFront) serves the Hono app of `src/adapters/aws/dashboard-cloud.ts`
 * (panel queries on Athena, files per partition from S3, Cognito sign-in).
 * Configuration from the environment, read once per container (see that module).
 */
import { handle } from 'hono/aws-lambda';
import { cloudDashboardConfigFromEnv, createCloudDashboard } from '../../src/adapters/aws/dashboard-cloud.js';

export const handler = handle(createCloudDashboard(cloudDashboardConfigFromEnv(process.env)));
