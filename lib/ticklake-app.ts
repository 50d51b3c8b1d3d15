/**
 * Assembles the ticklake stacks, split by lifecycle so that replacing compute
 * never touches data:
 *
 *   storage        buckets (lake, Athena results, model artifacts, access logs)
 *   catalog        Glue database + tables (partition projection), Athena workgroup, saved queries
 *   ingestion      Kinesis stream, or MSK Serverless cluster and its VPC
 *   processing     stream-transform function and its event source
 *   timeseries     Timestream LiveAnalytics or Timestream for InfluxDB (+ writer), if enabled
 *   orchestration  forecasting functions, training / evaluation state machines and their schedules
 *   observability  dashboard, alarms, alarm topic
 *   binance-live   the Binance live connector on ECS Fargate, if enabled (binanceLive=true)
 *   dashboard      the dashboard page (S3 + CloudFront) and its API on Athena, if enabled (dashboard=true)
 *   cdc            AWS DMS from the web shop's PostgreSQL to the stream, if enabled (cdc=true)
 */
import { existsSync } from 'node:fs';
import { type App, type Environment, Tags } from 'aws-cdk-lib';
import { ENRICHED_RESULT_SOURCES, type EnrichedResultSource } from '../src/enriched/lake-queries.js';
import { namePrefix, type TicklakeConfig } from './config.js';
import { TIMESERIES_WRITER_ENTRY } from './paths.js';
import { BinanceLiveStack } from './stacks/binance-live-stack.js';
import { CdcStack } from './stacks/cdc-stack.js';
import { CatalogStack } from './stacks/catalog-stack.js';
import { DashboardStack } from './stacks/dashboard-stack.js';
import { enrichedStreamNameOf, IngestionStack } from './stacks/ingestion-stack.js';
import { ObservabilityStack } from './stacks/observability-stack.js';
import { OrchestrationStack } from './stacks/orchestration-stack.js';
import { ProcessingStack } from './stacks/processing-stack.js';
import { StorageStack } from './stacks/storage-stack.js';
import { TimeSeriesStack } from './stacks/time-series-stack.js';

export interface TicklakeStacks {
  readonly storage: StorageStack;
  readonly catalog: CatalogStack;
  readonly ingestion: IngestionStack;
  readonly processing: ProcessingStack;
  readonly timeSeries?: TimeSeriesStack;
  readonly orchestration: OrchestrationStack;
  readonly observability: ObservabilityStack;
  readonly binanceLive?: BinanceLiveStack;
  readonly dashboard?: DashboardStack;
  readonly cdc?: CdcStack;
}

export interface TicklakeAppOptions {
  /** Stream-transform entry override (tests). */
  readonly streamTransformEntry?: string;
  /**
   * Time-series writer entry. Defaults to lambdas/timeseries-writer/handler.ts
   * when that file exists; `null` deploys the store without a writer.
   */
  readonly timeSeriesWriterEntry?: string | null;
  /** Dashboard API entry override (tests). */
  readonly dashboardApiEntry?: string;
}

/** Stack names, e.g. `ticklake-dev-storage`. */
export function stackNames(config: Pick<TicklakeConfig, 'stage'>) {
  const p = namePrefix(config);
  return {
    storage: `${p}-storage`,
    catalog: `${p}-catalog`,
    ingestion: `${p}-ingestion`,
    processing: `${p}-processing`,
    timeSeries: `${p}-timeseries`,
    orchestration: `${p}-orchestration`,
    observability: `${p}-observability`,
    binanceLive: `${p}-binance-live`,
    dashboard: `${p}-dashboard`,
    cdc: `${p}-cdc`,
  } as const;
}

export function createTicklake(app: App, config: TicklakeConfig, options: TicklakeAppOptions = {}): TicklakeStacks {
  const env: Environment = {
    account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: config.region ?? process.env.CDK_DEFAULT_REGION,
  };
  const names = stackNames(config);
  const common = { env, config, terminationProtection: false };
  const describe = (what: string) => `ticklake (${config.stage}) - ${what}${config.description ? ` - ${config.description}` : ''}`;

  const storage = new StorageStack(app, names.storage, {
    ...common,
    stackName: names.storage,
    description: describe('lake, Athena results and model artifact buckets'),
  });
  const catalog = new CatalogStack(app, names.catalog, {
    ...common,
    stackName: names.catalog,
    description: describe('Glue tables with partition projection, Athena workgroup and saved queries'),
    lakeBucketName: storage.lakeBucketName,
    athenaResultsBucket: storage.athenaResultsBucket,
  });
  const ingestion = new IngestionStack(app, names.ingestion, {
    ...common,
    stackName: names.ingestion,
    description: describe(config.ingestion === 'msk' ? 'MSK Serverless cluster' : 'Kinesis data stream'),
  });
  const processing = new ProcessingStack(app, names.processing, {
    ...common,
    stackName: names.processing,
    description: describe('stream-transform function and its event source'),
    lakeBucketName: storage.lakeBucketName,
    stream: ingestion.stream,
    msk: ingestion.msk,
    entry: options.streamTransformEntry,
  });

  // Addressed by name: make the order explicit.
  catalog.addStackDependency(storage);
  processing.addStackDependency(storage);

  let timeSeries: TimeSeriesStack | undefined;
  if (config.timeSeries !== 'none') {
    const writerEntry =
      options.timeSeriesWriterEntry === null
        ? undefined
        : (options.timeSeriesWriterEntry ?? (existsSync(TIMESERIES_WRITER_ENTRY) ? TIMESERIES_WRITER_ENTRY : undefined));
    timeSeries = new TimeSeriesStack(app, names.timeSeries, {
      ...common,
      stackName: names.timeSeries,
      description: describe(`time-series store (${config.timeSeries})`),
      stream: ingestion.stream,
      enrichedStream: ingestion.enrichedStream,
      msk: ingestion.msk,
      writerEntry,
    });
  }

  // The enriched publisher: with the enriched stream, for the chosen sources whose tables the catalog holds.
  const enrichedSources = config.enrichedPublisher.filter((id) =>
    ENRICHED_RESULT_SOURCES[id as EnrichedResultSource]?.reads.every((t) => catalog.tables[t] !== undefined),
  ) as EnrichedResultSource[];
  const enrichedPublisher =
    ingestion.enrichedStream && enrichedSources.length > 0 ? { streamName: enrichedStreamNameOf(config), sources: enrichedSources } : undefined;

  const orchestration = new OrchestrationStack(app, names.orchestration, {
    ...common,
    stackName: names.orchestration,
    description: describe('forecasting functions, model training and evaluation state machines and schedules'),
    lakeBucketName: storage.lakeBucketName,
    modelArtifactsBucket: storage.modelArtifactsBucket,
    athenaResultsBucket: storage.athenaResultsBucket,
    databaseName: catalog.databaseName,
    workGroupName: catalog.workGroupName,
    ...(timeSeries?.writer && ingestion.enrichedStream ? { enrichedStreamName: enrichedStreamNameOf(config) } : {}),
    ...(enrichedPublisher ? { enrichedPublisher } : {}),
  });
  // The lake bucket, Glue database and workgroup are addressed by name, and so is the time-series points function.
  orchestration.addStackDependency(storage);
  orchestration.addStackDependency(catalog);
  if (timeSeries) orchestration.addStackDependency(timeSeries);
  // The source pollers and the simulated producers put records on the stream, the predict function closed bars and the enriched publisher closed results on the enriched stream, addressed by name.
  if (config.sourcePollers.length > 0 || config.simulators.length > 0 || timeSeries?.writer || enrichedPublisher) orchestration.addStackDependency(ingestion);

  // The observability stack alarms on the connector by name (no export between the two stacks).
  let binanceLive: BinanceLiveStack | undefined;
  if (config.binanceLive) {
    // Config validation refuses binanceLive with ingestion=msk: there is a stream here.
    binanceLive = new BinanceLiveStack(app, names.binanceLive, {
      ...common,
      stackName: names.binanceLive,
      description: describe('Binance live connector (ECS Fargate service putting trades on the stream)'),
      stream: ingestion.stream!,
    });
  }

  const observability = new ObservabilityStack(app, names.observability, {
    ...common,
    stackName: names.observability,
    description: describe('dashboard, alarms and alarm topic'),
    stream: ingestion.stream,
    msk: ingestion.msk,
    transform: { label: 'stream transform', function: processing.transform.function, deadLetterQueue: processing.deadLetterQueue },
    timeSeriesWriter:
      timeSeries?.writer && timeSeries.writerDeadLetterQueue
        ? {
            label: 'time-series writer',
            function: timeSeries.writer.function,
            deadLetterQueue: timeSeries.writerDeadLetterQueue,
            ...(timeSeries.writerEnrichedDeadLetterQueue ? { enrichedDeadLetterQueue: timeSeries.writerEnrichedDeadLetterQueue } : {}),
          }
        : undefined,
    trainingStateMachine: orchestration.trainingStateMachine,
    evaluationStateMachine: orchestration.evaluationStateMachine,
    backfillStateMachine: orchestration.backfill.stateMachine,
    compactionStateMachine: orchestration.compaction.stateMachine,
    timeSeriesPoints: timeSeries?.points.function,
    modelsConfigured: orchestration.modelsConfigured,
    schedulerDeadLetterQueue: orchestration.schedulerDeadLetterQueue,
  });

  let dashboard: DashboardStack | undefined;
  if (config.dashboard) {
    dashboard = new DashboardStack(app, names.dashboard, {
      ...common,
      stackName: names.dashboard,
      description: describe('dashboard: page on S3 behind CloudFront, API on Athena, Cognito sign-in'),
      lakeBucketName: storage.lakeBucketName,
      athenaResultsBucket: storage.athenaResultsBucket,
      databaseName: catalog.databaseName,
      workGroupName: catalog.workGroupName,
      apiEntry: options.dashboardApiEntry,
    });
    // The lake bucket, Glue database and workgroup are addressed by name.
    dashboard.addStackDependency(storage);
    dashboard.addStackDependency(catalog);
  }

  let cdc: CdcStack | undefined;
  if (config.cdc) {
    // Config validation refuses cdc with ingestion=msk: there is a stream here.
    cdc = new CdcStack(app, names.cdc, {
      ...common,
      stackName: names.cdc,
      description: describe('change data capture: AWS DMS Serverless from PostgreSQL to the stream'),
      stream: ingestion.stream!,
    });
  }

  Tags.of(app).add('project', 'ticklake');
  Tags.of(app).add('stage', config.stage);
  return { storage, catalog, ingestion, processing, timeSeries, orchestration, observability, binanceLive, dashboard, cdc };
}
