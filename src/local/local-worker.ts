import type { AppContext } from '../context.ts';
import { createImageFetcher } from '../images/fetch.ts';
import { handleImageBatch } from '../images/handle-image-batch.ts';
import type { ImageOutcome } from '../images/process-image.ts';
import { type PollStats, pollQueue } from './queue-poller.ts';

/**
 * The worker Lambda, run locally: the same handler, fed by the poller with the local event source
 * settings (LOCAL_BATCH_SIZE, LOCAL_MAX_CONCURRENCY). `onOutcome` sees every image's outcome (progress).
 */
export async function runLocalWorker(
  ctx: AppContext,
  mode: { untilIdle: boolean; signal?: AbortSignal; onOutcome?: (outcome: ImageOutcome) => void },
): Promise<PollStats> {
  const fetcher = createImageFetcher(ctx.config.fetch);
  const observe = mode.onOutcome;
  try {
    return await pollQueue(
      {
        sqs: ctx.sqs,
        queueUrl: ctx.queueUrl,
        handler: (event) => handleImageBatch(ctx, fetcher, event, observe ? { observe } : {}),
        batchSize: ctx.config.local.batchSize,
        maxConcurrency: ctx.config.local.maxConcurrency,
        log: ctx.log,
        region: ctx.config.aws.region,
      },
      mode,
    );
  } finally {
    await fetcher.close();
  }
}
