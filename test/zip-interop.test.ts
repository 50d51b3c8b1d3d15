import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLines } from '../src/local/trade-files.js';
import { tempDir } from './helpers/lake-files.js';

// Binance's daily files are zips made by other tools; Python's zipfile (deflate) stands in for them.
const python = spawnSync('python3', ['--version']).status === 0;
if (!python) console.warn('zip interop test skipped: python3 is not installed, so no independent zip writer is available');

describe('reading zips written by another tool', () => {
  it.skipIf(!python)('streams the CSV entry of a deflated zip made by Python zipfile, data descriptor and all', async () => {
    // Prepare
    const dir = tempDir();
    const lines = [
      'id,price,qty,quote_qty,time,is_buyer_maker,is_best_match',
      ...Array.from(
        { length: 5000 },
        (_, i) => `${1000 + i},97000.${String(i % 100).padStart(2, '0')}000000,0.00100000,97.00000000,${1735689600000000 + i},True,True`,
      ),
    ];
    const csv = join(dir, 'src.csv');
    writeFileSync(csv, `${lines.join('\n')}\n`);
    const zip = join(dir, 'BTCUSDT-trades-2025-01-01.zip');
    const py = `import zipfile,sys\nwith zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:\n  with z.open('BTCUSDT-trades-2025-01-01.csv', 'w') as f:\n    f.write(open(sys.argv[1], 'rb').read())\n`;
    const r = spawnSync('python3', ['-c', py, csv, zip]);
    expect(r.status, String(r.stderr)).toBe(0);
    // Act
    const got: string[] = [];
    for await (const l of readLines(zip)) got.push(l);
    // Assess
    expect(got).toEqual(lines);
  });
});
