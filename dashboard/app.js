/**
 * The dashboard page: reads the panel list, builds one section per group and
 * one card per panel, then refreshes every panel every 5 s (no page reload;
 * charts keep their uPlot instance and only get new data). After every panel
 * of a refresh is drawn, `document.body.dataset.rendered` is the refresh count.
 */
import { getJson } from './api-client.js';
import { formatClock } from './format.js';
import { PanelCard } from './panels.js';

const REFRESH_MS = 5_000;
const state = { range: 'now-1h', symbol: '', paused: false, refreshes: 0, timer: undefined, running: undefined, again: false };
const cards = [];
const $ = (sel) => document.querySelector(sel);

/** The query parameters of a panel request, from the header's pickers and the card's own. */
function paramsOf(panel, picked) {
  return {
    ...(panel.params.includes('range') ? { from: state.range } : {}),
    ...(panel.params.includes('symbol') && state.symbol ? { symbol: state.symbol } : {}),
    ...(panel.params.includes('symbols') && picked.length > 0 ? { symbols: picked.join(',') } : {}),
  };
}

/** Refills the market symbol picker, keeping the chosen symbol while it is offered. */
async function loadSymbols() {
  const select = $('#symbol');
  let values = [];
  try {
    values = (await getJson('/api/panels/market-candles/choices', { from: state.range })).values;
  } catch {
    // The market panel answers its own error; the picker just stays as it is.
    return;
  }
  if (!values.includes(state.symbol)) state.symbol = values[0] ?? '';
  const same = values.length === select.options.length && values.every((v, i) => select.options[i].value === v);
  if (!same) select.replaceChildren(...values.map((v) => new Option(v, v)));
  select.value = state.symbol;
  select.disabled = values.length === 0;
}

/** Refills the cards' own symbol pickers. */
async function loadChoices() {
  await Promise.all(
    cards
      .filter((c) => c.picker && c.panel.hasChoices)
      .map(async (c) => {
        try {
          c.offer((await getJson(`/api/panels/${c.panel.id}/choices`, { from: state.range })).values);
        } catch {
          // The card itself shows the error of its data request.
        }
      }),
  );
}

/** One refresh of every card; a refresh asked for while one runs is run once after it. */
async function refresh() {
  clearTimeout(state.timer);
  if (state.running) {
    state.again = true;
    return state.running;
  }
  state.running = (async () => {
    do {
      state.again = false;
      await Promise.all([loadSymbols(), loadChoices()]);
      await Promise.all(cards.map((c) => c.refresh(paramsOf)));
      state.refreshes++;
      document.body.dataset.rendered = String(state.refreshes);
      const now = Date.now();
      const stamp = $('#updated');
      stamp.dateTime = new Date(now).toISOString();
      stamp.textContent = formatClock(now);
    } while (state.again);
  })();
  try {
    await state.running;
  } finally {
    state.running = undefined;
    schedule();
  }
}

function schedule() {
  clearTimeout(state.timer);
  if (!state.paused) state.timer = setTimeout(refresh, REFRESH_MS);
}

function buildPage(groups) {
  const main = $('#panels');
  const all = groups.flatMap((g) => g.panels);
  for (const group of groups) {
    const own = group.panels.filter((p) => !p.overlayOn);
    if (own.length === 0) continue;
    const headingId = `group-${group.id}`;
    const section = document.createElement('section');
    section.className = 'group';
    section.setAttribute('aria-labelledby', headingId);
    const h2 = document.createElement('h2');
    h2.id = headingId;
    h2.textContent = group.title;
    const grid = document.createElement('div');
    grid.className = 'cards';
    for (const p of own) {
      const card = new PanelCard(
        p,
        all.filter((o) => o.overlayOn === p.id),
        () => refresh(),
      );
      cards.push(card);
      grid.append(card.root);
    }
    section.append(h2, grid);
    main.append(section);
  }
}

function wireControls() {
  for (const input of document.querySelectorAll('input[name="range"]')) {
    if (input.checked) state.range = input.value;
    input.addEventListener('change', () => {
      state.range = input.value;
      refresh();
    });
  }
  $('#symbol').addEventListener('change', (e) => {
    state.symbol = e.target.value;
    refresh();
  });
  const pause = $('#pause');
  pause.addEventListener('click', () => {
    state.paused = !state.paused;
    pause.setAttribute('aria-pressed', String(state.paused));
    pause.textContent = state.paused ? 'Resume' : 'Pause';
    $('#refresh-state').textContent = state.paused ? 'paused' : `every ${REFRESH_MS / 1000} s`;
    if (state.paused) clearTimeout(state.timer);
    else refresh();
  });
}

async function start() {
  wireControls();
  try {
    const { groups } = await getJson('/api/panels');
    buildPage(groups);
  } catch (err) {
    const p = document.createElement('p');
    p.className = 'note error';
    p.setAttribute('role', 'alert');
    p.textContent = `Could not load the panel list: ${err.message}`;
    $('#panels').append(p);
    return;
  }
  await refresh();
}

start();
