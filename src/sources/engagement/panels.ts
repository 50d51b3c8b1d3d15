/** Short-video engagement on the dashboard: views, likes and watch time per category, from the merged windows. */
import { bind, type PanelDefinition } from '../../sql/panel.js';
import { ENGAGEMENT_BY_MINUTE } from './tables.js';

const HINT = 'No engagement events yet: run `ticklake up --sources engagement`.';
const V = ENGAGEMENT_BY_MINUTE.name;
/** The range filter on the merged windows (partition pruning by dt, then the window start). */
const RANGE = 'dt BETWEEN ? AND ? AND window_start >= ? AND window_start < ?';
const rangeParams = (a: { fromUs: number; toUs: number }) => [bind.day(a.fromUs), bind.day(a.toUs), bind.time(a.fromUs), bind.time(a.toUs)];

export const ENGAGEMENT_PANELS: readonly PanelDefinition[] = [
  {
    id: 'engagement-by-category',
    title: 'Engagement per category',
    description: 'Views, likes, like rate and average watch time per video category over the range (view engagement_by_minute).',
    group: 'devices',
    chart: 'table',
    columns: { x: 'category', y: ['views', 'likes', 'like_rate', 'avg_watch_time'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a) => ({
      text: `SELECT category, CAST(sum(views) AS BIGINT) AS views, CAST(sum(likes) AS BIGINT) AS likes,
  CAST(sum(likes) AS DOUBLE) / CAST(sum(views) AS DOUBLE) AS like_rate,
  sum(total_watch_time) / CAST(sum(views) AS DOUBLE) AS avg_watch_time
FROM ${V}
WHERE ${RANGE}
GROUP BY category
ORDER BY views DESC, category`,
      params: rangeParams(a),
    }),
  },
  {
    id: 'engagement-watch-time',
    title: 'Average watch time per minute',
    description: 'Mean seconds watched per view, per category and 1-minute window of event time (view engagement_by_minute).',
    group: 'devices',
    chart: 'lines',
    columns: { x: 't', y: ['avg_watch_time'], series: 'category' },
    params: ['range'],
    emptyHint: HINT,
    query: (a, d) => ({
      text: `SELECT ${d.epochMillis('window_start')} AS t, category, avg_watch_time
FROM ${V}
WHERE ${RANGE}
ORDER BY t, category`,
      params: rangeParams(a),
    }),
  },
];
