const DAY_MS = 86_400_000;

/**
 * Waits, if needed, until the wall clock is at least `afterMs` past a UTC midnight and at least
 * `beforeMs` before the next one, then returns `Date.now()`. Tests of "today" views use it so a
 * run that straddles midnight does not compare yesterday's rows with today's date.
 */
export async function clearOfUtcMidnight(afterMs = 5_000, beforeMs = 30_000): Promise<number> {
  for (;;) {
    const now = Date.now();
    const intoDay = now % DAY_MS;
    if (intoDay >= afterMs && DAY_MS - intoDay >= beforeMs) return now;
    const waitMs = intoDay < afterMs ? afterMs - intoDay : DAY_MS - intoDay + afterMs;
    await new Promise((resolve) => setTimeout(resolve, waitMs + 10));
  }
}
