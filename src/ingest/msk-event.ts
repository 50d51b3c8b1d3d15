/**
 * Amazon MSK (Kafka) event source support: an MSK event carries records per
 * topic-partition; each partition plays the part of a Kinesis shard (ordered,
 * offsets increasing), so the stream transform runs once per partition on
 * Kinesis-shaped records and keeps its deterministic keys and markers.
 */
import type { KinesisStreamEvent, KinesisStreamRecord, MSKEvent, MSKRecord } from 'aws-lambda';

export function isMskEvent(e: unknown): e is MSKEvent {
  return typeof e === 'object' && e !== null && (e as { eventSource?: unknown }).eventSource === 'aws:kafka';
}

/** Kafka offsets zero-padded to 20 digits, so they order as strings like sequence numbers. */
export function offsetSequence(offset: number | string): string {
  return String(offset).padStart(20, '0');
}

function toKinesis(r: MSKRecord, clusterArn: string): KinesisStreamRecord {
  const shard = `${r.topic}-${r.partition}`;
  const seq = offsetSequence(r.offset);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      // The producer's message key is the partition key (the symbol for market data).
      partitionKey: r.key ? Buffer.from(r.key, 'base64').toString('utf8') : '',
      sequenceNumber: seq,
      data: r.value ?? '',
      approximateArrivalTimestamp: r.timestamp / 1000,
    },
    eventSource: 'aws:kafka',
    eventVersion: '1.0',
    eventID: `${shard}:${seq}`,
    eventName: 'aws:kafka:record',
    invokeIdentityArn: '',
    awsRegion: clusterArn.split(':')[3] ?? '',
    // streamNameOf() reads the name after the last "stream/": the topic.
    eventSourceARN: `${clusterArn}/stream/${r.topic}`,
  };
}

/** One Kinesis-shaped event per topic-partition, records in offset order. */
export function mskToKinesisEvents(e: MSKEvent): KinesisStreamEvent[] {
  return Object.values(e.records ?? {}).map((records) => ({
    Records: [...records].sort((a, b) => a.offset - b.offset).map((r) => toKinesis(r, e.eventSourceArn)),
  }));
}
