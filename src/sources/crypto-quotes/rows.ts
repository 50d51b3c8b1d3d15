/** `crypto_quotes` column builders (hand-specialised, see src/lake/rows.ts). */
import { hourIndex, PartitionedColumns } from '../../lake/rows.js';
import type { CryptoQuote } from './quote.js';
import { CRYPTO_QUOTES } from './tables.js';

function cryptoQuoteColumns() {
  return {
    snapshot_time: [] as number[],
    symbol: [] as string[],
    coin_id: [] as string[],
    name: [] as string[],
    vs_currency: [] as string[],
    price: [] as number[],
    change_pct_24h: [] as (number | null)[],
    volume_24h: [] as number[],
    market_cap: [] as number[],
    market_cap_rank: [] as (number | null)[],
    circulating_supply: [] as (number | null)[],
    as_of: [] as number[],
    fetched_at: [] as number[],
    ingest_time: [] as number[],
  };
}

/** `crypto_quotes` rows, partitioned by the hour of snapshot_time. */
export class CryptoQuoteRows extends PartitionedColumns<ReturnType<typeof cryptoQuoteColumns>> {
  constructor() {
    super(CRYPTO_QUOTES);
  }

  protected empty() {
    return cryptoQuoteColumns();
  }

  add(q: CryptoQuote, ingestUs: number): void {
    const c = this.part(hourIndex(q.snapshot_time));
    c.snapshot_time.push(q.snapshot_time);
    c.symbol.push(q.symbol);
    c.coin_id.push(q.coin_id);
    c.name.push(q.name);
    c.vs_currency.push(q.vs_currency);
    c.price.push(q.price);
    c.change_pct_24h.push(q.change_pct_24h);
    c.volume_24h.push(q.volume_24h);
    c.market_cap.push(q.market_cap);
    c.market_cap_rank.push(q.market_cap_rank);
    c.circulating_supply.push(q.circulating_supply);
    c.as_of.push(q.as_of);
    c.fetched_at.push(q.fetched_at);
    c.ingest_time.push(ingestUs);
  }
}
