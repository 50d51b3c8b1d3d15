import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/lake-files.js';

const ROOT = join(import.meta.dirname, '..');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** Runs the project's dependency rules over a small tree of files (path -> source). */
function cruise(files: Record<string, string>): { code: number | null; out: string } {
  const dir = tempDir();
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }));
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'lambdas'), { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = spawnSync(process.execPath, [DEPCRUISE, 'src', 'lambdas', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err'], {
    cwd: dir,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('dependency rules (.dependency-cruiser.cjs)', () => {
  it('accept imports that point down the layers', () => {
    const r = cruise({
      'src/core/time.ts': 'export const US = 1;\n',
      'src/lake/rows.ts': "import { US } from '../core/time.js';\nexport const R = US;\n",
      'src/sources/a/index.ts': "import { R } from '../../lake/rows.js';\nexport const A = R;\n",
      'src/ingest/t.ts': "import { A } from '../sources/a/index.js';\nexport const T = A;\n",
      'src/local/l.ts': "import { T } from '../ingest/t.js';\nexport const L = T;\n",
      'lambdas/f/handler.ts': "import { L } from '../../src/local/l.js';\nexport const handler = L;\n",
    });
    expect(r.out).toMatch(/no dependency violations/);
    expect(r.code).toBe(0);
  });

  it.each([
    [
      'core-imports-only-core',
      { 'src/core/time.ts': "import { A } from '../sources/a/index.js';\nexport const US = A;\n", 'src/sources/a/index.ts': 'export const A = 1;\n' },
    ],
    [
      'sources-are-independent',
      { 'src/sources/a/index.ts': "import { B } from '../b/parse.js';\nexport const A = B;\n", 'src/sources/b/parse.ts': 'export const B = 1;\n' },
    ],
    [
      'use-cases-stay-above-adapters',
      { 'src/ingest/t.ts': "import { L } from '../local/l.js';\nexport const T = L;\n", 'src/local/l.ts': 'export const L = 1;\n' },
    ],
    [
      'use-cases-use-a-sources-public-face',
      { 'src/ml/m.ts': "import { P } from '../sources/a/parse.js';\nexport const M = P;\n", 'src/sources/a/parse.ts': 'export const P = 1;\n' },
    ],
    ['pure-code-is-runtime-neutral', { 'src/sources/a/index.ts': "import { readFileSync } from 'node:fs';\nexport const A = readFileSync;\n" }],
    ['pure-code-is-runtime-neutral', { 'src/ingest/live.ts': "import WebSocket from 'ws';\nexport const W = WebSocket;\n" }],
    [
      'handlers-are-not-libraries',
      {
        'src/local/l.ts': "import { handler } from '../../lambdas/f/handler.js';\nexport const L = handler;\n",
        'lambdas/f/handler.ts': 'export const handler = 1;\n',
      },
    ],
    [
      'no-circular',
      {
        'src/ingest/a.ts': "import { B } from './b.js';\nexport const A = 1;\nexport const C = B;\n",
        'src/ingest/b.ts': "import { A } from './a.js';\nexport const B = A;\n",
      },
    ],
  ])('reject a wrong-way import: %s', (rule, files) => {
    const r = cruise(files);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`error ${rule}:`);
  });
});
