/**
 * TV viewing on the dashboard: watch time per show, per ad, and by device type
 * and location. Each request sessionizes only the events its range can need
 * (the bounded forms in sql.ts), not every event of the lake as the views
 * `watch_time_by_show` / `watch_time_by_ad` do; the result is the same.
 */
import type { PanelDefinition } from '../../sql/panel.js';
import { watchTimeByAdInRange, watchTimeByShowInRange } from './sql.js';

const HINT = 'No closed view intervals yet: run `ticklake up --sources viewing`.';

export const VIEWING_PANELS: readonly PanelDefinition[] = [
  {
    id: 'viewing-show-watch-time',
    title: 'Watch time per show',
    description:
      'Minutes watched of the 15 most watched shows whose airing started in the range, all devices and locations (watch_time_by_show over the events the range needs).',
    group: 'devices',
    chart: 'bars',
    columns: { x: 'show_name', y: ['watch_minutes'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a) => {
      const shows = watchTimeByShowInRange(a.fromUs, a.toUs);
      return {
        text: `SELECT show_title || ' (' || channel || ')' AS show_name, CAST(sum(watch_ms) AS DOUBLE) / 60000.0 AS watch_minutes
FROM ${shows.text}
GROUP BY show_title, channel
ORDER BY watch_minutes DESC, show_name
LIMIT 15`,
        params: shows.params,
      };
    },
  },
  {
    id: 'viewing-ad-watch-time',
    title: 'Watch time per ad',
    description:
      'Per ad aired in the range: impressions (views of a spot), distinct viewers, the share of impressions that saw the whole spot, and minutes watched (watch_time_by_ad over the events the range needs).',
    group: 'devices',
    chart: 'table',
    columns: { x: 'ad_id', y: ['impressions', 'viewers', 'completion_rate', 'watch_minutes'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a) => {
      const ads = watchTimeByAdInRange(a.fromUs, a.toUs);
      return {
        text: `SELECT ad_id, advertiser, CAST(sum(impressions) AS BIGINT) AS impressions, CAST(sum(viewers) AS BIGINT) AS viewers,
  CAST(sum(completed) AS DOUBLE) / CAST(sum(impressions) AS DOUBLE) AS completion_rate,
  CAST(sum(watch_ms) AS DOUBLE) / 60000.0 AS watch_minutes
FROM ${ads.text}
GROUP BY ad_id, advertiser
ORDER BY watch_minutes DESC, ad_id`,
        params: ads.params,
      };
    },
  },
  {
    id: 'viewing-by-device-location',
    title: 'Watch time by device and location',
    description:
      'Minutes watched and viewers per location and device type, over the show airings that started in the range (watch_time_by_show over the events the range needs).',
    group: 'devices',
    chart: 'table',
    columns: { x: 'location', y: ['device_type', 'viewers', 'watch_minutes'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a) => {
      const shows = watchTimeByShowInRange(a.fromUs, a.toUs);
      return {
        text: `SELECT location, device_type, CAST(sum(viewers) AS BIGINT) AS viewers, CAST(sum(watch_ms) AS DOUBLE) / 60000.0 AS watch_minutes
FROM ${shows.text}
GROUP BY location, device_type
ORDER BY watch_minutes DESC, location, device_type`,
        params: shows.params,
      };
    },
  },
];
