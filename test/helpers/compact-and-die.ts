/** Test helper: compacts a lake and kills itself with SIGKILL between the Nth manifest and its commit. */
import { compactLake } from '../../src/local/compaction.js';

const [lakeRoot, nowMs, nth] = process.argv.slice(2);
let n = 0;
await compactLake({
  lakeRoot: lakeRoot!,
  nowMs: Number(nowMs),
  afterManifest: () => {
    if (++n === Number(nth)) process.kill(process.pid, 'SIGKILL');
  },
});
