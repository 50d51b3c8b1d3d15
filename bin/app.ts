#!/usr/bin/env node
/**
 * CDK app entry point (`npx cdk synth`, `npx cdk deploy --all`).
 *
 * Configuration comes from cdk.json "context" and `-c key=value`; it is
 * validated before any construct is created. cdk-nag (AWS Solutions and
 * Serverless packs) runs over every stack during synthesis; an unacknowledged
 * finding fails the synth.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, configFromContext } from '../lib/config.js';
import { addNagPacks } from '../lib/nag.js';
import { createTicklake } from '../lib/ticklake-app.js';

const app = new App();
try {
  const config = configFromContext(app);
  createTicklake(app, config);
  addNagPacks(app);
  app.synth();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
