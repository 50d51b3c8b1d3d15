/** The grace period a compaction run uses: its input's, else the deployment's default, else ten minutes. */
import { describe, expect, it } from 'vitest';
import { compactableTables } from '../../src/catalog.js';
import { DEFAULT_GRACE_MS, listClosedPartitions } from '../../src/lake/compaction-steps.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';

const input = (graceMs?: number) => ({
  request: graceMs === undefined ? {} : { graceMs },
  runId: 'r1',
  startedAt: '2026-11-02T12:00:00Z',
});
const env = { lakeRoot: 's3://lake/', maxConcurrency: 4, publish: true };

describe('the grace period of a compaction run', () => {
  it("is the input's, else the deployment's default, else ten minutes", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    // Act
    const given = await listClosedPartitions(store, compactableTables(), input(60_000), { ...env, defaultGraceMs: 2_700_000 });
    const deployed = await listClosedPartitions(store, compactableTables(), input(), { ...env, defaultGraceMs: 2_700_000 });
    const fallback = await listClosedPartitions(store, compactableTables(), input(), env);
    // Assess
    expect(given.run.graceMs).toBe(60_000);
    expect(deployed.run.graceMs).toBe(2_700_000);
    expect(fallback.run.graceMs).toBe(DEFAULT_GRACE_MS);
  });
});
