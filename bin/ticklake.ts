#!/usr/bin/env node
/** The `ticklake` CLI entry point (see src/cli/main.ts). */
import { main } from '../src/cli/main.js';

// Output piped into a reader that stopped (`| head`) is not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

process.exitCode = await main(process.argv);
