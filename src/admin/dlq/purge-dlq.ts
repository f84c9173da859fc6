import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import type { AppContext } from '../../context.ts';
import { AdminError, AdminErrorKind } from '../errors.ts';
import { queueDepth } from '../../queue/queue-depth.ts';
import { requireDlq } from './require-dlq.ts';

/** Deletes every message in the DLQ; refuses unless `confirm` is true. Returns the depth it purged. */
export async function purgeDlq(ctx: AppContext, options: { confirm: boolean }): Promise<{ purged: number }> {
  const dlqUrl = requireDlq(ctx);
  if (!options.confirm) throw new AdminError(AdminErrorKind.invalidRequest, 'purging the DLQ deletes its messages for good: confirm it (--yes)');
  const depth = await queueDepth(ctx.sqs, dlqUrl);
  await ctx.sqs.send(new PurgeQueueCommand({ QueueUrl: dlqUrl }));
  ctx.log.warn('DLQ purged', { purged: depth.visible + depth.inFlight });
  return { purged: depth.visible + depth.inFlight };
}
