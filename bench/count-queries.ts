import type pg from 'pg';

type Callback = (...result: unknown[]) => void;
type Queryable = { query: (...args: unknown[]) => unknown };
type Connect = (callback?: (error: Error | undefined, client: Queryable | undefined, done: unknown) => void) => unknown;

export interface StatementStats {
  calls: number;
  ms: number;
}

export interface QueryCounter {
  /** Statements sent to the server since counting began (BEGIN and COMMIT included). */
  calls(): number;
  /** Their wall time from send to answer, summed: the database time the caller waited for, network included. */
  ms(): number;
  /** Calls and time per statement, keyed by its first words (see `statementKey`). */
  byStatement(): Record<string, StatementStats>;
  /** Every call of statements whose key starts with `prefix`, in order: one duration each. */
  durations(prefix: string): number[];
  reset(): void;
}

/** A statement's first 70 characters, whitespace folded: enough to tell the queries of this code base apart. */
function statementKey(args: unknown[]): string {
  const first = args[0];
  const text = typeof first === 'string' ? first : typeof first === 'object' && first !== null && 'text' in first ? String(first.text) : '?';
  return text.replace(/\s+/g, ' ').trim().slice(0, 70);
}

/**
 * Counts and times every statement the pool's clients send from here on, on the client side (exact,
 * unlike sampling the server). pool.query and transactions (drizzle's, or a checked-out client) all run
 * on a client handed out by pool.connect, so wrapping the clients it hands out sees them all.
 */
export function countQueries(pool: pg.Pool): QueryCounter {
  let calls = 0;
  let ms = 0;
  let stats = new Map<string, StatementStats & { durations: number[] }>();
  const record = (key: string, started: number) => {
    const took = performance.now() - started;
    ms += took;
    const entry = stats.get(key) ?? { calls: 0, ms: 0, durations: [] };
    entry.calls += 1;
    entry.ms += took;
    entry.durations.push(took);
    stats.set(key, entry);
  };
  const counted = new WeakSet<Queryable>();
  const patch = (client: Queryable) => {
    if (counted.has(client)) return;
    counted.add(client);
    const query = client.query.bind(client);
    client.query = (...args) => {
      calls += 1;
      const key = statementKey(args);
      const started = performance.now();
      const last = args.at(-1);
      if (typeof last === 'function') {
        args[args.length - 1] = (...result: unknown[]) => {
          record(key, started);
          (last as Callback)(...result);
        };
        return query(...args);
      }
      const result = query(...args);
      if (result instanceof Promise) {
        return result.then(
          (value: unknown) => (record(key, started), value),
          (error: unknown) => {
            record(key, started);
            throw error;
          },
        );
      }
      return result;
    };
  };
  const wrapped = pool as unknown as { connect: Connect };
  const connect = wrapped.connect.bind(pool);
  wrapped.connect = (callback) => {
    if (callback) {
      return connect((error, client, done) => {
        if (client) patch(client);
        callback(error, client, done);
      });
    }
    return (connect() as Promise<Queryable>).then((client) => (patch(client), client));
  };
  return {
    calls: () => calls,
    ms: () => ms,
    byStatement: () => Object.fromEntries([...stats].map(([key, s]) => [key, { calls: s.calls, ms: s.ms }])),
    durations: (prefix) => [...stats].filter(([key]) => key.startsWith(prefix)).flatMap(([, s]) => s.durations),
    reset() {
      calls = 0;
      ms = 0;
      stats = new Map();
    },
  };
}
