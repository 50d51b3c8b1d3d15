/** A one-day trade file is recognised from its two ends, so the local backfill reads it in place without a pass. */
import { describe, expect, it } from 'vitest';
import { oneDayFromEnds } from '../src/backfill/split.js';

const NOW_US = Date.UTC(2026, 11, 4) * 1000;
const line = (id: number, timeMs: number) => `${id},97000.10,0.00100000,97.00010000,${timeMs},true,true`;
const HEADER = 'id,price,qty,quote_qty,time,is_buyer_maker,is_best_match';

describe('oneDayFromEnds', () => {
  it('names the day when the first and last trade lines share it', () => {
    // Prepare
    const head = `${HEADER}\n${line(1, Date.UTC(2026, 10, 2, 0, 0, 1))}\n${line(2, Date.UTC(2026, 10, 2, 0, 0, 2))}\n1,97`;
    const tail = `0.1,0\n${line(9, Date.UTC(2026, 10, 2, 23, 59, 58))}\n${line(10, Date.UTC(2026, 10, 2, 23, 59, 59))}\n`;
    // Act / Assess
    expect(oneDayFromEnds(head, tail, NOW_US)).toBe('2026-11-02');
  });

  it('names none when the ends fall on different days, or a line cannot be read', () => {
    const head = `${HEADER}\n${line(1, Date.UTC(2026, 10, 2, 12))}\n`;
    expect(oneDayFromEnds(head, `x\n${line(9, Date.UTC(2026, 10, 3, 0, 0, 1))}\n`, NOW_US)).toBeUndefined();
    expect(oneDayFromEnds(`${HEADER}\n`, `x\n${line(9, Date.UTC(2026, 10, 2, 1))}\n`, NOW_US)).toBeUndefined();
    // A cut last line of the head and a cut first line of the tail are never read as trades.
    expect(oneDayFromEnds(`${HEADER}\n${line(1, Date.UTC(2026, 10, 2, 12)).slice(0, 30)}`, `0,true,true\n`, NOW_US)).toBeUndefined();
  });
});
