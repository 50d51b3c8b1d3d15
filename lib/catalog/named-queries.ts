/**
 * Saved Athena queries for the views users need. Athena (Trino) SQL only: these
 * use `date_format`, `max_by`, `date_trunc` and interval arithmetic the way
 * Athena does, and are not meant to run on the laptop's embedded engine.
 *
 * Every query filters on the `dt` partition column so partition projection
 * prunes the scan to the days it needs.
 */
import { weatherEnergyHourlySql } from '../../src/analysis/weather-energy-sql.js';
import { ATHENA } from '../../src/sql/dialect.js';

export interface NamedQueryDef {
  readonly name: string;
  readonly description: string;
  /** Lake tables the query reads; it is only created when they all exist. */
  readonly tables: readonly string[];
  readonly sql: string;
}

const today = "date_format(current_date, '%Y-%m-%d')";
const yesterday = "date_format(current_date - INTERVAL '1' DAY, '%Y-%m-%d')";
const daysAgo30 = "date_format(current_date - INTERVAL '30' DAY, '%Y-%m-%d')";

export function namedQueries(): NamedQueryDef[] {
  return [
    {
      name: 'weather-energy-hourly',
      tables: ['weather_observations', 'energy_readings'],
      description:
        'Weather and household energy joined on the hour over the last 30 days: mean temperature, humidity, wind and precipitation of the stations, mean energy per household (the input of ticklake analyze weather-energy)',
      // The same SQL the local analysis runs, over a window Athena computes.
      sql: weatherEnergyHourlySql(
        {
          dtFrom: daysAgo30,
          dtTo: today,
          from: "CAST(date_trunc('day', current_timestamp) - INTERVAL '30' DAY AS timestamp)",
          to: 'CAST(current_timestamp AS timestamp)',
        },
        ATHENA,
      ),
    },
    {
      name: 'trades-minute-bars-today',
      tables: ['trades'],
      description: 'Per-minute OHLC, volume, trade count and buyer-maker share per symbol for today (UTC) - the aggregate the old MapReduce job computed',
      sql: `SELECT symbol,
       date_trunc('minute', trade_time) AS minute_start,
       min_by(price, trade_time) AS open,
       max(price) AS high,
       min(price) AS low,
       max_by(price, trade_time) AS close,
       avg(price) AS avg_price,
       sum(quantity) AS volume,
       sum(quote_quantity) AS quote_volume,
       count(*) AS trades,
       avg(IF(is_buyer_maker, 1.0, 0.0)) AS buyer_maker_share
FROM trades
WHERE dt = ${today}
GROUP BY 1, 2
ORDER BY 1, 2`,
    },
    {
      name: 'trades-latest-price',
      tables: ['trades'],
      description: 'Last traded price per symbol and trades in the last hour (live ranking)',
      sql: `SELECT symbol,
       max_by(price, trade_time) AS last_price,
       max(trade_time) AS last_trade_time,
       count(*) AS trades_last_hour,
       sum(quote_quantity) AS quote_volume_last_hour
FROM trades
WHERE dt >= ${yesterday}
  AND trade_time >= CAST(current_timestamp - INTERVAL '1' HOUR AS timestamp)
GROUP BY symbol
ORDER BY quote_volume_last_hour DESC`,
    },
    {
      name: 'volume-today-by-symbol',
      tables: ['trades'],
      description: "Today's traded volume per symbol (UTC day) - the old volume_today view",
      sql: `SELECT symbol,
       sum(quantity) AS volume,
       sum(quote_quantity) AS quote_volume,
       count(*) AS trades
FROM trades
WHERE dt = ${today}
GROUP BY symbol
ORDER BY quote_volume DESC`,
    },
    {
      name: 'quarantine-by-reason-24h',
      tables: ['quarantine'],
      description: 'Quarantined records of the last 24 hours by reason and source, with an example payload',
      sql: `SELECT reason_code,
       source,
       count(*) AS records,
       min(ingest_time) AS first_seen,
       max(ingest_time) AS last_seen,
       arbitrary(substr(raw_payload, 1, 200)) AS example_payload
FROM quarantine
WHERE dt >= ${yesterday}
  AND ingest_time >= CAST(current_timestamp - INTERVAL '1' DAY AS timestamp)
GROUP BY reason_code, source
ORDER BY records DESC`,
    },
    {
      name: 'raw-events-per-hour',
      tables: ['raw_events'],
      description: 'Records landed per stream, day and hour over the last two days (ingestion completeness)',
      sql: `SELECT stream_name, dt, hour,
       count(*) AS records,
       count(DISTINCT shard_id) AS shards,
       min(arrival_time) AS first_arrival,
       max(arrival_time) AS last_arrival
FROM raw_events
WHERE dt >= ${yesterday}
GROUP BY stream_name, dt, hour
ORDER BY dt DESC, hour DESC, stream_name`,
    },
  ];
}
