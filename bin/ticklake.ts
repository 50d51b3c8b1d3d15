#!/usr/bin/env node
/** The `ticklake` CLI entry point (see src/cli/main.ts). */
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv);
