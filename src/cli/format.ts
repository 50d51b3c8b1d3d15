/** Output formatting for the CLI: aligned tables, CSV and JSON. */
import type { JsonValue, QueryResult } from '../local/lake-sql.js';

export type OutputFormat = 'table' | 'csv' | 'json';

function cell(v: JsonValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** An aligned text table; numbers are right-aligned. */
export function formatTable(r: QueryResult, maxWidth = 60): string {
  const clip = (s: string) => (s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s);
  const head = r.columns.map(clip);
  const body = r.rows.map((row) => row.map((v) => clip(cell(v))));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const numeric = r.columns.map((_, i) => r.rows.length > 0 && r.rows.every((row) => typeof row[i] === 'number' || row[i] === null));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  out.push(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})`);
  return out.join('\n');
}

function csvCell(v: JsonValue): string {
  if (v === null) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** RFC 4180 CSV with a header line. */
export function formatCsv(r: QueryResult): string {
  return [r.columns.map((c) => csvCell(c)).join(','), ...r.rows.map((row) => row.map(csvCell).join(','))].join('\n');
}

/** A JSON array of row objects. */
export function formatJson(r: QueryResult): string {
  return JSON.stringify(r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i] ?? null]))));
}

export function formatResult(r: QueryResult, format: OutputFormat): string {
  switch (format) {
    case 'csv':
      return formatCsv(r);
    case 'json':
      return formatJson(r);
    default:
      return formatTable(r);
  }
}

/** 1234567 -> "1,234,567". */
export const num = (n: number) => Math.round(n).toLocaleString('en-US');

/** Bytes as "12.3 MB". */
export function bytes(n: number): string {
  const u = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < u.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${u[i]}`;
}
