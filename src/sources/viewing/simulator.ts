/**
 * Simulated digital-TV viewing, as the old clickstream demo produced it but with
 * realistic shape: households with one to three devices (a set-top box or smart
 * TV at home, phones, tablets, a browser) in a few cities; an evening peak and a
 * quiet night; favourite channels; viewers who tune in at the start of shows,
 * zap away during ad breaks, surf for a few seconds before settling, and switch
 * off when a show ends. Mobile devices that were offline send their events
 * late, and a few records are sent twice (a client retry). Pure and seeded;
 * records come in arrival order.
 */
import { Rng } from '../../core/random.js';
import type { SimulatedRecord } from '../contract.js';
import { VIEWING_SOURCE, type ViewingEventType } from './event.js';
import { airingAt, CHANNEL_GRIDS, CHANNELS, floorIndex } from './schedule.js';

export interface ViewingSimConfig {
  readonly minutes: number;
  readonly seed?: number | string;
  readonly startTimeMs?: number;
  /** Households (users), default {@link DEFAULT_VIEWING_USERS}. */
  readonly users?: number;
  /** First seq of every device (live runs pass one derived from their start time). */
  readonly firstSeq?: number;
  /** Share of records corrupted on purpose (0..1). */
  readonly malformedShare?: number;
  /** Share of events a mobile device sends late (0..1). Default 0.08. */
  readonly lateShare?: number;
  /** Share of records sent twice (0..1). Default 0.005. */
  readonly duplicateShare?: number;
}

/** Default number of simulated households. */
export const DEFAULT_VIEWING_USERS = 5_000;

/** Cities and their relative number of households. */
const CITIES: readonly [string, number][] = [
  ['london', 30],
  ['manchester', 9],
  ['birmingham', 9],
  ['glasgow', 6],
  ['leeds', 6],
  ['liverpool', 5],
  ['bristol', 5],
  ['edinburgh', 4],
  ['cardiff', 3],
  ['belfast', 3],
];

/** Relative audience of each channel (a user's favourites are drawn around it). */
const CHANNEL_POPULARITY: Readonly<Record<string, number>> = { one: 30, 'news-24': 14, 'sport-1': 16, movies: 16, kids: 12, docs: 12 };

/** Share of devices switched on per hour of the UTC day, relative to the evening peak. */
const INTENSITY = [0.35, 0.2, 0.1, 0.06, 0.05, 0.08, 0.2, 0.4, 0.45, 0.35, 0.3, 0.3, 0.35, 0.35, 0.3, 0.3, 0.35, 0.5, 0.7, 0.9, 1, 1, 0.85, 0.6];

/** Viewing relative to the evening peak at a time (0..1). */
export function viewingIntensity(timeMs: number): number {
  return INTENSITY[Math.floor(timeMs / 3_600_000) % 24]!;
}

interface Device {
  readonly user: string;
  readonly id: string;
  readonly type: string;
  readonly location: string;
  /** Mean sessions started per hour at the evening peak. */
  readonly startsPerPeakHour: number;
  /** Cumulative channel weights of the user's taste. */
  readonly taste: Float64Array;
  channel: string | undefined;
  seq: number;
  /** Time of the next decision, ms. */
  next: number;
  /** Seconds-scale channel surfing after a switch. */
  surfing: boolean;
}

const TYPE_CODES: Readonly<Record<string, string>> = { 'set-top-box': 'stb', 'smart-tv': 'tv', mobile: 'mob', tablet: 'tab', web: 'web' };

function pickWeighted(rng: Rng, cumulative: Float64Array): number {
  const x = rng.next() * cumulative[cumulative.length - 1]!;
  let i = 0;
  while (cumulative[i]! <= x && i < cumulative.length - 1) i++;
  return i;
}

function makeDevices(rng: Rng, users: number, firstSeq: number, startMs: number): Device[] {
  const cityCum = new Float64Array(CITIES.length);
  CITIES.reduce((a, [, w], i) => (cityCum[i] = a + w), 0);
  const out: Device[] = [];
  for (let u = 0; u < users; u++) {
    const user = `u${String(u).padStart(5, '0')}`;
    const location = CITIES[pickWeighted(rng, cityCum)]![0];
    // Taste: the channels' popularity, each weighted by a log-normal personal factor.
    const taste = new Float64Array(CHANNELS.length);
    CHANNELS.reduce((a, c, i) => (taste[i] = a + CHANNEL_POPULARITY[c]! * rng.logNormal(0, 1)), 0);
    const types: string[] = [rng.chance(0.6) ? 'set-top-box' : 'smart-tv'];
    if (rng.chance(0.45)) types.push('mobile');
    if (rng.chance(0.2)) types.push(rng.chance(0.5) ? 'tablet' : 'web');
    for (const type of types) {
      const home = type === 'set-top-box' || type === 'smart-tv';
      const d: Device = {
        user,
        id: `${user}-${TYPE_CODES[type]}`,
        type,
        location,
        startsPerPeakHour: (home ? 0.9 : 0.35) * rng.logNormal(0, 0.5),
        taste,
        channel: undefined,
        seq: firstSeq,
        next: startMs,
        surfing: false,
      };
      // Some sets are already on when the run starts (their start was before it).
      if (rng.chance((home ? 0.35 : 0.08) * viewingIntensity(startMs))) d.channel = CHANNELS[pickWeighted(rng, taste)]!;
      d.next = startMs + nextDelay(rng, d, startMs);
      out.push(d);
    }
  }
  return out;
}

/** The next ad break start on a channel strictly after a time, ms. */
function nextBreak(channel: string, timeMs: number): number {
  const g = CHANNEL_GRIDS.get(channel)!;
  const day = Math.floor(timeMs / 86_400_000) * 86_400_000;
  const i = floorIndex(g.spotStarts, Math.floor((timeMs - day) / 1000)) + 1;
  // A break's first spot; within a break spots follow each other.
  for (let j = i; j < g.spots.length; j++)
    if (j === 0 || g.spots[j]!.break_no !== g.spots[j - 1]!.break_no || g.spots[j]!.show_id !== g.spots[j - 1]!.show_id)
      return day + g.spots[j]!.start_second * 1000;
  return day + 86_400_000 + g.spots[0]!.start_second * 1000;
}

/** Delay to a device's next decision from `now`, ms. */
function nextDelay(rng: Rng, d: Device, now: number): number {
  if (d.channel === undefined) {
    // Switched off: sessions start at the device's rate, scaled by the hour (thinning).
    let t = now;
    for (;;) {
      t += rng.exponential(3_600_000 / d.startsPerPeakHour);
      if (rng.chance(viewingIntensity(t))) return Math.max(1, Math.round(t - now));
    }
  }
  if (d.surfing) return Math.round(rng.uniform(3_000, 40_000));
  // Watching: the next ad break, the end of the show, or a random moment, whichever comes first.
  const random = now + rng.exponential(35 * 60_000);
  const structural = Math.min(nextBreak(d.channel, now), airingAt(d.channel, now)!.endMs);
  return Math.max(1, Math.round(Math.min(random, structural) - now));
}

/** What a device does at its decision time: an event, or nothing (keeps watching). */
function decide(rng: Rng, d: Device, now: number): { type: ViewingEventType; channel: string } | undefined {
  if (d.channel === undefined) return { type: 'start', channel: CHANNELS[pickWeighted(rng, d.taste)]! };
  const showStart = airingAt(d.channel, now)!.startMs === now;
  const atBreak = nextBreak(d.channel, now - 1) === now;
  let pSwitch: number;
  let pStop: number;
  if (d.surfing) [pSwitch, pStop] = [0.45, 0.03];
  else if (showStart) [pSwitch, pStop] = [0.2, 0.22 * (1.2 - viewingIntensity(now))];
  else if (atBreak) [pSwitch, pStop] = [0.3, 0.04];
  else [pSwitch, pStop] = [0.6, 0.4];
  const x = rng.next();
  if (x < pStop) return { type: 'stop', channel: d.channel };
  if (x < pStop + pSwitch) {
    let c = d.channel;
    while (c === d.channel) c = CHANNELS[pickWeighted(rng, d.taste)]!;
    return { type: 'switch', channel: c };
  }
  return undefined;
}

/** A corrupted variant of a valid message, as clients go wrong. */
function corrupt(msg: Record<string, unknown>, rng: Rng): string {
  switch (rng.int(8)) {
    case 0:
      return JSON.stringify({ ...msg, channel: `${String(msg.channel)}-hd` });
    case 1:
      return JSON.stringify({ ...msg, event_type: rng.chance(0.5) ? 'pause' : 'START' });
    case 2: {
      const { device_id: _d, ...rest } = msg;
      return JSON.stringify(rest);
    }
    case 3:
      return JSON.stringify(msg).slice(0, 40 + rng.int(60));
    case 4:
      return JSON.stringify({ ...msg, timestamp: String(msg.timestamp).replace('Z', '') });
    case 5:
      return JSON.stringify({ ...msg, seq: -1 });
    case 6:
      return JSON.stringify({ ...msg, device_type: 'fridge' });
    default:
      return JSON.stringify({ ...msg, location: `${String(msg.location).toUpperCase()} City` });
  }
}

/** The devices' events, in arrival order. */
export function* simulateViewing(cfg: ViewingSimConfig): Generator<SimulatedRecord> {
  const rng = Rng.derive(cfg.seed ?? 1, VIEWING_SOURCE);
  const start = cfg.startTimeMs ?? Date.UTC(2026, 10, 2, 18);
  const end = start + cfg.minutes * 60_000;
  const bad = cfg.malformedShare ?? 0;
  const lateShare = cfg.lateShare ?? 0.08;
  const dupShare = cfg.duplicateShare ?? 0.005;
  const devices = makeDevices(rng, cfg.users ?? DEFAULT_VIEWING_USERS, cfg.firstSeq ?? 0, start);
  let pending: SimulatedRecord[] = [];
  // Event time advances a minute at a time; records wait in `pending` until their arrival.
  for (let chunkEnd = Math.min(end, start + 60_000); ; chunkEnd = Math.min(end, chunkEnd + 60_000)) {
    for (const d of devices) {
      while (d.next < chunkEnd) {
        const now = d.next;
        const act = decide(rng, d, now);
        if (act) {
          const msg = {
            source: VIEWING_SOURCE,
            timestamp: new Date(now).toISOString(),
            user_id: d.user,
            device_id: d.id,
            device_type: d.type,
            location: d.location,
            event_type: act.type,
            channel: act.channel,
            seq: d.seq++,
          };
          const late = d.type === 'mobile' && rng.chance(lateShare);
          const arrival = now + Math.round(late ? Math.min(15 * 60_000, rng.logNormal(Math.log(60_000), 1)) : rng.uniform(30, 600));
          const payload = bad > 0 && rng.chance(bad) ? corrupt(msg, rng) : JSON.stringify(msg);
          pending.push({ timeMs: arrival, partitionKey: d.id, payload });
          if (rng.chance(dupShare)) pending.push({ timeMs: arrival + Math.round(rng.uniform(500, 5_000)), partitionKey: d.id, payload });
          d.surfing = act.type === 'switch' ? rng.chance(d.surfing ? 0.5 : 0.35) : false;
          d.channel = act.type === 'stop' ? undefined : act.channel;
        }
        d.next = now + nextDelay(rng, d, now);
      }
    }
    const last = chunkEnd >= end;
    pending.sort((a, b) => a.timeMs - b.timeMs);
    const cut = last ? pending.length : pending.findIndex((r) => r.timeMs >= chunkEnd);
    const ready = cut < 0 ? pending : pending.slice(0, cut);
    pending = cut < 0 ? [] : pending.slice(cut);
    yield* ready;
    if (last) return;
  }
}

/** About how many events a run yields (for progress bars), from the hours it covers. */
export function expectedViewingEvents(cfg: { readonly minutes: number; readonly startTimeMs: number; readonly users: number }): number {
  let perUser = 0;
  // Fitted to the simulator: 1.15 events per household and hour (sets left on: stops, switches at breaks) plus 1.51 per unit of intensity.
  for (let m = 0; m < cfg.minutes; m++) perUser += (1.15 + 1.51 * viewingIntensity(cfg.startTimeMs + m * 60_000)) / 60;
  return Math.round(cfg.users * perUser);
}
