/**
 * Benchmark child: the stream handler on simulated short-video views, in a
 * process of its own (a container that has run only this source: after the
 * trade rounds in the same process the shared code paths are less optimised).
 * Prints one JSON line. Usage: tsx bench/engagement-child.ts
 */
import { simulateEngagement } from '../src/sources/engagement/simulator.js';
import { eventsOf, handlerRecordsPerSecond } from './handler-rounds.js';

const BATCH = 10_000;
const views: string[] = [];
for (const r of simulateEngagement({ minutes: 120, seed: 7, startTimeMs: Date.UTC(2026, 10, 2, 12) })) {
  views.push(r.payload);
  if (views.length === BATCH * 5) break;
}
const eventsPerS = await handlerRecordsPerSecond(eventsOf(views, BATCH));
process.stdout.write(`${JSON.stringify({ eventsPerS, events: views.length })}\n`);
