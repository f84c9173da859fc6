import { Logger } from '@aws-lambda-powertools/logger';
import { loadConfig } from './config.ts';
import { type AppContext, createContext } from './context.ts';
import type { Log } from './observability/logger.ts';
import { type RuntimeSecrets, runtimeSecrets } from './secrets/runtime-secrets.ts';

/** Structured JSON logs in Lambda (Powertools), behind the same small Log surface the logic uses. */
function powertoolsLog(logger: Logger): Log {
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, attributes?: Record<string, unknown>) =>
    attributes ? logger[level](message, attributes) : logger[level](message);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Builds the context once per Lambda container, on the first invocation, and reuses it (pool, clients,
 * resolved queue URLs) across invocations. A failed start is not cached, so the next invocation retries.
 * The database URL and admin token come from Secrets Manager when the template names their secrets
 * (DATABASE_SECRET_ID, ADMIN_TOKEN_SECRET_ID), and feed header values from the feed secret
 * (FEED_SECRETS_SECRET_ID): read at run time, cached, and read again when refused.
 */
export function lazyLambdaContext<T>(serviceName: string, extend: (ctx: AppContext, secrets: RuntimeSecrets) => T) {
  let ready: Promise<T> | undefined;
  return () => {
    ready ??= (async () => {
      const config = loadConfig();
      const logger = new Logger({ serviceName, logLevel: config.logLevel ?? 'INFO' });
      const secrets = runtimeSecrets(config);
      return extend(await createContext(config, powertoolsLog(logger), { databaseUrl: secrets.databaseUrl, feedSecrets: secrets.feedSecrets }), secrets);
    })().catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
}
