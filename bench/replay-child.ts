/**
 * Benchmark child: replays one trade file through the local runtime in its own
 * process (so its peak RSS is the replay's alone) and prints one JSON line.
 * Usage: tsx bench/replay-child.ts <file> <data-dir> [symbol]
 */
import { runPipeline } from '../src/local/pipeline.js';
import { fileSource } from '../src/local/sources.js';

const [file, dataDir, symbol] = process.argv.slice(2);
if (!file || !dataDir) throw new Error('usage: replay-child <file> <data-dir> [symbol]');
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
const s = await runPipeline({ dataDir, jobId: 'bench', source: () => fileSource(file, symbol ? { symbol } : {}) });
clearInterval(sampler);
const maxRssKb = process.resourceUsage().maxRSS;
process.stdout.write(
  `${JSON.stringify({
    records: s.recordsProcessed,
    trades: s.rowsByTable.trades ?? 0,
    seconds: s.seconds,
    maxRssMb: Math.max(maxRssKb / 1024, peakRss / 2 ** 20),
  })}\n`,
);
