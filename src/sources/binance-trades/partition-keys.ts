/**
 * Partition keys of Binance records on the stream: `SYMBOL` or `SYMBOL/<n>`.
 * Historical CSV lines carry no symbol, so the handler reads it from the key.
 */

/**
 * Sub-keys per symbol. A Kinesis shard takes at most 1,000 records/s, and a busy
 * symbol bursts far above that, so producers spread a symbol over
 * `SYMBOL/0` ... `SYMBOL/15`; the handler reads the symbol before the `/`.
 * Per-symbol order across shards is not needed: everything downstream is keyed
 * by (symbol, trade_id) and aggregated by trade time.
 */
export const KEY_SPREAD = 16;

/** Cycles through the spread partition keys of each symbol. */
export class PartitionKeys {
  private readonly keys = new Map<string, string[]>();
  private n = 0;
  constructor(private readonly spread = KEY_SPREAD) {}

  next(symbol: string): string {
    let k = this.keys.get(symbol);
    if (!k) {
      k = Array.from({ length: this.spread }, (_, i) => (this.spread === 1 ? symbol : `${symbol}/${i}`));
      this.keys.set(symbol, k);
    }
    return k[this.n++ % this.spread]!;
  }
}

/** The symbol a partition key names (`SYMBOL` or `SYMBOL/<n>`). */
export function symbolOfKey(partitionKey: string): string {
  const i = partitionKey.indexOf('/');
  return i < 0 ? partitionKey : partitionKey.slice(0, i);
}
