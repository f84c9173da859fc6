/** The logging surface the logic needs; Powertools' Logger satisfies it in Lambda, `createLogger` elsewhere. */
export interface Log {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

const levels = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
export type LogLevel = (typeof levels)[number];

/**
 * JSON lines on stderr, so a CLI's stdout stays free for its `--json` document.
 */
export function createLogger(level: LogLevel, base: Record<string, unknown> = {}): Log {
  const threshold = levels.indexOf(level);
  const write = (at: LogLevel) => (message: string, attributes: Record<string, unknown> = {}) => {
    if (levels.indexOf(at) < threshold) return;
    process.stderr.write(
      `${JSON.stringify({ level: at, timestamp: new Date().toISOString(), message, ...base, ...attributes })}\n`,
    );
  };
  return { debug: write('DEBUG'), info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

export const silentLogger: Log = { debug() {}, info() {}, warn() {}, error() {} };
