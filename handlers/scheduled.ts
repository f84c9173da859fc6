import type { Context } from 'aws-lambda';
import { lazyLambdaContext } from '../src/lambda-context.ts';
import { publishTickMetrics } from '../src/observability/tick-metrics.ts';
import { runTick, RunTrigger, type TickSummary } from '../src/scheduled/run-tick.ts';

const ready = lazyLambdaContext('catalog-importer-scheduled', (ctx) => ctx);

/** Time kept back from the Lambda timeout for the import or chunk under way when the deadline passes. */
const DEADLINE_MARGIN_MS = 120_000;

/** EventBridge Scheduler target; an invocation with `{ "trigger": "manual" }` is a "run now". */
export async function handler(
  event: { trigger?: string } | undefined,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<TickSummary> {
  const ctx = await ready();
  const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS : undefined;
  const summary = await runTick(ctx, event?.trigger === RunTrigger.manual ? RunTrigger.manual : RunTrigger.schedule, { deadline });
  publishTickMetrics(summary);
  return summary;
}
