import { handleImageBatch } from '../src/images/handle-image-batch.ts';
import { createImageFetcher } from '../src/images/fetch.ts';
import { lazyLambdaContext } from '../src/lambda-context.ts';
import type { SQSBatchResponse, SQSEvent } from '../src/queue/sqs-event.ts';

const ready = lazyLambdaContext('catalog-importer-worker', (ctx) => ({ ctx, fetcher: createImageFetcher(ctx.config.fetch) }));

/** SQS event source target (ReportBatchItemFailures). */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const { ctx, fetcher } = await ready();
  return handleImageBatch(ctx, fetcher, event);
}
