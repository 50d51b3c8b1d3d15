/**
 * The channel schedule of the viewing source: a daily grid per channel (which
 * show airs from which minute of the UTC day to which) and the ad spots inside
 * the shows (ad breaks at fixed offsets in each show, a few 30-second spots
 * each). Deterministic: what is on air is a function of channel and time, the
 * same every day. Pure.
 *
 * The grid is shipped as two dimensions, `data/tv_schedule.json` and
 * `data/tv_ad_spots.json` (written from {@link TV_SCHEDULE} and
 * {@link TV_AD_SPOTS} by `npx tsx lib/tools/tv-schedule.ts`; a test keeps them
 * equal), which the SQL views join; the sessionizer and the simulator use the
 * arrays directly.
 */

/** One show airing daily on a channel (column names as in glue-schemas/tv_schedule.json). */
export interface ScheduledShow {
  readonly channel: string;
  readonly show_id: string;
  readonly title: string;
  readonly genre: string;
  /** First minute of the UTC day it airs (0-1439). */
  readonly start_minute: number;
  /** Minute of the UTC day it ends, exclusive (1-1440): no show crosses midnight. */
  readonly end_minute: number;
}

/** One ad spot aired daily inside a show (column names as in glue-schemas/tv_ad_spots.json). */
export interface AdSpot {
  readonly channel: string;
  readonly show_id: string;
  /** Ad break of the show airing, 1-based. */
  readonly break_no: number;
  /** Second of the UTC day the spot starts, and ends (exclusive). */
  readonly start_second: number;
  readonly end_second: number;
  readonly ad_id: string;
  readonly advertiser: string;
}

interface Daypart {
  /** First minute of the daypart (the next daypart, or midnight, ends it). */
  readonly from: number;
  /** Length of each show in it, minutes (divides the daypart). */
  readonly slot: number;
  readonly genre: string;
  /** Titles aired in turn. */
  readonly titles: readonly string[];
}

interface ChannelPlan {
  readonly channel: string;
  readonly dayparts: readonly Daypart[];
}

const h = (hours: number) => hours * 60;

/** The simulated channels' dayparts: news in half hours, films and sport in two-hour slots, prime time in the evening. */
const PLANS: readonly ChannelPlan[] = [
  {
    channel: 'news-24',
    dayparts: [{ from: 0, slot: 30, genre: 'news', titles: ['World News', 'Business Today', 'The Briefing', 'Sport Headlines', 'Weather Watch'] }],
  },
  {
    channel: 'one',
    dayparts: [
      { from: 0, slot: 60, genre: 'repeats', titles: ['Night Repeats'] },
      { from: h(6), slot: 60, genre: 'magazine', titles: ['Breakfast Live', 'Morning Show', 'Homes Under Offer'] },
      { from: h(12), slot: 30, genre: 'soap', titles: ['Harbour Street', 'Quiz Hour', 'Cooking Duel'] },
      { from: h(18), slot: 60, genre: 'drama', titles: ['Evening News', 'The Precinct', 'Inspector Grey', 'Late Talk', 'Stand-up Special', 'Night News'] },
    ],
  },
  {
    channel: 'sport-1',
    dayparts: [
      { from: 0, slot: 120, genre: 'sport', titles: ['Classic Matches', 'Golf Highlights', 'Motorsport Replay'] },
      {
        from: h(12),
        slot: 120,
        genre: 'sport',
        titles: ['Tennis Live', 'Cricket Live', 'Premier Football', 'Match of the Night', 'Rugby Union', 'Cycling Tour'],
      },
    ],
  },
  {
    channel: 'movies',
    dayparts: [
      {
        from: 0,
        slot: 120,
        genre: 'film',
        titles: ['Night Thriller', 'Old Western', 'Family Film', 'Comedy Classic', 'Sci-Fi Feature', 'Blockbuster Premiere'],
      },
    ],
  },
  {
    channel: 'kids',
    dayparts: [
      { from: 0, slot: 60, genre: 'kids', titles: ['Sleepy Stories'] },
      { from: h(6), slot: 30, genre: 'kids', titles: ['Robot Pals', 'Dino Club', 'Art Attack Jr', 'Space Cadets', 'Puppet Town'] },
      { from: h(20), slot: 60, genre: 'kids', titles: ['Sleepy Stories'] },
    ],
  },
  {
    channel: 'docs',
    dayparts: [{ from: 0, slot: 60, genre: 'documentary', titles: ['Wild Planet', 'History Files', 'Deep Oceans', 'Engineering Giants', 'Ancient Cities'] }],
  },
];

/** The simulated channel ids, in order. */
export const CHANNELS: readonly string[] = PLANS.map((p) => p.channel);

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');

function buildSchedule(): ScheduledShow[] {
  const out: ScheduledShow[] = [];
  for (const plan of PLANS) {
    plan.dayparts.forEach((d, i) => {
      const until = plan.dayparts[i + 1]?.from ?? h(24);
      for (let m = d.from, n = 0; m < until; m += d.slot, n++) {
        const title = d.titles[n % d.titles.length]!;
        out.push({ channel: plan.channel, show_id: `${plan.channel}/${slug(title)}`, title, genre: d.genre, start_minute: m, end_minute: m + d.slot });
      }
    });
  }
  return out;
}

/** Every show of every channel's day, by channel then start. */
export const TV_SCHEDULE: readonly ScheduledShow[] = buildSchedule();

/** The advertisers and their ads (a brand runs a few creatives). */
const ADS: readonly { readonly ad_id: string; readonly advertiser: string }[] = [
  ...['Fizzy Cola', 'QuickBank', 'Zoom Motors', 'HomeSparkle', 'TalkMobile', 'SnackCo', 'GreenEnergy', 'TravelAway'].flatMap((advertiser) =>
    [1, 2, 3].map((k) => ({ ad_id: `${slug(advertiser)}-${k}`, advertiser })),
  ),
];

/** Length of an ad spot, seconds. */
export const SPOT_SECONDS = 30;
/** Spots per ad break. */
export const SPOTS_PER_BREAK = 3;
/** Minutes between a show's start and its first ad break, and between breaks. */
export const BREAK_EVERY_MINUTES = 15;

function buildAdSpots(schedule: readonly ScheduledShow[]): AdSpot[] {
  const out: AdSpot[] = [];
  let rotation = 0;
  for (const s of schedule) {
    // Breaks every 15 minutes inside the show, none at its start or end.
    for (let off = BREAK_EVERY_MINUTES, b = 1; off < s.end_minute - s.start_minute; off += BREAK_EVERY_MINUTES, b++) {
      for (let k = 0; k < SPOTS_PER_BREAK; k++) {
        const start = (s.start_minute + off) * 60 + k * SPOT_SECONDS;
        // A fixed stride through the ads: neighbouring spots differ, every ad airs on every channel.
        const ad = ADS[(rotation++ * 7) % ADS.length]!;
        out.push({ channel: s.channel, show_id: s.show_id, break_no: b, start_second: start, end_second: start + SPOT_SECONDS, ...ad });
      }
    }
  }
  return out;
}

/** Every ad spot of every channel's day, by channel then time. */
export const TV_AD_SPOTS: readonly AdSpot[] = buildAdSpots(TV_SCHEDULE);

/** The files the two dimensions are read from locally and seeded from in the cloud (project-relative). */
export const TV_SCHEDULE_FILE = 'data/tv_schedule.json';
export const TV_AD_SPOTS_FILE = 'data/tv_ad_spots.json';

const MS_PER_DAY = 86_400_000;

/** A channel's grid for lookups: its shows and spots in time order. */
export interface ChannelGrid {
  readonly shows: readonly ScheduledShow[];
  /** Start minute of each show, ascending. */
  readonly showStarts: Int32Array;
  readonly spots: readonly AdSpot[];
  /** Start second of each spot, ascending. */
  readonly spotStarts: Int32Array;
}

/** The grid of each channel, by channel id. */
export const CHANNEL_GRIDS: ReadonlyMap<string, ChannelGrid> = new Map(
  CHANNELS.map((c) => {
    const shows = TV_SCHEDULE.filter((s) => s.channel === c);
    const spots = TV_AD_SPOTS.filter((s) => s.channel === c);
    return [c, { shows, showStarts: Int32Array.from(shows, (s) => s.start_minute), spots, spotStarts: Int32Array.from(spots, (s) => s.start_second) }];
  }),
);

/** Index of the last element of an ascending array that is <= x (-1 when none). */
export function floorIndex(a: Int32Array, x: number): number {
  let lo = 0;
  let hi = a.length - 1;
  let r = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= x) {
      r = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return r;
}

/** One airing of a show: the show and its start and end, ms since epoch. */
export interface Airing {
  readonly show: ScheduledShow;
  readonly startMs: number;
  readonly endMs: number;
}

/** What a channel airs at a time (ms since epoch), or undefined for an unknown channel. */
export function airingAt(channel: string, timeMs: number): Airing | undefined {
  const g = CHANNEL_GRIDS.get(channel);
  if (!g) return undefined;
  const day = Math.floor(timeMs / MS_PER_DAY) * MS_PER_DAY;
  const show = g.shows[floorIndex(g.showStarts, Math.floor((timeMs - day) / 60_000))]!;
  return { show, startMs: day + show.start_minute * 60_000, endMs: day + show.end_minute * 60_000 };
}

/** Whether an ad spot of the channel is on air at a time (viewers zap away from ads). */
export function inAdBreak(channel: string, timeMs: number): boolean {
  const g = CHANNEL_GRIDS.get(channel);
  if (!g) return false;
  const day = Math.floor(timeMs / MS_PER_DAY) * MS_PER_DAY;
  const second = (timeMs - day) / 1000;
  const i = floorIndex(g.spotStarts, Math.floor(second));
  return i >= 0 && second < g.spots[i]!.end_second;
}

/** The longest show of the grid, ms: no airing lasts longer (bounds which events a range's airings need, see sql.ts). */
export const MAX_SHOW_MS = Math.max(...TV_SCHEDULE.map((s) => (s.end_minute - s.start_minute) * 60_000));

/** The longest ad spot of the grid, ms. */
export const MAX_SPOT_MS = Math.max(...TV_AD_SPOTS.map((a) => (a.end_second - a.start_second) * 1000));
