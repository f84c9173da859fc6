import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.ts';
import { classifyError } from './errors.ts';

/**
 * Content-addressed key: the same WebP bytes always land on the same key, so a redelivered message,
 * two workers racing, or two products sharing a picture write one object. Only hex digits come from
 * the data: no supplier input ever reaches a key.
 */
export function mediaKeyFor(prefix: string, contentHash: string): string {
  return `${prefix}${contentHash.slice(0, 2)}/${contentHash}.webp`;
}

export function publicUrlFor(config: Pick<Config, 'publicMediaBaseUrl'>, key: string): string {
  return `${config.publicMediaBaseUrl}/${key}`;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Uploads a WebP under its content key. Immutable content, so caches may keep it for a year. */
export async function storeWebp(s3: S3Client, config: Config, data: Buffer): Promise<{ key: string; contentHash: string }> {
  const contentHash = sha256Hex(data);
  const key = mediaKeyFor(config.mediaPrefix, contentHash);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: config.buckets.media,
        Key: key,
        Body: data,
        ContentType: 'image/webp',
        CacheControl: 'public, max-age=31536000, immutable',
      }),
    );
  } catch (error) {
    throw classifyError(error, 'store');
  }
  return { key, contentHash };
}
