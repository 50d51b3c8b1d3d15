/**
 * The real daily Seattle weather series of the `vega-datasets` package
 * (`data/seattle-weather.csv`, 2012-01-01 to 2015-12-31: precipitation mm,
 * maximum and minimum temperature °C, mean wind m/s, the day's weather), the
 * ground truth the weather and energy simulators are built on.
 *
 * The core must not read files (it runs in Lambda too), so the series ships as
 * columnar JSON (`data/seattle-weather.json`), written from the package's CSV
 * by `npm run data:seattle-weather` with {@link parseSeattleWeatherCsv}; a test
 * checks the JSON equals that parse (`src/core/climate.ts` imports it). Pure.
 */
/** The day labels the series uses. */
export const SEATTLE_CONDITIONS = ['drizzle', 'rain', 'sun', 'snow', 'fog'] as const;
export type SeattleCondition = (typeof SEATTLE_CONDITIONS)[number];

/** One day of the series. */
export interface SeattleDay {
  /** `yyyy-MM-dd`. */
  readonly date: string;
  readonly precipitation: number;
  readonly tempMax: number;
  readonly tempMin: number;
  readonly wind: number;
  readonly weather: SeattleCondition;
}

/** The series as shipped: consecutive days from `firstDate`, one array per column. */
export interface SeattleSeries {
  readonly source: string;
  readonly firstDate: string;
  readonly precipitation: readonly number[];
  readonly temp_max: readonly number[];
  readonly temp_min: readonly number[];
  readonly wind: readonly number[];
  readonly weather: readonly string[];
}

const HEADER = 'date,precipitation,temp_max,temp_min,wind,weather';
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;

/**
 * Parses `seattle-weather.csv` (header `date,precipitation,temp_max,temp_min,wind,weather`).
 * Throws on anything else, naming the line: this is the simulators' ground
 * truth, read once, not stream input.
 */
export function parseSeattleWeatherCsv(text: string): SeattleDay[] {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== HEADER) throw new Error(`expected the header ${HEADER}, got ${JSON.stringify(lines[0]?.slice(0, 80))}`);
  const days: SeattleDay[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const f = line.split(',');
    const [date, p, tmax, tmin, wind, weather] = f;
    const bad = (why: string) => new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line.slice(0, 80))}`);
    if (f.length !== 6) throw bad('expected 6 fields');
    if (!DATE.test(date!) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw bad('not a date');
    for (const n of [p, tmax, tmin, wind]) if (!NUMBER.test(n!)) throw bad('not a number');
    if (!(SEATTLE_CONDITIONS as readonly string[]).includes(weather!)) throw bad('unknown weather');
    const day: SeattleDay = {
      date: date!,
      precipitation: Number(p),
      tempMax: Number(tmax),
      tempMin: Number(tmin),
      wind: Number(wind),
      weather: weather as SeattleCondition,
    };
    if (day.tempMin > day.tempMax) throw bad('temp_min above temp_max');
    if (day.precipitation < 0 || day.wind < 0) throw bad('negative precipitation or wind');
    days.push(day);
  }
  return days;
}

/** The columnar form of consecutive days (what `data/seattle-weather.json` holds). */
export function toSeattleSeries(days: readonly SeattleDay[], source: string): SeattleSeries {
  for (let i = 1; i < days.length; i++) {
    if (Date.parse(days[i]!.date) - Date.parse(days[i - 1]!.date) !== 86_400_000) throw new Error(`days are not consecutive at ${days[i]!.date}`);
  }
  return {
    source,
    firstDate: days[0]?.date ?? '',
    precipitation: days.map((d) => d.precipitation),
    temp_max: days.map((d) => d.tempMax),
    temp_min: days.map((d) => d.tempMin),
    wind: days.map((d) => d.wind),
    weather: days.map((d) => d.weather),
  };
}

/** Day `i` of a series. */
export function seriesDay(s: SeattleSeries, i: number): SeattleDay {
  return {
    date: new Date(Date.parse(`${s.firstDate}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10),
    precipitation: s.precipitation[i]!,
    tempMax: s.temp_max[i]!,
    tempMin: s.temp_min[i]!,
    wind: s.wind[i]!,
    weather: s.weather[i] as SeattleCondition,
  };
}
