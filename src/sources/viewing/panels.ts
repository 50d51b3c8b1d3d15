/** TV viewing on the dashboard: watch time per show, per ad, and by device type and location, from the sessionized views. */
import { bind, type PanelArgs, type PanelDefinition } from '../../sql/panel.js';

const HINT = 'No closed view intervals yet: run `ticklake up --sources viewing`.';
const rangeParams = (a: PanelArgs) => [bind.time(a.fromUs), bind.time(a.toUs)];

export const VIEWING_PANELS: readonly PanelDefinition[] = [
  {
    id: 'viewing-show-watch-time',
    title: 'Watch time per show',
    description: 'Minutes watched of the 15 most watched shows whose airing started in the range, all devices and locations (view watch_time_by_show).',
    group: 'devices',
    chart: 'bars',
    columns: { x: 'show_name', y: ['watch_minutes'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a) => ({
      text: `SELECT show_title || ' (' || channel || ')' AS show_name, CAST(sum(watch_ms) AS DOUBLE) / 60000.0 AS watch_minutes
FROM watch_time_by_show
WHERE aired_at >= ? AND aired_at < ?
GROUP BY show_title, channel
ORDER BY watch_minutes DESC, show_name
LIMIT 15`,
      params: rangeParams(a),
    }),
  },
  {
    id: 'viewing-ad-watch-time',
    title: 'Watch time per ad',
    description:
      'Per ad aired in the range: impressions (views of a spot), distinct viewers, the share of impressions that saw the whole spot, and minutes watched (view watch_time_by_ad).',
    group: 'devices',
    chart: 'table',
    columns: { x: 'ad_id', y: ['impressions', 'viewers', 'completion_rate', 'watch_minutes'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a) => ({
      text: `SELECT ad_id, advertiser, CAST(sum(impressions) AS BIGINT) AS impressions, CAST(sum(viewers) AS BIGINT) AS viewers,
  CAST(sum(completed) AS DOUBLE) / CAST(sum(impressions) AS DOUBLE) AS completion_rate,
  CAST(sum(watch_ms) AS DOUBLE) / 60000.0 AS watch_minutes
FROM watch_time_by_ad
WHERE spot_aired_at >= ? AND spot_aired_at < ?
GROUP BY ad_id, advertiser
ORDER BY watch_minutes DESC, ad_id`,
      params: rangeParams(a),
    }),
  },
  {
    id: 'viewing-by-device-location',
    title: 'Watch time by device and location',
    description: 'Minutes watched and viewers per location and device type, over the show airings that started in the range (view watch_time_by_show).',
    group: 'devices',
    chart: 'table',
    columns: { x: 'location', y: ['device_type', 'viewers', 'watch_minutes'] },
    params: ['range'],
    emptyHint: HINT,
    query: (a) => ({
      text: `SELECT location, device_type, CAST(sum(viewers) AS BIGINT) AS viewers, CAST(sum(watch_ms) AS DOUBLE) / 60000.0 AS watch_minutes
FROM watch_time_by_show
WHERE aired_at >= ? AND aired_at < ?
GROUP BY location, device_type
ORDER BY watch_minutes DESC, location, device_type`,
      params: rangeParams(a),
    }),
  },
];
