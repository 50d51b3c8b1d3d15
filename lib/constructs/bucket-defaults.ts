/** The safe defaults every ticklake bucket starts from, in one place. */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { TicklakeConfig } from '../config.js';

/**
 * Encrypted, TLS 1.2+ only, no public access, no ACLs (log buckets override
 * `objectOwnership`); retained unless the stage is configured to be destroyed.
 */
export function bucketDefaults(config: Pick<TicklakeConfig, 'removalPolicy'>): s3.BucketProps {
  const destroy = config.removalPolicy === 'destroy';
  return {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    autoDeleteObjects: destroy,
  };
}
