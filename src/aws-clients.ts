import { S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, QueueDoesNotExist, SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config.ts';
import { ConfigError } from './config.ts';

/** SQS and S3 clients for the configured region and endpoint. */
export function createAwsClients(config: Config) {
  const common = {
    region: config.aws.region,
    ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}),
    ...(config.aws.credentials ? { credentials: config.aws.credentials } : {}),
  };
  return {
    sqs: new SQSClient(common),
    // Path style: emulators and custom endpoints do not resolve bucket subdomains. Checksums only where
    // S3 requires them: by default the SDK signs a CRC32 of the (empty) body into presigned PUT URLs,
    // which then refuse the real file, and S3-compatible stores reject the CRC32 trailers of PutObject.
    s3: new S3Client({
      ...common,
      forcePathStyle: Boolean(config.aws.endpoint),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  };
}

async function resolveQueueUrl(sqs: SQSClient, url: string | undefined, name: string) {
  if (url) return url;
  const found = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!found.QueueUrl) throw new ConfigError(`queue ${name} not found: set IMAGES_QUEUE_URL`);
  return found.QueueUrl;
}

/** The clients and the queue URLs, resolved once so the hot paths never look them up. */
export async function connectAws(config: Config) {
  const { sqs, s3 } = createAwsClients(config);
  try {
    const queueUrl = await resolveQueueUrl(sqs, config.queue.url, config.queue.name);
    // A deployment without a DLQ is allowed (admin DLQ commands then say so); any other error is real.
    const dlqUrl =
      config.queue.dlqUrl ??
      (await resolveQueueUrl(sqs, undefined, config.queue.dlqName).catch((error: unknown) => {
        if (error instanceof QueueDoesNotExist) return undefined;
        throw error;
      }));
    return { sqs, s3, queueUrl, dlqUrl };
  } catch (error) {
    sqs.destroy();
    s3.destroy();
    throw error;
  }
}
