import { Logger } from '@aws-lambda-powertools/logger';
import { loadConfig } from './config.ts';
import { type AppContext, createContext } from './context.ts';
import type { Log } from './observability/logger.ts';

/** Structured JSON logs in Lambda (Powertools), behind the same small Log surface the logic uses. */
function powertoolsLog(logger: Logger): Log {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, attributes?: Record<string, unknown>) =>
    attributes ? logger[level](message, attributes) : logger[level](message);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Builds the context once per Lambda container, on the first invocation, and reuses it (pool, clients,
 * resolved queue URLs) across invocations. A failed start is not cached, so the next invocation retries.
 */
export function lazyLambdaContext<T>(serviceName: string, extend: (ctx: AppContext) => T) {
  let ready: Promise<T> | undefined;
  return () => {
    ready ??= (async () => {
      const config = loadConfig();
      const logger = new Logger({ serviceName, logLevel: config.logLevel ?? 'INFO' });
      return extend(await createContext(config, powertoolsLog(logger)));
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
}
