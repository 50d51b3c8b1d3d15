/**
 * One card per panel: title, description, the chart or table, and the text
 * shown instead when the answer is empty (the panel's hint) or an error (the
 * API's message). The card's `data-state` and `data-rows` say what the last
 * answer was, for people reading the DOM and for the browser tests.
 */
import { getJson } from './api-client.js';
import { Chart, chartSpec } from './charts.js';
import { renderTable } from './table.js';

/** `text` with its `backticked` commands as <code>. */
function withCode(el, text) {
  el.replaceChildren(
    ...text.split(/(`[^`]*`)/).map((part) => {
      if (!part.startsWith('`')) return document.createTextNode(part);
      const code = document.createElement('code');
      code.textContent = part.slice(1, -1);
      return code;
    }),
  );
}

const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
};

export class PanelCard {
  /** `panel` as `/api/panels` describes it; `overlays` are the panels drawn over it. */
  constructor(panel, overlays, onPick) {
    this.panel = panel;
    this.overlays = overlays;
    const titleId = `${panel.id}-title`;
    this.root = el('article', { className: `card card-${panel.chart}`, id: `panel-${panel.id}` });
    this.root.dataset.panel = panel.id;
    this.root.dataset.state = 'loading';
    this.root.setAttribute('aria-labelledby', titleId);
    this.root.setAttribute('aria-busy', 'true');
    const head = el('header', {}, el('h3', { id: titleId, textContent: panel.title }), el('p', { className: 'desc', textContent: panel.description }));
    this.root.append(head);
    if (panel.params.includes('symbols')) {
      this.picker = el('select', { id: `${panel.id}-symbols`, multiple: true, size: 4 });
      this.picker.addEventListener('change', () => onPick(this));
      this.root.append(
        el('div', { className: 'card-controls' }, el('label', { htmlFor: this.picker.id, textContent: 'Show (none: the default few)' }), this.picker),
      );
    }
    this.chartHost = el('div', { className: 'chart' });
    this.chartHost.setAttribute('role', 'img');
    this.tableHost = el('div', { className: 'table-wrap' });
    this.tableHost.tabIndex = 0; // a wide table scrolls: reachable by keyboard
    this.tableHost.setAttribute('role', 'region');
    this.tableHost.setAttribute('aria-label', `${panel.title} (table)`);
    this.note = el('p', { className: 'note' });
    this.root.append(panel.chart === 'table' ? this.tableHost : this.chartHost, this.note);
    this.chart = panel.chart === 'table' ? undefined : new Chart(this.chartHost);
    this.note.hidden = true;
  }

  /** The selected symbols of its picker, if it has one. */
  picked() {
    return this.picker ? [...this.picker.selectedOptions].map((o) => o.value) : [];
  }

  /** Refills the picker with `values`, keeping what is still offered selected. */
  offer(values) {
    if (!this.picker) return;
    const keep = new Set(this.picked());
    const same = values.length === this.picker.options.length && values.every((v, i) => this.picker.options[i].value === v);
    if (same) return;
    this.picker.replaceChildren(...values.map((v) => el('option', { value: v, textContent: v, selected: keep.has(v) })));
    this.picker.disabled = values.length === 0;
  }

  /** Fetches the panel (and its overlays) with `params` and draws the answer. */
  async refresh(params) {
    const query = (p) => getJson(`/api/panels/${encodeURIComponent(p.id)}`, params(p, this.picked()));
    try {
      const [body, ...overlays] = await Promise.all([query(this.panel), ...this.overlays.map(query)]);
      this.draw(
        body,
        overlays.map((b, i) => ({ panel: this.overlays[i], body: b })),
      );
    } catch (err) {
      this.fail(err.message);
    }
  }

  draw(body, overlays) {
    this.root.dataset.rows = String(body.rows.length);
    this.root.dataset.overlayRows = overlays.map((o) => o.body.rows.length).join(',');
    this.root.removeAttribute('aria-busy');
    if (body.empty) {
      this.root.dataset.state = 'empty';
      this.chart?.clear();
      this.tableHost.replaceChildren();
      this.note.className = 'note empty';
      withCode(this.note, body.hint ?? this.panel.emptyHint);
      this.note.hidden = false;
      this.show(false);
      return;
    }
    this.root.dataset.state = 'ready';
    this.note.hidden = true;
    this.show(true);
    if (this.chart)
      this.chart.show(
        chartSpec(
          this.panel,
          body,
          overlays.filter((o) => !o.body.empty),
        ),
      );
    else renderTable(this.tableHost, body, this.panel.title);
  }

  fail(message) {
    this.root.dataset.state = 'error';
    this.root.dataset.rows = '0';
    this.root.removeAttribute('aria-busy');
    this.chart?.clear();
    this.tableHost.replaceChildren();
    this.note.className = 'note error';
    this.note.textContent = `Could not load this panel: ${message}`;
    this.note.hidden = false;
    this.show(false);
  }

  show(visible) {
    (this.chart ? this.chartHost : this.tableHost).hidden = !visible;
  }
}
