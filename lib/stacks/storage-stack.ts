/**
 * Storage: the long-lived data. The lake bucket (one prefix per zone), the
 * Athena query-results bucket, the model-artifact bucket and the bucket their
 * server access logs go to. Everything encrypted at rest (SSE-S3), TLS-only,
 * public access blocked, access-logged, with lifecycle rules per zone.
 *
 * Buckets are retained when the stack is deleted unless the configuration says
 * `removalPolicy=destroy` (refused for production stages).
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { TicklakeConfig } from '../config.js';
import { bucketDefaults } from '../constructs/bucket-defaults.js';
import { BATCH_MARKER_PREFIX, type LakeZone } from '../../src/lake/layout.js';
import { BACKFILL_RUNS_PREFIX } from '../../src/backfill/plan.js';
import { COMPACTION_RUNS_PREFIX } from '../../src/lake/compaction-steps.js';
import { lakeBucketName } from '../lake-layout.js';

export interface StorageStackProps extends StackProps {
  readonly config: TicklakeConfig;
}

export class StorageStack extends Stack {
  readonly lakeBucket: s3.Bucket;
  readonly athenaResultsBucket: s3.Bucket;
  readonly modelArtifactsBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  /** The lake bucket's name (pseudo-parameter tokens, no cross-stack export needed). */
  readonly lakeBucketName: string;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { config } = props;
    const base = bucketDefaults(config);

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      ...base,
      // Log delivery writes with the bucket-owner-preferred ACL model.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
    });

    const days = (n: number) => (n > 0 ? Duration.days(n) : undefined);
    const expireZone = (zone: LakeZone, n: number): s3.LifecycleRule[] =>
      n > 0 ? [{ id: `expire-${zone}`, prefix: `${zone}/`, expiration: days(n), noncurrentVersionExpiration: Duration.days(1) }] : [];

    this.lakeBucketName = lakeBucketName(config.stage, this.account, this.region);
    this.lakeBucket = new s3.Bucket(this, 'Lake', {
      ...base,
      bucketName: this.lakeBucketName,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [
        ...expireZone('raw', config.rawRetentionDays),
        ...expireZone('quarantine', config.quarantineRetentionDays),
        ...expireZone('curated', config.curatedRetentionDays),
        ...expireZone('aggregate', config.aggregateRetentionDays),
        // Per-batch markers of the stream transform matter only while a batch can be retried.
        { id: 'expire-batch-markers', prefix: BATCH_MARKER_PREFIX, expiration: Duration.days(7), noncurrentVersionExpiration: Duration.days(1) },
        // What a backfill run staged (its publish step clears it; a failed run's is kept a few days to inspect).
        { id: 'expire-backfill-staging', prefix: BACKFILL_RUNS_PREFIX, expiration: Duration.days(7), noncurrentVersionExpiration: Duration.days(1) },
        // What a compaction run staged (its commit clears it; an interrupted publication resumes from it within the hour).
        { id: 'expire-compaction-staging', prefix: COMPACTION_RUNS_PREFIX, expiration: Duration.days(7), noncurrentVersionExpiration: Duration.days(1) },
        // Objects replaced or deleted by a retried batch: keep the old version one week.
        { id: 'noncurrent-versions', noncurrentVersionExpiration: Duration.days(7) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    this.athenaResultsBucket = new s3.Bucket(this, 'AthenaResults', {
      ...base,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        { id: 'expire-query-results', expiration: Duration.days(config.athenaResultsRetentionDays) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    this.modelArtifactsBucket = new s3.Bucket(this, 'ModelArtifacts', {
      ...base,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'model-artifacts/',
      lifecycleRules: [
        { id: 'noncurrent-versions', noncurrentVersionExpiration: Duration.days(90) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    new CfnOutput(this, 'LakeBucketName', { value: this.lakeBucket.bucketName, description: 'Lake bucket (raw/, curated/, quarantine/, aggregate/, models/)' });
    new CfnOutput(this, 'AthenaResultsBucketName', { value: this.athenaResultsBucket.bucketName });
    new CfnOutput(this, 'ModelArtifactsBucketName', { value: this.modelArtifactsBucket.bucketName });
  }
}
