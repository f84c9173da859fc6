import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Config } from '../config.ts';
import { startFauxqsOnLoopback } from './fauxqs-on-loopback.ts';

export interface EmbeddedAws {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The fauxqs SQS/S3 emulator in this process, on 127.0.0.1 only (see startFauxqsOnLoopback);
 * persisted under `dataDir` when given. `port` 0 picks a free one (tests, in-memory stacks); the
 * embedded stack passes its DATA_DIR's own port (see leaseEmbeddedAws).
 */
export async function startEmbeddedAws(port: number, dataDir?: string): Promise<EmbeddedAws> {
  const server = await startFauxqsOnLoopback({
    port,
    logger: false,
    ...(dataDir ? { dataDir: join(dataDir, 'queues'), s3StorageDir: join(dataDir, 's3') } : {}),
  });
  return { endpoint: `http://127.0.0.1:${server.port}`, port: server.port, stop: () => server.stop() };
}

async function ensureQueue(sqs: SQSClient, name: string, attributes: Record<string, string>) {
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    return QueueUrl!;
  } catch (error) {
    if (!(error instanceof QueueDoesNotExist)) throw error;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    return QueueUrl!;
  }
}

async function ensureBucket(s3: S3Client, bucket: string) {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

/**
 * Creates (or updates) the queues and buckets that serverless.yml creates on AWS: the images queue
 * redriving to its DLQ after `MAX_RECEIVES`, the media and uploads buckets. Idempotent.
 */
export async function provisionLocalResources(config: Config, clients: { sqs: SQSClient; s3: S3Client }) {
  const { sqs, s3 } = clients;
  const dlqUrl = await ensureQueue(sqs, config.queue.dlqName, { MessageRetentionPeriod: '1209600' });
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const queueUrl = await ensureQueue(sqs, config.queue.name, {
    VisibilityTimeout: String(config.local.visibilityTimeout),
    MessageRetentionPeriod: String(config.queue.retentionSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: config.queue.maxReceives }),
  });
  await ensureBucket(s3, config.buckets.media);
  await ensureBucket(s3, config.buckets.uploads);
  return { queueUrl, dlqUrl };
}
