/** Stock-lab views, in the SQL subset DuckDB and Athena share. */

/** Total volume by sector for the current UTC day, from the per-batch sector aggregates. */
export function volumeTodaySql(sectorVolume = 'sector_volume'): string {
  return `SELECT sector, sum(total_volume) AS total_volume
FROM ${sectorVolume}
WHERE "date" = current_date
GROUP BY sector`;
}

/** Total volume by date and sector (any day), for dashboards and backtests. */
export function volumeByDaySql(sectorVolume = 'sector_volume'): string {
  return `SELECT "date", sector, sum(total_volume) AS total_volume
FROM ${sectorVolume}
GROUP BY "date", sector`;
}
