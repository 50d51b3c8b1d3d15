/**
 * The weather source on the shared HTTP poller, against a real local HTTP
 * server answering in Open-Meteo's format: a forecast for the current hour,
 * 429 with Retry-After, 500, a timeout, malformed JSON, an Open-Meteo error
 * object, a forecast without the polled hour, and bad values quarantined by
 * the stream transform; without a URL, the simulated API.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { slotAtOrBefore } from '../src/adapters/http/poll-policy.js';
import { type PollResult, pollOnce, pollTargetOf } from '../src/adapters/http/poller.js';
import type { StreamProducer } from '../src/ingest/stream-producer.js';
import { createStreamTransform } from '../src/ingest/stream-transform.js';
import { FileObjectStore } from '../src/local/file-object-store.js';
import { SEATTLE_SITES } from '../src/core/climate.js';
import { OPEN_METEO_FORECAST_URL, weather } from '../src/sources/weather/index.js';
import type { WeatherRecord } from '../src/sources/weather/observation.js';
import { closeServers, type Handler, json, MemoryProducer, serve as serveAt } from './helpers/http-test-server.js';
import { kinesisEvent } from './helpers/kinesis-events.js';
import { tempDir, withLake } from './helpers/lake-files.js';

/** A real-format Open-Meteo forecast (one location, 24 hours of 2026-11-02 UTC, wind in km/h). */
const FIXTURE = JSON.parse(readFileSync(join(import.meta.dirname, 'open-meteo-forecast.json'), 'utf8')) as Record<string, any>;
const HOUR = 3_600_000;

/** The fixture as the API would answer now: the same 24 hours, moved to today (UTC). */
function todaysForecast(nowMs = Date.now(), over: (hourly: Record<string, unknown[]>) => void = () => undefined): Record<string, any> {
  const day = Math.floor(nowMs / 86_400_000) * 86_400_000;
  const hourly = { ...FIXTURE.hourly, time: (FIXTURE.hourly.time as string[]).map((_, h) => new Date(day + h * HOUR).toISOString().slice(0, 16)) };
  for (const k of Object.keys(hourly)) hourly[k] = [...hourly[k]];
  over(hourly);
  return { ...FIXTURE, hourly };
}

afterEach(closeServers);

/** A local server answering on Open-Meteo's forecast path. */
const serve = (handler: Handler) =>
  serveAt(handler, '/v1/forecast?latitude=47.6&longitude=-122.33&hourly=temperature_2m,relative_humidity_2m,wind_speed_10m,precipitation,weather_code');

const FAST_RETRY = { maxRetries: 3, baseDelayMs: 20, maxDelayMs: 100, minAttemptMs: 50 };

/** One poll of the current hour against `url`, with fast retries and a deadline a minute away. */
function poll(url: string, producer: StreamProducer, extra: Partial<Parameters<typeof pollOnce>[0]> = {}): Promise<PollResult> {
  return pollOnce({ target: pollTargetOf(weather, { url }), producer, retry: FAST_RETRY, timeoutMs: 2_000, deadlineMs: Date.now() + 60_000, ...extra });
}

describe('weather poller: one poll against a local Open-Meteo server', () => {
  it("fetches a forecast and puts the current hour's observation, keyed by the station, through the producer port", async () => {
    // Prepare
    const server = await serve((_req, res) => json(res, todaysForecast()));
    const producer = new MemoryProducer();
    const slot = slotAtOrBefore(Date.now(), HOUR);
    // Act
    const r = await poll(server.url, producer);
    // Assess
    expect(r).toMatchObject({ ok: true, slotMs: slot, records: 1, attempts: 1 });
    expect(server.headers[0]).toMatchObject({ accept: 'application/json' });
    expect(producer.put.map((e) => e.partitionKey)).toEqual(['weather/47.5956,-122.3244']);
    const doc = JSON.parse(producer.put[0]!.data) as WeatherRecord;
    const h = new Date(slot).getUTCHours();
    expect(doc.hour).toEqual({
      time: new Date(slot).toISOString().slice(0, 16),
      temperature_2m: FIXTURE.hourly.temperature_2m[h],
      relative_humidity_2m: FIXTURE.hourly.relative_humidity_2m[h],
      wind_speed_10m: FIXTURE.hourly.wind_speed_10m[h],
      precipitation: FIXTURE.hourly.precipitation[h],
      weather_code: FIXTURE.hourly.weather_code[h],
    });
  });

  it('honours a 429 Retry-After: waits that long, then succeeds', async () => {
    // Prepare: Open-Meteo's rate-limit answer first
    const server = await serve((_req, res, n) =>
      n === 0
        ? json(res, { error: true, reason: 'Minutely API request limit exceeded. Please try again in one minute.' }, 429, { 'retry-after': '1' })
        : json(res, todaysForecast()),
    );
    // Act
    const r = await poll(server.url, new MemoryProducer());
    // Assess
    expect(r).toMatchObject({ ok: true, attempts: 2, records: 1 });
    expect(server.times[1]! - server.times[0]!).toBeGreaterThanOrEqual(990);
  });

  it('retries a 500 with backoff, then succeeds; gives up after its retries', async () => {
    // Prepare
    const flaky = await serve((_req, res, n) => (n < 2 ? json(res, { error: true, reason: 'internal' }, 500) : json(res, todaysForecast())));
    const down = await serve((_req, res) => json(res, { error: true, reason: 'internal' }, 500));
    // Act
    const a = await poll(flaky.url, new MemoryProducer());
    const b = await poll(down.url, new MemoryProducer());
    // Assess
    expect(a).toMatchObject({ ok: true, attempts: 3, records: 1 });
    expect(b).toMatchObject({ ok: false, kind: 'http', status: 500, attempts: 4, reason: 'HTTP 500, after 4 attempts' });
  });

  it('times out a request that does not answer, retries it, and fails as a timeout when none answers', async () => {
    // Prepare: first no answer, then half a body, then the forecast; and a server that never answers
    const slow = await serve((_req, res, n) => {
      if (n === 0) return;
      if (n === 1) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"latitude":47.595562,');
        return;
      }
      json(res, todaysForecast());
    });
    const silent = await serve(() => undefined);
    // Act
    const a = await poll(slow.url, new MemoryProducer(), { timeoutMs: 300 });
    const b = await poll(silent.url, new MemoryProducer(), { timeoutMs: 200, retry: { ...FAST_RETRY, maxRetries: 1 } });
    // Assess
    expect(a).toMatchObject({ ok: true, attempts: 3, records: 1 });
    expect(b).toMatchObject({ ok: false, kind: 'timeout', attempts: 2, reason: 'no response within 200 ms, after 2 attempts' });
  });

  it('fails a poll whose body is malformed JSON, an error object or lacks the hour, without retrying or putting anything', async () => {
    // Prepare
    const truncated = await serve((_req, res) => json(res, JSON.stringify(todaysForecast()).slice(0, 700)));
    const error = await serve((_req, res) =>
      json(res, { error: true, reason: 'Cannot initialize WeatherVariable from invalid String value temperature_3m for key hourly' }),
    );
    const yesterday = await serve((_req, res) => json(res, todaysForecast(Date.now() - 86_400_000)));
    const producer = new MemoryProducer();
    // Act
    const a = await poll(truncated.url, producer);
    const b = await poll(error.url, producer);
    const c = await poll(yesterday.url, producer);
    // Assess
    expect(a).toMatchObject({ ok: false, kind: 'body', attempts: 1 });
    expect(!a.ok && a.reason).toMatch(/^malformed JSON \(700 characters\): /);
    expect(b).toMatchObject({ ok: false, kind: 'body', attempts: 1, reason: expect.stringMatching(/error object: Cannot initialize WeatherVariable/) });
    expect(c).toMatchObject({ ok: false, kind: 'body', reason: expect.stringMatching(/^location 0 has no hour .* \(the poll's slot\) in hourly\.time$/) });
    expect([truncated, error, yesterday].map((s) => s.times.length)).toEqual([1, 1, 1]);
    expect(producer.calls).toHaveLength(0);
  });

  it('puts an hour with bad values; the stream transform quarantines it with its reason', async () => {
    // Prepare: the current hour's humidity is impossible, at a second location the temperature is missing
    const slot = slotAtOrBefore(Date.now(), HOUR);
    const h = new Date(slot).getUTCHours();
    const a = todaysForecast(Date.now(), (x) => {
      x.relative_humidity_2m![h] = 140;
    });
    const b = {
      ...todaysForecast(Date.now(), (x) => {
        x.temperature_2m![h] = null;
      }),
      latitude: 47.9,
    };
    const c = { ...todaysForecast(), latitude: 47.2 };
    const server = await serve((_req, res) => json(res, [a, b, c]));
    const producer = new MemoryProducer();
    const root = tempDir();
    const handler = createStreamTransform({ lake: new FileObjectStore(root) });
    // Act
    const r = await poll(server.url, producer);
    await handler(kinesisEvent(producer.put.map((e) => ({ data: e.data, partitionKey: e.partitionKey }))));
    // Assess
    expect(r).toMatchObject({ ok: true, records: 3 });
    await withLake(root, async (sql) => {
      const rows = await sql.query('SELECT station FROM weather_observations');
      const q = await sql.query("SELECT reason_code FROM quarantine WHERE source = 'weather' ORDER BY reason_code");
      expect(rows.rows).toEqual([['47.2000,-122.3244']]);
      expect(q.rows.map((x) => x[0])).toEqual(['HUMIDITY_OUT_OF_RANGE', 'MISSING_FIELD']);
    });
  });

  it('without a URL polls the simulated API (the four Seattle stations) through the same path', async () => {
    // Prepare
    const target = pollTargetOf(weather);
    const producer = new MemoryProducer();
    // Act: with time of its own (in the last seconds of an hour the slot's own deadline leaves none)
    const r = await pollOnce({ target, producer, timeoutMs: 30_000, deadlineMs: Date.now() + 60_000 });
    // Assess
    expect(target).toMatchObject({ simulated: true, url: OPEN_METEO_FORECAST_URL, intervalMs: HOUR });
    expect(weather.poller!.urlFlag).toBe('--weather-url');
    expect(r).toMatchObject({ ok: true, records: SEATTLE_SITES.length });
  });
});
