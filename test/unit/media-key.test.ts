import { describe, expect, it } from 'vitest';
import { mediaKeyFor, publicUrlFor, sha256Hex } from '../../src/images/store.ts';

describe('media keys', () => {
  it('derive from the content only: same bytes, same key; other bytes, another key', () => {
    const a = sha256Hex(Buffer.from('webp bytes'));
    expect(mediaKeyFor('images/', a)).toBe(`images/${a.slice(0, 2)}/${a}.webp`);
    expect(mediaKeyFor('images/', sha256Hex(Buffer.from('webp bytes')))).toBe(mediaKeyFor('images/', a));
    expect(mediaKeyFor('images/', sha256Hex(Buffer.from('other bytes')))).not.toBe(mediaKeyFor('images/', a));
    expect(mediaKeyFor('images/', a)).toMatch(/^images\/[0-9a-f]{2}\/[0-9a-f]{64}\.webp$/);
  });

  it('public URLs are the base URL and the key', () => {
    expect(publicUrlFor({ publicMediaBaseUrl: 'https://d1.cloudfront.net' }, 'images/ab/abc.webp')).toBe(
      'https://d1.cloudfront.net/images/ab/abc.webp',
    );
  });
});
