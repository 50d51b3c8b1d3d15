/** The adapters of the forecasting workflows: model store on files and on S3, bar sources on DuckDB and Athena, Lambda configuration. */
import { describe, expect, it } from 'vitest';
import { syntheticBars } from '../../src/ml/synthetic.js';
import { trainModel } from '../../src/ml/train.js';
import { buildDataset } from '../../src/ml/features.js';
import { FileObjectStore } from '../../src/local/file-object-store.js';
import type { ObjectStore } from '../../src/lake/object-store.js';
import { DuckDbBarSource } from '../../src/local/ml/duckdb-bar-source.js';
import { BlobModelStore, type ChampionChangeEntry } from '../../src/ml/steps/model-store.js';
import { AthenaBarSource, AthenaQueryError, createAthenaApi, type AthenaApi } from '../../src/adapters/aws/ml/athena-bar-source.js';
import { S3ObjectStore } from '../../src/adapters/aws/s3-object-store.js';
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { cloudMlDependencies } from '../../src/adapters/aws/ml/cloud.js';
import { DEFAULT_ML_CONFIG, mlConfigFromEnv } from '../../src/ml/steps/config.js';
import { tempDir } from '../helpers/lake-files.js';
import { useS3rver } from '../helpers/s3rver.js';
import { T0, twoSymbolBars, writeBars } from './helpers.js';

const BUCKET = 'ticklake-models-test';
const local = useS3rver(BUCKET);

const objectStores: [string, () => ObjectStore][] = [
  ['files', () => new FileObjectStore(tempDir('ticklake-store-'))],
  ['S3 (s3rver)', () => new S3ObjectStore(local.s3, BUCKET, `run-${Math.random().toString(36).slice(2)}/model-store/`)],
];

describe.each(objectStores)('model store on %s', (_name, make) => {
  it('keeps artifacts, registry entries, the active set, per-symbol pointers, an idempotent change history and state', async () => {
    const store = new BlobModelStore(make(), () => '2026-11-10T00:00:00.000Z');
    const ds = buildDataset(syntheticBars({ minutes: 300, seed: 4 }));
    const ridge = trainModel('ridge', ds, { trainingDate: '2026-11-09', artifactUri: (id) => store.artifactUri(id) });
    const uri = await store.putArtifact(ridge.modelId, ridge.artifact);
    expect(uri).toBe(store.artifactUri('ridge-2026-11-09-v1'));
    expect(uri).toMatch(/artifacts\/ridge-2026-11-09-v1\.json$/);
    expect(await store.getArtifact(ridge.modelId)).toEqual(JSON.parse(JSON.stringify(ridge.artifact)));
    expect(await store.getArtifact('gbt-2026-11-09-v1')).toBeUndefined();
    await expect(store.getArtifact('../escape')).rejects.toThrow(/invalid model id/);

    await store.putRecord(ridge.record);
    expect(await store.listRecords()).toEqual([ridge.record]);
    expect(await store.getActiveModels()).toBeUndefined();
    await store.setActiveModels({
      runId: 'r',
      trainingDate: '2026-11-09',
      modelIds: [ridge.modelId],
      target: { field: 'close', horizon: 1 },
      activatedAt: '2026-11-09T00:00:00Z',
    });
    expect((await store.getActiveModels())?.modelIds).toEqual([ridge.modelId]);

    const change: ChampionChangeEntry = {
      evalDate: '2026-11-09',
      previousModelId: undefined,
      modelId: ridge.modelId,
      reason: 'initial',
      rmse: 1,
      baselineRmse: 2,
      symbol: 'BTCUSDT',
      modelKind: 'ridge',
      skillVsBaseline: 0.5,
      changedAt: '2026-11-10T00:00:00Z',
    };
    const pointer = { modelId: ridge.modelId, kind: 'ridge' as const, artifactUri: uri, evalDate: '2026-11-09' };
    await store.setChampion('BTCUSDT', pointer, change);
    await store.setChampion('BTCUSDT', pointer, change);
    await expect(store.setChampion('ETHUSDT', pointer, change)).rejects.toThrow(/does not match/);
    expect(await store.getChampion('BTCUSDT')).toEqual(pointer);
    expect(await store.getChampion('ETHUSDT')).toBeUndefined();
    expect(await store.listChampions()).toEqual({ BTCUSDT: pointer });
    expect(await store.championHistory()).toEqual([change]);

    // The pure core's ModelStore contract, per symbol.
    const eth = store.forSymbol('ETHUSDT');
    expect(await eth.getChampion()).toBeUndefined();
    await eth.setChampion(
      { ...pointer, evalDate: '2026-11-10' },
      { evalDate: '2026-11-10', previousModelId: undefined, modelId: ridge.modelId, reason: 'initial', rmse: 3, baselineRmse: 4 },
    );
    expect(await store.championHistory('ETHUSDT')).toEqual([
      {
        evalDate: '2026-11-10',
        modelId: ridge.modelId,
        reason: 'initial',
        rmse: 3,
        baselineRmse: 4,
        symbol: 'ETHUSDT',
        modelKind: 'ridge',
        skillVsBaseline: 0.25,
        changedAt: '2026-11-10T00:00:00.000Z',
      },
    ]);

    expect(await store.getState('live-predictor')).toBeUndefined();
    await store.putState('live-predictor', { pending: [1, 2] });
    expect(await store.getState('live-predictor')).toEqual({ pending: [1, 2] });
  });
});

describe('bar sources', () => {
  it('DuckDB: bars_1m of the local lake, by window and symbol, equal to the bars written', async () => {
    const dir = tempDir('ticklake-bars-');
    const bars = twoSymbolBars(1, 21);
    await writeBars(dir, bars);
    const source = new DuckDbBarSource(`${dir}/lake`);
    const got = await source.bars({ startUs: T0 + 60 * 60_000_000, endUs: T0 + 120 * 60_000_000, symbols: ['ETHUSDT'] });
    const want = bars.filter((b) => b.symbol === 'ETHUSDT' && b.minuteStartUs >= T0 + 60 * 60_000_000 && b.minuteStartUs < T0 + 120 * 60_000_000);
    expect(got.length).toBe(want.length);
    got.forEach((b, i) => {
      const w = want[i]!;
      expect(b.minuteStartUs).toBe(w.minuteStartUs);
      for (const k of ['open', 'high', 'low', 'close', 'vwap', 'avgPrice', 'volume', 'quoteVolume', 'tradeCount'] as const) expect(b[k]).toBeCloseTo(w[k], 6);
      expect(b.buyerMakerShare).toBeCloseTo(Math.round(w.buyerMakerShare * w.tradeCount) / w.tradeCount, 9);
    });
    expect(await source.symbols({ startUs: T0, endUs: T0 + 86_400_000_000 })).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(await source.extent()).toEqual({ firstUs: Math.min(...bars.map((b) => b.minuteStartUs)), lastUs: Math.max(...bars.map((b) => b.minuteStartUs)) });
    await expect(source.bars({ startUs: T0, endUs: T0 })).rejects.toThrow(/empty/);
  });

  it('Athena: same query text (Athena dialect), polls until done, pages through the results, skips the header row', async () => {
    const calls: string[] = [];
    let polls = 0;
    const header = {
      Data: [
        'symbol',
        'minute_us',
        'open',
        'high',
        'low',
        'close',
        'vwap',
        'avg_price',
        'avg_quantity',
        'avg_quote_quantity',
        'volume',
        'quote_volume',
        'trade_count',
        'buyer_maker_share',
      ].map((v) => ({ VarCharValue: v })),
    };
    const row = (minute: number) => ({
      Data: ['BTCUSDT', String(minute), '100', '101', '99', '100.5', '100.2', '100.1', '0.5', '50', '10', '1002', '20', '0.45'].map((v) => ({
        VarCharValue: v,
      })),
    });
    const api: AthenaApi = {
      async startQueryExecution(i) {
        calls.push(i.QueryString);
        expect(i).toMatchObject({ WorkGroup: 'ticklake-dev', QueryExecutionContext: { Database: 'ticklake_dev' } });
        return { QueryExecutionId: 'q-1' };
      },
      async getQueryExecution() {
        polls++;
        return { QueryExecution: { Status: { State: polls < 3 ? 'RUNNING' : 'SUCCEEDED' } } };
      },
      async getQueryResults(i) {
        if (!i.NextToken) return { ResultSet: { Rows: [header, row(T0)] }, NextToken: 'p2' };
        return { ResultSet: { Rows: [row(T0 + 60_000_000)] } };
      },
    };
    const source = new AthenaBarSource(api, { database: 'ticklake_dev', workGroup: 'ticklake-dev', sleep: async () => undefined });
    const bars = await source.bars({ startUs: T0, endUs: T0 + 2 * 60_000_000, symbols: ['BTCUSDT'] });
    expect(bars.map((b) => b.minuteStartUs)).toEqual([T0, T0 + 60_000_000]);
    expect(bars[0]).toMatchObject({ symbol: 'BTCUSDT', close: 100.5, avgPrice: 100.1, tradeCount: 20, buyerMakerShare: 0.45 });
    expect(polls).toBe(3);
    expect(calls[0]).toMatch(/FROM bars_1m/);
    expect(calls[0]).toMatch(/dt BETWEEN '2026-11-02' AND '2026-11-02'/);
    expect(calls[0]).toMatch(/minute_start >= TIMESTAMP '2026-11-02 00:00:00.000000'/);
    expect(calls[0]).toMatch(/to_unixtime\(minute_start\)/);
    expect(calls[0]).toMatch(/symbol IN \('BTCUSDT'\)/);
  });

  it('Athena: a failed query is an error with the reason', async () => {
    const api: AthenaApi = {
      startQueryExecution: async () => ({ QueryExecutionId: 'q-2' }),
      getQueryExecution: async () => ({ QueryExecution: { Status: { State: 'FAILED', StateChangeReason: 'TABLE_NOT_FOUND' } } }),
      getQueryResults: async () => ({}),
    };
    const source = new AthenaBarSource(api, { database: 'd', workGroup: 'w', sleep: async () => undefined });
    await expect(source.symbols({ startUs: T0, endUs: T0 + 60_000_000 })).rejects.toThrow(AthenaQueryError);
    await expect(source.symbols({ startUs: T0, endUs: T0 + 60_000_000 })).rejects.toThrow(/FAILED: TABLE_NOT_FOUND/);
  });

  it('Athena: the real SDK v3 client (mocked with aws-sdk-client-mock) runs a bars query to completion', async () => {
    // Prepare
    const athena = mockClient(AthenaClient);
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-9' });
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({ QueryExecution: { Status: { State: 'RUNNING' } } })
      .resolves({ QueryExecution: { Status: { State: 'SUCCEEDED' } } });
    athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [{ Data: [{ VarCharValue: 'symbol' }] }, { Data: [{ VarCharValue: 'BTCUSDT' }] }] } });
    const source = new AthenaBarSource(createAthenaApi(), { database: 'ticklake_dev', workGroup: 'ticklake-dev', sleep: async () => undefined });
    try {
      // Act
      const symbols = await source.symbols({ startUs: T0, endUs: T0 + 60_000_000 });
      // Assess
      expect(symbols).toEqual(['BTCUSDT']);
      const start = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
      expect(start).toMatchObject({ WorkGroup: 'ticklake-dev', QueryExecutionContext: { Database: 'ticklake_dev' } });
      expect(start.QueryString).toMatch(/bars_1m/);
      expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(2);
    } finally {
      athena.restore();
    }
  });
});

describe('Lambda configuration', () => {
  it('reads the ML settings from the environment, with the defaults', () => {
    expect(mlConfigFromEnv({})).toEqual(DEFAULT_ML_CONFIG);
    expect(
      mlConfigFromEnv({
        ML_MODEL_KINDS: 'persistence,gbt',
        ML_TRAIN_DAYS: '14',
        ML_TARGET_FIELD: 'avgPrice',
        ML_TARGET_HORIZON: '5',
        ML_MODELS_CONFIG: '{"gbt":{"nIterations":50}}',
        ML_SYMBOLS: 'btcusdt, ethusdt',
        ML_PROMOTION_WINDOW_DAYS: '3',
        ML_PROMOTION_LEVEL: '0.01',
      }),
    ).toEqual({
      kinds: ['persistence', 'gbt'],
      trainDays: 14,
      target: { field: 'avgPrice', horizon: 5 },
      models: { gbt: { nIterations: 50 } },
      minTrainRows: DEFAULT_ML_CONFIG.minTrainRows,
      symbols: ['BTCUSDT', 'ETHUSDT'],
      promotion: { windowDays: 3, level: 0.01 },
    });
    expect(() => mlConfigFromEnv({ ML_PROMOTION_LEVEL: '0.7' })).toThrow(/ML_PROMOTION_LEVEL/);
    expect(() => mlConfigFromEnv({ ML_PROMOTION_WINDOW_DAYS: '0' })).toThrow(/ML_PROMOTION_WINDOW_DAYS/);
    expect(() => mlConfigFromEnv({ ML_MODEL_KINDS: 'gbt' })).toThrow(/must include persistence/);
    expect(() => mlConfigFromEnv({ ML_MODEL_KINDS: 'persistence,xgb' })).toThrow(/unknown model kind xgb/);
    expect(() => mlConfigFromEnv({ ML_TRAIN_DAYS: '0' })).toThrow(/ML_TRAIN_DAYS/);
  });

  it('wires S3 stores from LAKE_BUCKET / MODEL_BUCKET; the Athena source is only created when bars are read', async () => {
    expect(() => cloudMlDependencies({}, { s3: local.s3 })).toThrow(/LAKE_BUCKET/);
    const deps = cloudMlDependencies({ LAKE_BUCKET: 'lake', MODEL_BUCKET: 'models', GLUE_DATABASE: 'db', ATHENA_WORKGROUP: 'wg' }, { s3: local.s3 });
    expect(deps.store.location).toBe('s3://models/model-store/');
    expect(deps.lake.location).toBe('s3://lake/');
    // The Athena client is created on first use: reading bars reaches the (mocked) service.
    const athena = mockClient(AthenaClient);
    athena.on(StartQueryExecutionCommand).rejects(new Error('AccessDeniedException: not authorized'));
    try {
      await expect(deps.bars.symbols({ startUs: T0, endUs: T0 + 60_000_000 })).rejects.toThrow(/AccessDenied/);
      expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toMatchObject({ WorkGroup: 'wg', QueryExecutionContext: { Database: 'db' } });
    } finally {
      athena.restore();
    }
  });
});
