#!/usr/bin/env node
// Lets `npx ticklake` run the TypeScript entry point without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./ticklake.ts');
