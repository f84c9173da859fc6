import { handleImageBatch } from '../src/images/handle-image-batch.ts';
import { createImageFetcher } from '../src/images/fetch.ts';
import { lazyLambdaContext } from '../src/lambda-context.ts';
import { createWorkerMetrics } from '../src/observability/worker-metrics.ts';
import type { Context } from 'aws-lambda';
import type { SQSBatchResponse, SQSEvent } from '../src/queue/sqs-event.ts';

const ready = lazyLambdaContext('catalog-importer-worker', (ctx) => ({
  ctx,
  fetcher: createImageFetcher(ctx.config.fetch),
  metrics: createWorkerMetrics(),
}));

/** SQS event source target (ReportBatchItemFailures). */
export async function handler(event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> {
  const { ctx, fetcher, metrics } = await ready();
  try {
    return await handleImageBatch(ctx, fetcher, event, {
      observe: metrics.observe,
      remainingMs: context ? () => context.getRemainingTimeInMillis() : undefined,
    });
  } finally {
    metrics.publish();
  }
}
