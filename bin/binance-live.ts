#!/usr/bin/env node
/**
 * The Binance live connector as a process: the container of the ECS Fargate
 * service (`-c binanceLive=true`; the Dockerfile bundles this file). Settings
 * from the environment; see src/cli/binance-live-service.ts.
 *
 *   STREAM_NAME=ticklake-dev-events AWS_REGION=eu-west-1 npx tsx bin/binance-live.ts
 *
 * No top-level await: the image runs this as a CommonJS bundle.
 */
import { runBinanceLiveService } from '../src/cli/binance-live-service.js';

const exit = (code: number) => {
  process.exitCode = code;
  // Everything is put and logged by now: an idle keep-alive socket must not hold the exit up.
  setTimeout(() => process.exit(code), 1_000).unref();
};

runBinanceLiveService(process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  signals: process,
}).then(exit, (e: unknown) => {
  const error = e instanceof Error ? { error: e.message, stack: e.stack } : { error: String(e) };
  process.stdout.write(`${JSON.stringify({ level: 'ERROR', message: 'binance-live: failed', timestamp: new Date().toISOString(), ...error })}\n`);
  exit(1);
});
