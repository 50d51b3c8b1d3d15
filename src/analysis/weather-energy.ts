/**
 * The weather x energy analysis (the old lake's regression): over the hours
 * the join (weather-energy-sql.ts) returns, energy per household and hour is
 * fitted on the outside temperature by ordinary least squares, trained on the
 * first 70 % of the hours and tested on the last 30 %; plus the weekly and
 * daily profiles of energy use, and the three plots. Pure: the CLI runs the
 * SQL and writes the files.
 */
import { fitOls, type LinearFit, predict, rSquared, rmse, timeOrderedSplit } from './regression.js';
import { chartSvg } from './svg.js';

/** One joined hour (the columns of the join). */
export interface JoinedHour {
  /** Start of the hour, ms since epoch (UTC). */
  readonly hourMs: number;
  readonly temperatureC: number;
  readonly kwhPerHousehold: number;
}

/** What the analysis found. */
export interface WeatherEnergyResult {
  readonly hours: number;
  readonly firstHourMs: number;
  readonly lastHourMs: number;
  readonly trainHours: number;
  readonly testHours: number;
  readonly fit: LinearFit;
  readonly r2Train: number;
  readonly r2Test: number;
  readonly rmseTest: number;
  /** Mean energy per household-hour over the test hours (to read the RMSE against). */
  readonly meanTestKwh: number;
  /** Mean energy by hour of the week, Monday 00:00 first (168 values, NaN where no hour fell). */
  readonly weekly: readonly number[];
  /** Mean energy by hour of the day on weekdays and on weekends (24 values each). */
  readonly dailyWeekday: readonly number[];
  readonly dailyWeekend: readonly number[];
  /** The offset of the profiles' local time from UTC, hours. */
  readonly utcOffsetHours: number;
}

const HOUR_MS = 3_600_000;

/** Hour of the week (0 = Monday 00:00) and whether it is a weekend, in local time. */
function localHourOfWeek(hourMs: number, utcOffsetHours: number): { how: number; hour: number; weekend: boolean } {
  const d = new Date(hourMs + utcOffsetHours * HOUR_MS);
  const isoDay = (d.getUTCDay() + 6) % 7;
  return { how: isoDay * 24 + d.getUTCHours(), hour: d.getUTCHours(), weekend: isoDay >= 5 };
}

function means(sums: number[], counts: number[]): number[] {
  return sums.map((s, i) => (counts[i]! > 0 ? s / counts[i]! : Number.NaN));
}

/** Fits energy ~ temperature with a time-ordered 70/30 split and computes the profiles. Rows must be in time order. */
export function analyzeWeatherEnergy(rows: readonly JoinedHour[], o: { trainShare?: number; utcOffsetHours?: number } = {}): WeatherEnergyResult {
  if (rows.length < 4) throw new RangeError(`only ${rows.length} joined hours: the analysis needs weather and energy for at least 4 common hours`);
  for (let i = 1; i < rows.length; i++) if (rows[i]!.hourMs <= rows[i - 1]!.hourMs) throw new RangeError('joined hours are not in time order');
  const offset = o.utcOffsetHours ?? -8;
  const { train, test } = timeOrderedSplit(rows, o.trainShare ?? 0.7);
  const fit = fitOls(
    train.map((r) => r.temperatureC),
    train.map((r) => r.kwhPerHousehold),
  );
  const yTrain = train.map((r) => r.kwhPerHousehold);
  const yTest = test.map((r) => r.kwhPerHousehold);
  const pTest = predict(
    fit,
    test.map((r) => r.temperatureC),
  );
  const weekSum = new Array<number>(168).fill(0);
  const weekN = new Array<number>(168).fill(0);
  const day = { sum: [new Array<number>(24).fill(0), new Array<number>(24).fill(0)], n: [new Array<number>(24).fill(0), new Array<number>(24).fill(0)] };
  for (const r of rows) {
    const { how, hour, weekend } = localHourOfWeek(r.hourMs, offset);
    weekSum[how]! += r.kwhPerHousehold;
    weekN[how]!++;
    const k = weekend ? 1 : 0;
    day.sum[k]![hour]! += r.kwhPerHousehold;
    day.n[k]![hour]!++;
  }
  return {
    hours: rows.length,
    firstHourMs: rows[0]!.hourMs,
    lastHourMs: rows[rows.length - 1]!.hourMs,
    trainHours: train.length,
    testHours: test.length,
    fit,
    r2Train: rSquared(
      yTrain,
      predict(
        fit,
        train.map((r) => r.temperatureC),
      ),
    ),
    r2Test: rSquared(yTest, pTest),
    rmseTest: rmse(yTest, pTest),
    meanTestKwh: yTest.reduce((a, b) => a + b, 0) / Math.max(1, yTest.length),
    weekly: means(weekSum, weekN),
    dailyWeekday: means(day.sum[0]!, day.n[0]!),
    dailyWeekend: means(day.sum[1]!, day.n[1]!),
    utcOffsetHours: offset,
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(':00.000Z', 'Z');
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** The printed results. */
export function formatWeatherEnergy(r: WeatherEnergyResult): string {
  return [
    `weather x energy: ${r.hours} joined hours, ${iso(r.firstHourMs)} to ${iso(r.lastHourMs + HOUR_MS)}`,
    `  model            kWh per household-hour = intercept + slope x temperature (°C), ordinary least squares`,
    `  split            time-ordered: first ${r.trainHours} hours to fit, last ${r.testHours} to test`,
    `  intercept        ${f3(r.fit.intercept)} kWh`,
    `  slope            ${f3(r.fit.slope)} kWh per °C`,
    `  R² (train)       ${f3(r.r2Train)}`,
    `  R² (test)        ${f3(r.r2Test)}`,
    `  RMSE (test)      ${f3(r.rmseTest)} kWh (mean ${f3(r.meanTestKwh)} kWh per household-hour)`,
  ].join('\n');
}

const TRAIN = '#1f77b4';
const TEST = '#ff7f0e';
const FIT = '#d62728';
const tz = (h: number) => (h === 0 ? 'UTC' : `UTC${h > 0 ? '+' : '−'}${Math.abs(h)}`);

/** The three plots, by file name: scatter with the fitted line, weekly profile, daily profile. */
export function weatherEnergyPlots(rows: readonly JoinedHour[], r: WeatherEnergyResult): Record<string, string> {
  const temps = rows.map((x) => x.temperatureC);
  const lo = Math.min(...temps);
  const hi = Math.max(...temps);
  const scatter = chartSvg({
    title: `Energy vs temperature (slope ${f3(r.fit.slope)} kWh/°C, test R² ${f3(r.r2Test)})`,
    xLabel: 'outside temperature, mean of the stations (°C)',
    yLabel: 'energy per household (kWh per hour)',
    series: [
      {
        name: `fit hours (${r.trainHours})`,
        kind: 'points',
        color: TRAIN,
        points: rows.slice(0, r.trainHours).map((x) => [x.temperatureC, x.kwhPerHousehold]),
      },
      { name: `test hours (${r.testHours})`, kind: 'points', color: TEST, points: rows.slice(r.trainHours).map((x) => [x.temperatureC, x.kwhPerHousehold]) },
      {
        name: 'least-squares line',
        kind: 'line',
        color: FIT,
        points: [
          [lo, r.fit.intercept + r.fit.slope * lo],
          [hi, r.fit.intercept + r.fit.slope * hi],
        ],
      },
    ],
  });
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const weekly = chartSvg({
    title: 'Weekly energy profile',
    xLabel: `hour of the week (${tz(r.utcOffsetHours)})`,
    yLabel: 'mean energy per household (kWh per hour)',
    xTicks: days.map((d, i) => [i * 24, d] as const),
    series: [{ name: 'all hours', kind: 'line', color: TRAIN, points: r.weekly.map((v, i) => [i, v] as const) }],
  });
  const daily = chartSvg({
    title: 'Daily energy profile',
    xLabel: `hour of the day (${tz(r.utcOffsetHours)})`,
    yLabel: 'mean energy per household (kWh per hour)',
    xTicks: [0, 3, 6, 9, 12, 15, 18, 21].map((h) => [h, `${String(h).padStart(2, '0')}:00`] as const),
    series: [
      { name: 'weekdays', kind: 'line', color: TRAIN, points: r.dailyWeekday.map((v, i) => [i, v] as const) },
      { name: 'weekends', kind: 'line', color: TEST, points: r.dailyWeekend.map((v, i) => [i, v] as const) },
    ],
  });
  return { 'weather-energy-scatter.svg': scatter, 'weather-energy-weekly.svg': weekly, 'weather-energy-daily.svg': daily };
}
