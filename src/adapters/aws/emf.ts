/**
 * CloudWatch Embedded Metric Format (EMF): one JSON log line that CloudWatch
 * Logs turns into metrics when it lands in a log group (Lambda's stdout, or a
 * container's stdout through the `awslogs` log driver; the
 * `x-amzn-logs-format: json/emf` header is optional for PutLogEvents).
 *
 * For processes outside Lambda that publish a few metrics on their own
 * schedule (the Binance live connector's heartbeat); Lambda handlers use
 * Powertools' Metrics, which writes the same format.
 *
 * Spec: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

/** The EMF units used here (a subset of CloudWatch's StandardUnit). */
export type EmfUnit = 'Seconds' | 'Milliseconds' | 'Count' | 'Count/Second' | 'Bytes' | 'None';

export interface EmfMetric {
  readonly name: string;
  readonly unit: EmfUnit;
  readonly value: number;
}

export interface EmfLine {
  readonly namespace: string;
  /** Dimension name → value; all of them form the one dimension set of every metric. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly metrics: readonly EmfMetric[];
  /** Epoch milliseconds of the data points. */
  readonly timestampMs: number;
  /** Extra fields, searchable in Logs Insights but not metrics (must not clash with a metric or dimension name). */
  readonly properties?: Readonly<Record<string, unknown>>;
}

/** At most 100 metrics per EMF document and 30 dimensions per set (CloudWatch limits). */
export const EMF_MAX_METRICS = 100;
export const EMF_MAX_DIMENSIONS = 30;

/**
 * Renders one EMF document as a single line (no newline). Metrics whose value is
 * not a finite number are left out (CloudWatch would reject the whole document).
 */
export function emfLine(line: EmfLine): string {
  const metrics = line.metrics.filter((m) => Number.isFinite(m.value));
  const dimensionNames = Object.keys(line.dimensions);
  if (metrics.length > EMF_MAX_METRICS) throw new Error(`EMF: at most ${EMF_MAX_METRICS} metrics per line, got ${metrics.length}`);
  if (dimensionNames.length > EMF_MAX_DIMENSIONS) throw new Error(`EMF: at most ${EMF_MAX_DIMENSIONS} dimensions, got ${dimensionNames.length}`);
  const names = new Set([...dimensionNames, ...metrics.map((m) => m.name)]);
  if (names.size !== dimensionNames.length + metrics.length) throw new Error('EMF: a metric or dimension name is repeated');
  for (const key of Object.keys(line.properties ?? {})) {
    if (names.has(key) || key === '_aws') throw new Error(`EMF: property "${key}" clashes with a metric or dimension`);
  }
  const doc: Record<string, unknown> = {
    _aws: {
      Timestamp: Math.round(line.timestampMs),
      CloudWatchMetrics: [
        {
          Namespace: line.namespace,
          Dimensions: [dimensionNames],
          Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
        },
      ],
    },
    ...line.dimensions,
    ...line.properties,
  };
  for (const m of metrics) doc[m.name] = m.value;
  return JSON.stringify(doc);
}
