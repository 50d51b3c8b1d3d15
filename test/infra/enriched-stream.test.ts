import { beforeAll, describe, expect, it } from 'vitest';
import { type BuiltApp, buildApp, FIXTURE_HANDLER, policyStatements, resourcesOf } from './helpers.js';

let built: BuiltApp;
beforeAll(() => {
  built = buildApp({ timeSeries: 'timestream-liveanalytics' }, { timeSeriesWriterEntry: FIXTURE_HANDLER });
});

describe('the enriched stream in the CDK', () => {
  it('is a second Kinesis stream with the events stream settings', () => {
    // Act
    const streams = resourcesOf(built.template(built.stacks.ingestion), 'AWS::Kinesis::Stream').map(([, s]) => s.Properties);
    // Assess
    expect(streams.map((s) => s.Name).sort()).toEqual(['ticklake-dev-enriched', 'ticklake-dev-events']);
    const { Name: _a, ...events } = streams.find((s) => s.Name === 'ticklake-dev-events')!;
    const { Name: _b, ...enriched } = streams.find((s) => s.Name === 'ticklake-dev-enriched')!;
    expect(enriched).toEqual(events);
  });

  it('the time-series writer consumes it with the same event source settings, and its own on-failure destination', () => {
    // Act
    const t = built.template(built.stacks.timeSeries!);
    const mappings = resourcesOf(t, 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    // Assess
    expect(mappings).toHaveLength(2);
    const source = (m: Record<string, any>) => JSON.stringify(m.EventSourceArn);
    const [events, enriched] = [mappings.find((m) => source(m).includes('Events'))!, mappings.find((m) => source(m).includes('Enriched'))!];
    const settings = ({ EventSourceArn: _s, DestinationConfig: _d, ...rest }: Record<string, any>) => rest;
    expect(settings(enriched)).toEqual(settings(events));
    expect(enriched).toMatchObject({ BisectBatchOnFunctionError: true, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const queues = resourcesOf(t, 'AWS::SQS::Queue').map(([id, q]) => [id, q.Properties.QueueName]);
    const dlq = queues.find(([, n]) => n === 'ticklake-dev-timeseries-writer-enriched-dead-letters')!;
    expect(enriched.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [dlq[0], 'Arn'] });
  });

  it('the predict function puts the closed bars there: the stream by name, PutRecords on it only', () => {
    // Act
    const t = built.template(built.stacks.orchestration);
    const [[, fn]] = resourcesOf(t, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.FunctionName === 'ticklake-dev-ml-predict');
    const roleId = fn!.Properties.Role['Fn::GetAtt'][0];
    const puts = policyStatements(t, roleId).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kinesis:')));
    // Assess
    expect(fn!.Properties.Environment.Variables.ENRICHED_STREAM_NAME).toBe('ticklake-dev-enriched');
    expect(puts).toHaveLength(1);
    expect(puts[0]!.Action).toBe('kinesis:PutRecords');
    expect(JSON.stringify(puts[0]!.Resource)).toMatch(/:stream\/ticklake-dev-enriched"/);
  });
});

describe('the enriched stream with ingestion=msk', () => {
  let msk: BuiltApp;
  beforeAll(() => {
    msk = buildApp({ ingestion: 'msk', timeSeries: 'timestream-influxdb' }, { timeSeriesWriterEntry: FIXTURE_HANDLER });
  });

  it('is still a Kinesis stream, which the writer consumes beside the brokers and the predict function puts bars on', () => {
    // Act
    const streams = resourcesOf(msk.template(msk.stacks.ingestion), 'AWS::Kinesis::Stream').map(([, s]) => s.Properties.Name);
    const mappings = resourcesOf(msk.template(msk.stacks.timeSeries!), 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    const [[, predict]] = resourcesOf(msk.template(msk.stacks.orchestration), 'AWS::Lambda::Function').filter(
      ([, f]) => f.Properties.FunctionName === 'ticklake-dev-ml-predict',
    );
    // Assess
    expect(streams).toEqual(['ticklake-dev-enriched']);
    expect(mappings).toHaveLength(2);
    expect(mappings.filter((m) => JSON.stringify(m.EventSourceArn).includes('Enriched'))).toHaveLength(1);
    // The other one reads the brokers' topic (an MSK mapping names its topics).
    expect(mappings.filter((m) => Array.isArray(m.Topics) && m.Topics.length === 1)).toHaveLength(1);
    expect(predict!.Properties.Environment.Variables.ENRICHED_STREAM_NAME).toBe('ticklake-dev-enriched');
  });
});
