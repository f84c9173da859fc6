import { describe, expect, it } from 'vitest';
import { isTransientDatabaseError } from '../../src/db/transient-error.ts';

describe('isTransientDatabaseError', () => {
  it.each([
    ['40P01', true], // deadlock
    ['40001', true], // serialization failure
    ['08006', true], // connection failure
    ['57P01', true], // admin shutdown (failover)
    ['53300', true], // too many connections
    ['ECONNRESET', true],
    ['23505', false], // unique violation
    ['42601', false], // syntax error
    ['55P03', true], // lock_timeout: an import held the row longer than a worker waits
    ['57014', true], // statement_timeout: the pools set one, so a busy database answers this
  ])('%s → %s', (code, expected) => {
    expect(isTransientDatabaseError(Object.assign(new Error('x'), { code }))).toBe(expected);
  });

  it("is true for pg's connection-terminated errors, which carry no code", () => {
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientDatabaseError(new Error('Connection terminated'))).toBe(true);
    expect(isTransientDatabaseError(new Error('Connection terminated by the user, they said'))).toBe(false);
  });

  it('is false for errors without a code', () => {
    expect(isTransientDatabaseError(new Error('plain'))).toBe(false);
    expect(isTransientDatabaseError(undefined)).toBe(false);
  });
});
