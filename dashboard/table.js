/** A panel's rows as a real table: column headers, numbers right-aligned and formatted. */
import { columnLabel, formatChange, formatCompact, formatNumber, formatStamp } from './format.js';

/** How a cell reads, and any class it takes (`num`, `up`, `down`). */
function cell(column, v) {
  if (v === null || v === undefined) return { text: '–', cls: typeof v === 'number' ? 'num' : '' };
  if (typeof v !== 'number') return { text: String(v), cls: '' };
  if (column.endsWith('_ms')) return { text: formatStamp(v), cls: 'num' };
  if (column.startsWith('change_pct')) return { text: formatChange(v), cls: `num ${v > 0 ? 'up' : v < 0 ? 'down' : ''}` };
  if (column === 'market_cap' || column.startsWith('volume') || column.endsWith('_volume'))
    return { text: formatCompact(v), cls: 'num', title: formatNumber(v) };
  return { text: formatNumber(v), cls: 'num' };
}

/** Fills `host` with a table of `body` (replacing the previous one); `caption` names it for screen readers. */
export function renderTable(host, body, caption) {
  const table = document.createElement('table');
  const cap = table.createCaption();
  cap.className = 'visually-hidden';
  cap.textContent = caption;
  const numeric = body.columns.map((_c, i) => body.rows.some((r) => typeof r[i] === 'number'));
  const head = table.createTHead().insertRow();
  body.columns.forEach((c, i) => {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = columnLabel(c);
    if (numeric[i]) th.className = 'num';
    head.append(th);
  });
  const tbody = table.createTBody();
  for (const row of body.rows) {
    const tr = tbody.insertRow();
    body.columns.forEach((c, i) => {
      const td = tr.insertCell();
      const { text, cls, title } = cell(c, row[i]);
      td.textContent = text;
      if (cls || numeric[i]) td.className = cls || 'num';
      if (title) td.title = title;
    });
  }
  host.replaceChildren(table);
}
