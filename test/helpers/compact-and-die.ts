/**
 * Test helper: compacts a lake and kills itself with SIGKILL between the Nth
 * manifest and its commit; with `publish`, right after the Nth copy of a
 * compacted file into a partition folder under `prefix` (default trades'),
 * before its manifest is visible.
 */
import type { ObjectStore } from '../../src/lake/object-store.js';
import { compactLake } from '../../src/local/compaction.js';
import { FileObjectStore } from '../../src/local/file-object-store.js';

const [lakeRoot, nowMs, nth, mode, prefix = 'curated/trades/'] = process.argv.slice(2);
let n = 0;
const die = () => {
  if (++n === Number(nth)) process.kill(process.pid, 'SIGKILL');
};
if (mode === 'publish') {
  const store: ObjectStore = new FileObjectStore(lakeRoot!);
  const copy = store.copy.bind(store);
  store.copy = async (from, to, t) => {
    await copy(from, to, t);
    if (to.startsWith(prefix)) die();
  };
  await compactLake({ lakeRoot: lakeRoot!, nowMs: Number(nowMs), publish: true, store });
} else {
  await compactLake({ lakeRoot: lakeRoot!, nowMs: Number(nowMs), afterManifest: die });
}
