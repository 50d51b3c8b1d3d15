/** The crypto price table's views, in the SQL subset DuckDB and Athena share. */

/**
 * The live ranking the old tracker's dashboard showed: the latest snapshot's
 * coins by market cap, with their 24 h change. `crypto_quotes` is at least
 * once (a re-put poll lands twice), so each (currency, symbol) of the snapshot
 * counts once: the copy fetched last. `cap_rank` is the place by market cap
 * within the currency; `market_cap_rank` is what the API reported.
 */
export function cryptoRankingSql(quotes = 'crypto_quotes'): string {
  return `SELECT
  vs_currency,
  row_number() OVER (PARTITION BY vs_currency ORDER BY market_cap DESC, symbol) AS cap_rank,
  symbol,
  name,
  price,
  change_pct_24h,
  volume_24h,
  market_cap,
  market_cap_rank,
  as_of,
  snapshot_time
FROM (
  SELECT
    *,
    row_number() OVER (PARTITION BY vs_currency, symbol ORDER BY fetched_at DESC, ingest_time DESC) AS copy_no
  FROM ${quotes}
  WHERE snapshot_time = (SELECT max(snapshot_time) FROM ${quotes})
) AS latest
WHERE copy_no = 1`;
}
