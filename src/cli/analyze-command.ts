/** `ticklake analyze weather-energy`: the weather x energy regression over the local lake, printed, with its plots written as SVG. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Command, Option } from 'commander';
import { analyzeWeatherEnergy, formatWeatherEnergy, type JoinedHour, weatherEnergyPlots } from '../analysis/weather-energy.js';
import { literalWindow, weatherEnergyHourlySql } from '../analysis/weather-energy-sql.js';
import { LakeSql } from '../local/lake-sql.js';
import { DUCKDB } from '../sql/dialect.js';
import { int, isoTime } from './args.js';

/** Where the plots go by default (relative to the working directory). */
export const DEFAULT_PLOT_DIR = 'docs/analysis';

/** Adds `analyze` (and its `weather-energy` analysis) to the program. */
export function registerAnalyzeCommand(
  program: Command,
  shared: { dataDirOption: () => Option; resolveDataDir: (o: string | undefined) => string; usageError: (m: string) => Error },
): void {
  const analyze = program.command('analyze').description('Analyses over the lake tables.');
  analyze
    .command('weather-energy')
    .description(
      'Join weather and household energy on the hour (the SQL also saved in Athena as the named query weather-energy-hourly), fit energy per household ~ outside temperature by least squares on the first 70 % of the hours, test on the last 30 %, print the coefficients, R² and the test RMSE, and write the plots (scatter with the fitted line, weekly and daily profiles) as SVG.',
    )
    .addOption(shared.dataDirOption())
    .addOption(new Option('--from <iso>', 'first hour (UTC); default: the earliest in the lake').argParser(isoTime))
    .addOption(new Option('--to <iso>', 'end of the range, exclusive (UTC); default: the latest in the lake').argParser(isoTime))
    .addOption(new Option('--out <dir>', 'directory the SVG plots are written to').default(DEFAULT_PLOT_DIR))
    .addOption(
      new Option('--utc-offset <hours>', 'local time of the profiles, hours from UTC (the simulated stations: Seattle, -8)')
        .default(-8)
        .argParser(int('--utc-offset', -12, 14)),
    )
    .action(async (o) => {
      const fromUs = (o.from ?? Date.UTC(2000, 0, 1)) * 1000;
      const toUs = (o.to ?? Date.UTC(2100, 0, 1)) * 1000;
      if (toUs <= fromUs) throw shared.usageError('--to must be after --from');
      const sql = await LakeSql.open(join(shared.resolveDataDir(o.dataDir), 'lake'));
      let rows: JoinedHour[];
      try {
        const res = await sql.query(weatherEnergyHourlySql(literalWindow(fromUs, toUs, DUCKDB), DUCKDB));
        const col = (name: string) => res.columns.indexOf(name);
        const [h, t, k] = [col('hour_ms'), col('temperature_c'), col('kwh_per_household')];
        rows = res.rows.map((r) => ({ hourMs: Number(r[h]), temperatureC: Number(r[t]), kwhPerHousehold: Number(r[k]) }));
      } finally {
        sql.close();
      }
      if (rows.length < 4)
        throw shared.usageError(
          `${rows.length} hours with both weather and energy in the lake; run e.g. \`ticklake demo --sources weather,energy --minutes 43200\` first`,
        );
      const result = analyzeWeatherEnergy(rows, { utcOffsetHours: o.utcOffset });
      console.log(formatWeatherEnergy(result));
      mkdirSync(o.out, { recursive: true });
      for (const [name, svg] of Object.entries(weatherEnergyPlots(rows, result))) {
        const path = join(o.out, name);
        writeFileSync(path, svg);
        console.log(`  plot             ${relative(process.cwd(), path) || path}`);
      }
    });
}
