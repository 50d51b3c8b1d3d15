/**
 * Progress display for long work: a cli-progress bar on an interactive
 * terminal, a plain line every few seconds otherwise (CI logs, pipes).
 * Always on stderr, so stdout stays clean for results.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

export function createProgress(label: string, unit: string, enabled = true): Progress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
        formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? Math.round(v).toLocaleString('en-US') : String(v)),
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    const t0 = Date.now();
    return {
      update(done, total) {
        const rate = Math.round(done / Math.max(0.001, (Date.now() - t0) / 1000)).toLocaleString('en-US');
        if (!started) {
          bar.start(Math.max(total ?? done, 1), done, { rate });
          started = true;
        }
        if (total !== undefined) bar.setTotal(Math.max(total, 1));
        bar.update(done, { rate });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = 0;
  const t0 = Date.now();
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 5_000) return;
      last = now;
      const pct = total ? ` (${((100 * done) / total).toFixed(0)}%)` : '';
      const rate = Math.round(done / Math.max(0.001, (now - t0) / 1000));
      process.stderr.write(
        `${label}: ${done.toLocaleString('en-US')}${total ? ` / ${total.toLocaleString('en-US')}` : ''} ${unit}${pct}, ${rate.toLocaleString('en-US')}/s\n`,
      );
    },
    stop: () => undefined,
  };
}
