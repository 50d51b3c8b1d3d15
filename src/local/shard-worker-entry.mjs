// Worker bootstrap: registers the TypeScript loader in this thread, then runs
// the shard worker. Keeps the worker independent of how the parent was started
// (tsx CLI, vitest, node --import).
import { register } from 'tsx/esm/api';

register();
await import('./shard-worker.ts');
