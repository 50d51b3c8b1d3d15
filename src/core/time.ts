/** UTC calendar helpers on microsecond timestamps. Pure and allocation-free on the hot path. */

export const US_PER_MS = 1000;
export const US_PER_MINUTE = 60_000_000;
export const US_PER_HOUR = 3_600_000_000;
export const US_PER_DAY = 86_400_000_000;

/** Days since 1970-01-01 (UTC) for a microsecond timestamp. */
export function dayNumber(timeUs: number): number {
  return Math.floor(timeUs / US_PER_DAY);
}

/** ISO day of week, 1 = Monday ... 7 = Sunday (1970-01-01 was a Thursday). */
export function isoDayOfWeek(timeUs: number): number {
  const d = dayNumber(timeUs);
  return ((((d + 3) % 7) + 7) % 7) + 1;
}

/** Hour of the day, 0-23, UTC. */
export function hourOfDay(timeUs: number): number {
  return Math.floor((timeUs - dayNumber(timeUs) * US_PER_DAY) / US_PER_HOUR);
}

/** Minute of the hour, 0-59, UTC. */
export function minuteOfHour(timeUs: number): number {
  return Math.floor((timeUs - Math.floor(timeUs / US_PER_HOUR) * US_PER_HOUR) / US_PER_MINUTE);
}

const dateCache = new Map<number, string>();
/** `yyyy-MM-dd` for a day number (cached: a batch touches one or two days). */
export function dateOfDay(day: number): string {
  let s = dateCache.get(day);
  if (s === undefined) {
    s = new Date(day * 86_400_000).toISOString().slice(0, 10);
    if (dateCache.size > 4096) dateCache.clear();
    dateCache.set(day, s);
  }
  return s;
}

/** Hive partition of a timestamp: `dt=yyyy-MM-dd/hour=HH`. */
export interface HourPartition {
  readonly dt: string;
  readonly hour: number;
}

/** The hour partition a microsecond timestamp falls in. */
export function hourPartition(timeUs: number): HourPartition {
  return { dt: dateOfDay(dayNumber(timeUs)), hour: hourOfDay(timeUs) };
}

/** Partition path segment, e.g. `dt=2026-11-02/hour=05`. */
export function partitionPath(p: HourPartition): string {
  return `dt=${p.dt}/hour=${p.hour < 10 ? '0' : ''}${p.hour}`;
}
