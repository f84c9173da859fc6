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
import { startFauxqs } from 'fauxqs';
import type { Config } from '../config.ts';

export interface EmbeddedAws {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * The fauxqs SQS/S3 emulator in this process; persisted under `dataDir` when given. A fixed port keeps
 * the media URLs written onto products valid from one command to the next; when it is taken, any port.
 */
export async function startEmbeddedAws(port: number, dataDir?: string): Promise<EmbeddedAws> {
  const start = (on: number) =>
    startFauxqs({
      port: on,
      logger: false,
      ...(dataDir ? { dataDir: join(dataDir, 'queues'), s3StorageDir: join(dataDir, 's3') } : {}),
    });
  const server = await start(port).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE' || port === 0) throw error;
    return start(0);
  });
  return { endpoint: server.address.replace('0.0.0.0', '127.0.0.1'), stop: () => server.stop() };
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
