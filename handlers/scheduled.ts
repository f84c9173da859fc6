import { lazyLambdaContext } from '../src/lambda-context.ts';
import { runTick, RunTrigger, type TickSummary } from '../src/scheduled/run-tick.ts';

const ready = lazyLambdaContext('catalog-importer-scheduled', (ctx) => ctx);

/** EventBridge Scheduler target; an invocation with `{ "trigger": "manual" }` is a "run now". */
export async function handler(event: { trigger?: string } | undefined): Promise<TickSummary> {
  const ctx = await ready();
  return runTick(ctx, event?.trigger === RunTrigger.manual ? RunTrigger.manual : RunTrigger.schedule);
}
