/**
 * Benchmark child: the viewing source's TypeScript sessionizer on simulated
 * events, in a process of its own. The events (about 1 M, a prime-time evening
 * of 40,000 households, parsed and validated beforehand: the handler's part is
 * `handler_records_per_s`) are added in arrival order, so late events and
 * duplicates are in them as the stream delivers them; one pass is every add,
 * the intervals per show airing and the ad views. Best of 5 passes after 2
 * warm-up passes. Prints one JSON line. Usage: tsx bench/sessionize-child.ts
 */
import { readViewing } from '../src/sources/viewing/index.js';
import type { ViewingEvent } from '../src/sources/viewing/event.js';
import { adViews, Sessionizer } from '../src/sources/viewing/sessionize.js';
import { simulateViewing } from '../src/sources/viewing/simulator.js';

const TARGET = 1_000_000;
const nowUs = Date.UTC(2026, 10, 3) * 1000;
const events: ViewingEvent[] = [];
for (const r of simulateViewing({ minutes: 8 * 60, seed: 7, startTimeMs: Date.UTC(2026, 10, 2, 16), users: 40_000 })) {
  const x = readViewing(r.payload, undefined, nowUs);
  if (x.ok) events.push(x.event);
  if (events.length === TARGET) break;
}

let intervals = 0;
let ads = 0;
function pass(): number {
  const t = performance.now();
  const s = new Sessionizer();
  for (const e of events) s.add(e);
  const iv = s.intervals();
  ads = adViews(iv).length;
  intervals = iv.length;
  return performance.now() - t;
}
for (let w = 0; w < 2; w++) pass();
let best = Infinity;
for (let r = 0; r < 5; r++) best = Math.min(best, pass());
process.stdout.write(`${JSON.stringify({ eventsPerS: events.length / (best / 1000), events: events.length, intervals, adViews: ads, bestMs: best })}\n`);
