import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { classifyError, ErrorKind, ImageError } from '../../src/images/errors.ts';

/** An error shaped as the AWS SDK v3 throws it for an S3 error response. */
const s3Error = (name: string, status: number) => Object.assign(new Error(`${name} message`), { name, $metadata: { httpStatusCode: status } });
const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('classifyError: the kind alone decides retry or fail', () => {
  it.each([
    ['AccessDenied', 403, ErrorKind.storageDenied, false],
    ['NoSuchBucket', 404, ErrorKind.storageDenied, false],
    ['InvalidAccessKeyId', 403, ErrorKind.storageDenied, false],
    ['SlowDown', 503, ErrorKind.storage, true],
    ['InternalError', 500, ErrorKind.storage, true],
    ['RequestTimeout', 408, ErrorKind.storage, true],
    ['SomethingNew', 400, ErrorKind.storageDenied, false],
  ] as const)('S3 %s (%d) is %s', (name, status, kind, transient) => {
    const error = classifyError(s3Error(name, status), 'store');
    expect(error).toBeInstanceOf(ImageError);
    expect([error.kind, error.transient]).toEqual([kind, transient]);
    expect(error.message).toContain(name);
  });

  it('a network error reaching S3 (no status) is transient storage', () => {
    expect(classifyError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'store').kind).toBe(ErrorKind.storage);
  });

  it.each([
    ['40P01', ErrorKind.database, true], // deadlock
    ['55P03', ErrorKind.database, true], // lock_timeout
    ['08006', ErrorKind.database, true], // connection failure
    ['23505', ErrorKind.databaseRejected, false], // unique violation
    ['23502', ErrorKind.databaseRejected, false], // not null violation
    ['42703', ErrorKind.databaseRejected, false], // undefined column: a bug
  ] as const)('SQLSTATE %s is %s', (code, kind, transient) => {
    const error = classifyError(pgError(code), 'database');
    expect([error.kind, error.transient]).toEqual([kind, transient]);
    expect(error.message).toContain(`SQLSTATE ${code}`);
  });

  it("reads the SQLSTATE through drizzle's wrapper, which quotes the statement and keeps pg's error as cause", () => {
    const wrapped = new DrizzleQueryError('UPDATE image_sources …', [1], pgError('55P03'));
    expect(classifyError(wrapped, 'database')).toMatchObject({ kind: ErrorKind.database, message: 'database error: pg 55P03 (SQLSTATE 55P03)' });
  });

  it('keeps an ImageError as it is, with its cause', () => {
    const original = new ImageError(ErrorKind.tooLarge, 'big', { cause: new Error('inner') });
    expect(classifyError(original, 'database')).toBe(original);
    expect(classifyError(s3Error('AccessDenied', 403), 'store').cause).toBeInstanceOf(Error);
  });
});
