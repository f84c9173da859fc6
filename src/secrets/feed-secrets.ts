import { feedSecretPrefix } from '../config.ts';
import { SecretError } from './errors.ts';
import type { RotatingValue } from './secret-cache.ts';

/**
 * The values of feed request headers, by the FEED_SECRET_* name a supplier's header stores. A
 * variable of that name wins; otherwise the key of that name in the feed secret (FEED_SECRETS_SECRET_ID),
 * read at run time and cached like the other secrets.
 */
export interface FeedSecrets {
  /** The value of a FEED_SECRET_* name; undefined when neither a variable nor the secret holds it. */
  value(name: string): Promise<string | undefined>;
  /**
   * The value read again from the secret now (the supplier refused the one we sent: maybe it was
   * rotated). At most once per 10 s, as for the admin token. A variable's value is simply returned.
   */
  reread(name: string): Promise<string | undefined>;
  /** True when the value comes from the secret, so that a refusal may mean it was rotated. */
  fromSecret(name: string): boolean;
  /** Where a name is looked for, as a missing_secret message says it. */
  readonly lookedIn: string;
}

/**
 * The secret's value as header values by name: a JSON object whose keys are the FEED_SECRET_* names
 * the headers store (`{ "FEED_SECRET_ACME_TOKEN": "Bearer …" }`), the same names as the variables.
 * Errors name the secret and the offending keys, never a value.
 */
export function feedSecretValues(secretId: string, text: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SecretError(`secret ${secretId}: expected a JSON object of ${feedSecretPrefix}* names and their values`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SecretError(`secret ${secretId}: expected a JSON object of ${feedSecretPrefix}* names and their values`);
  }
  const entries = Object.entries(json);
  const badNames = entries.filter(([name]) => !name.startsWith(feedSecretPrefix)).map(([name]) => name);
  if (badNames.length > 0) {
    throw new SecretError(`secret ${secretId}: keys must be ${feedSecretPrefix}* names, as the feed headers store them; got ${badNames.map((n) => JSON.stringify(n)).join(', ')}`);
  }
  const notText = entries.filter(([, value]) => typeof value !== 'string' || value === '').map(([name]) => name);
  if (notText.length > 0) throw new SecretError(`secret ${secretId}: the value of ${notText.join(', ')} must be a non-empty string`);
  return new Map(entries as Array<[string, string]>);
}

/**
 * Feed header values from the FEED_SECRET_* variables, then from the feed secret when one is named.
 * The secret is read only when a header names something no variable holds.
 */
export function feedSecrets(variables: Record<string, string>, secret?: { id: string; value: RotatingValue }): FeedSecrets {
  const fromSecret = (name: string) => secret !== undefined && variables[name] === undefined;
  const lookup = async (name: string, read: (value: RotatingValue) => Promise<string>) => {
    if (variables[name] !== undefined) return variables[name];
    if (!secret) return undefined;
    return feedSecretValues(secret.id, await read(secret.value)).get(name);
  };
  return {
    value: (name) => lookup(name, (value) => value.current()),
    reread: (name) => lookup(name, (value) => value.reread()),
    fromSecret,
    lookedIn: secret ? `no such variable, nor a key of secret ${secret.id}` : 'no such variable',
  };
}
