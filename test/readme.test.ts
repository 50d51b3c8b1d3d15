import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NAMED_VIEWS, TABLES } from '../src/catalog.js';
import { SOURCES } from '../src/sources/index.js';

const ROOT = join(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first fenced block after a heading. */
function blockAfter(heading: string): string {
  const at = README.indexOf(`\n${heading}\n`);
  expect(at, heading).toBeGreaterThan(0);
  const start = README.indexOf('```\n', at) + 4;
  return README.slice(start, README.indexOf('\n```', start));
}

/** The rows of the first table after a heading, as cells. */
function tableAfter(heading: string): string[][] {
  const at = README.indexOf(`\n${heading}\n`);
  const lines = README.slice(at).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const l of lines.slice(first + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const list = (cell: string) => (cell.trim() === '' ? [] : cell.split(',').map((x) => x.trim()));

describe('README', () => {
  it('the data-flow diagram lists exactly the registered sources, each with how it enters, its tables, views and dimensions', () => {
    // Prepare
    const diagram = blockAfter('## Data flow');
    const rows = diagram.split('\n').flatMap((l) => {
      const m = /^\s*\[([a-z0-9-]+)\]\s+(.+?)\s{2,}(.+?)(?:\s{2,}(.*))?$/.exec(l);
      return m ? [{ id: m[1]!, enters: list(m[2]!), writes: list(m[3]!), derived: list(m[4] ?? '') }] : [];
    });
    // Assess
    expect(rows.map((r) => r.id)).toEqual(SOURCES.map((s) => s.id));
    for (const s of SOURCES) {
      const row = rows.find((r) => r.id === s.id)!;
      expect(row.enters, s.id).toEqual([...s.enters]);
      expect(row.writes, s.id).toEqual(s.tables.map((t) => t.name));
      const derived = [...(s.viewTables ?? []).map((v) => v.table.name), ...(s.dimensions ?? []).map((d) => d.table.name), ...Object.keys(s.namedViews ?? {})];
      expect(row.derived, s.id).toEqual(derived);
    }
  });

  it('the data-flow diagram names every lake table and view', () => {
    const diagram = blockAfter('## Data flow');
    for (const name of [...Object.keys(TABLES), ...Object.keys(NAMED_VIEWS)]) expect(diagram, name).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('the layout table names paths that exist, and every folder of src/ and every entry-point folder', () => {
    // Prepare
    const paths = tableAfter('## Layout').flatMap((r) => [...r[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\/$/, '')));
    const folders = (dir: string) =>
      readdirSync(join(ROOT, dir))
        .filter((f) => statSync(join(ROOT, dir, f)).isDirectory())
        .map((f) => `${dir}/${f}`);
    const expected = [...folders('src'), ...folders('src/adapters'), ...folders('lambdas'), 'lib', 'bin', 'bench', 'glue-schemas', 'test'];
    // Assess
    for (const p of paths) expect(existsSync(join(ROOT, p)), `${p} is in the layout table but not in the tree`).toBe(true);
    for (const f of expected)
      expect(
        paths.some((p) => p === f || p.startsWith(`${f}/`)),
        `${f} is missing from the layout table`,
      ).toBe(true);
  });
});
