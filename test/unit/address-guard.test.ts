import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { checkUrl, createGuardedLookup, isPublicAddress, type GuardPolicy } from '../../src/images/address-guard.ts';
import { ErrorKind, ImageError } from '../../src/images/errors.ts';

const strict: GuardPolicy = { allowHosts: [], allowedPorts: [80, 443] };

function refusal(run: () => unknown): ImageError {
  try {
    run();
  } catch (error) {
    if (error instanceof ImageError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('isPublicAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback /8'],
    ['10.1.2.3', 'private 10/8'],
    ['172.16.0.1', 'private 172.16/12'],
    ['172.31.255.255', 'private 172.16/12 top'],
    ['192.168.1.1', 'private 192.168/16'],
    ['169.254.169.254', 'cloud metadata'],
    ['169.254.0.1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', '0.0.0.0/8'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.254', 'CGNAT top'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast SSDP'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved 240/4'],
    ['192.0.2.1', 'TEST-NET-1'],
    ['198.51.100.7', 'TEST-NET-2'],
    ['203.0.113.9', 'TEST-NET-3'],
    ['198.18.0.1', 'benchmarking'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fc00::1', 'unique local fc00::/7'],
    ['fd12:3456::1', 'unique local fd'],
    ['fe80::1', 'IPv6 link-local'],
    ['fe80::1%eth0', 'IPv6 link-local with zone'],
    ['ff02::1', 'IPv6 multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex form'],
    ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['2002:7f00:1::', '6to4 wrapping 127.0.0.1'],
    ['2002:a00:1::1', '6to4 wrapping 10.0.0.1'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 wrapping 169.254.169.254'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo wrapping 127.0.0.1'],
    ['2001:db8::1', 'documentation'],
    ['100::1', 'discard'],
    ['4000::1', 'outside global unicast'],
    ['localhost', 'not an IP at all'],
    ['', 'empty'],
  ])('refuses %s (%s)', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each([
    ['8.8.8.8'],
    ['93.184.215.14'],
    ['172.32.0.1'], // just past 172.16/12
    ['100.128.0.1'], // just past CGNAT
    ['2606:4700:4700::1111'],
    ['::ffff:8.8.8.8'],
    ['2002:808:808::1'], // 6to4 wrapping 8.8.8.8
    ['64:ff9b::808:808'], // NAT64 wrapping 8.8.8.8
  ])('accepts public %s', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });
});

describe('checkUrl', () => {
  it.each([
    ['http://127.0.0.1/a.jpg'],
    ['http://2130706433/a.jpg'],
    ['http://0177.0.0.1/a.jpg'],
    ['http://0x7f.1/a.jpg'],
    ['http://127.1/a.jpg'],
    ['http://0x7f000001/a.jpg'],
    ['http://[::1]/a.jpg'],
    ['http://[::ffff:127.0.0.1]/a.jpg'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/a.jpg'],
    ['http://169.254.169.254/latest/meta-data/'],
    ['http://[fd00:ec2::254]/latest/meta-data/'],
    ['http://0.0.0.0/a.jpg'],
    ['http://0/a.jpg'],
    ['https://10.0.0.5/a.jpg'],
    ['https://192.168.0.1./a.jpg'],
  ])('blocks the literal address in %s', (url) => {
    expect(refusal(() => checkUrl(url, strict)).kind).toBe(ErrorKind.blockedAddress);
  });

  it('sees through alternate spellings because the URL parser canonicalises them', () => {
    expect(new URL('http://2130706433/').hostname).toBe('127.0.0.1');
    expect(new URL('http://0x7f.1/').hostname).toBe('127.0.0.1');
    expect(new URL('http://[::ffff:127.0.0.1]/').hostname).toBe('[::ffff:7f00:1]');
    expect(refusal(() => checkUrl('http://0177.0.0.1/x', strict)).message).toContain('127.0.0.1 is not a public address');
  });

  it.each([
    ['file:///etc/passwd'],
    ['ftp://example.com/a.jpg'],
    ['gopher://example.com:70/_x'],
    ['data:image/png;base64,iVBORw0KGgo='],
    ['javascript:alert(1)'],
    ['not a url'],
    [''],
    ['http://user:secret@example.com/a.jpg'],
  ])('refuses %j as bad_url', (url) => {
    expect(refusal(() => checkUrl(url, strict)).kind).toBe(ErrorKind.badUrl);
  });

  it.each([['http://example.com:8080/a.jpg'], ['https://example.com:22/a.jpg'], ['http://8.8.8.8:6379/']])(
    'refuses the non-standard port in %s',
    (url) => {
      const error = refusal(() => checkUrl(url, strict));
      expect(error.kind).toBe(ErrorKind.blockedAddress);
      expect(error.message).toContain('allowed: 80, 443');
    },
  );

  it('accepts public http(s) URLs on allowed ports', () => {
    expect(checkUrl('https://cdn.example.com/p/1.jpg?v=2', strict).href).toBe('https://cdn.example.com/p/1.jpg?v=2');
    expect(checkUrl('http://8.8.8.8:80/a.jpg', strict).hostname).toBe('8.8.8.8');
    expect(checkUrl('https://[2606:4700:4700::1111]/a.jpg', strict).hostname).toBe('[2606:4700:4700::1111]');
  });

  it('lets an allow-listed IP, CIDR or hostname through on any port, and nothing else', () => {
    const policy: GuardPolicy = { allowHosts: ['127.0.0.1', '10.20.0.0/16', 'mirror.internal'], allowedPorts: [443] };
    expect(checkUrl('http://127.0.0.1:51234/a.jpg', policy).port).toBe('51234');
    expect(checkUrl('http://[::ffff:127.0.0.1]:8080/a.jpg', policy).port).toBe('8080');
    expect(checkUrl('http://10.20.3.4:8080/a.jpg', policy).hostname).toBe('10.20.3.4');
    expect(checkUrl('http://MIRROR.internal:9000/a.jpg', policy).hostname).toBe('mirror.internal');
    expect(refusal(() => checkUrl('http://127.0.0.2/a.jpg', policy)).kind).toBe(ErrorKind.blockedAddress);
    expect(refusal(() => checkUrl('http://10.21.0.1:443/a.jpg', policy)).kind).toBe(ErrorKind.blockedAddress);
    expect(refusal(() => checkUrl('http://169.254.169.254/', policy)).kind).toBe(ErrorKind.blockedAddress);
  });

  it('scopes an entry with a port to that port only (the demo allows just its fixture CDN)', () => {
    const policy: GuardPolicy = { allowHosts: ['127.0.0.1:47800', '[::1]:8080', 'mirror.internal:9000'], allowedPorts: [80, 443] };
    expect(checkUrl('http://127.0.0.1:47800/a.jpg', policy).port).toBe('47800');
    expect(checkUrl('http://[::1]:8080/a.jpg', policy).port).toBe('8080');
    expect(checkUrl('http://mirror.internal:9000/a.jpg', policy).port).toBe('9000');
    for (const url of ['http://127.0.0.1:5432/', 'http://127.0.0.1/', 'http://[::1]/', 'http://mirror.internal/a.jpg']) {
      const error = refusal(() => checkUrl(url, policy));
      expect(error.kind).toBe(ErrorKind.blockedAddress);
      expect(error.message).toContain('allowed only on another port');
    }
  });
});

describe('guarded lookup', () => {
  type Lookup = ReturnType<typeof createGuardedLookup>;
  const lookupAll = (lookup: Lookup, host: string) =>
    new Promise<LookupAddress[]>((resolve, reject) =>
      lookup(host, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses as LookupAddress[]))),
    );
  const lookupOne = (lookup: Lookup, host: string, family?: number) =>
    new Promise<[string, number | undefined]>((resolve, reject) =>
      lookup(host, { family }, (error, address, fam) => (error ? reject(error) : resolve([address as string, fam]))),
    );
  const fakeDns =
    (records: Record<string, string[]>) =>
    async (host: string): Promise<LookupAddress[]> =>
      (records[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('does not let a port-scoped IP entry admit other hostnames that resolve to it (any port)', async () => {
    const policy: GuardPolicy = { allowHosts: ['127.0.0.1:47800', 'cdn.local:47800'], allowedPorts: [80, 443] };
    const lookup = createGuardedLookup(policy, fakeDns({ 'evil.test': ['127.0.0.1'], 'cdn.local': ['127.0.0.1'] }));
    const error = await lookupAll(lookup, 'evil.test').catch((e: unknown) => e);
    expect((error as ImageError).kind).toBe(ErrorKind.blockedAddress);
    // The scoped hostname itself is trusted: checkUrl has already refused it on any other port.
    expect((await lookupAll(lookup, 'cdn.local')).map((a) => a.address)).toEqual(['127.0.0.1']);
    expect(refusal(() => checkUrl('http://cdn.local/x.jpg', policy)).message).toContain('allowed only on another port');
  });

  it('refuses localhost, which the system resolver maps to loopback', async () => {
    const error = await lookupAll(createGuardedLookup(strict), 'localhost').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).kind).toBe(ErrorKind.blockedAddress);
    expect((error as ImageError).message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1)/);
  });

  it('refuses a name when any of its addresses is private (rebinding with mixed records)', async () => {
    const lookup = createGuardedLookup(strict, fakeDns({ 'evil.example': ['93.184.215.14', '10.0.0.7'] }));
    await expect(lookupAll(lookup, 'evil.example')).rejects.toMatchObject({
      kind: ErrorKind.blockedAddress,
      message: 'evil.example resolves to 10.0.0.7, which is not a public address',
    });
  });

  it('refuses names pointing at mapped or metadata addresses', async () => {
    const lookup = createGuardedLookup(strict, fakeDns({ a: ['::ffff:127.0.0.1'], b: ['169.254.169.254'] }));
    await expect(lookupAll(lookup, 'a')).rejects.toMatchObject({ kind: ErrorKind.blockedAddress });
    await expect(lookupAll(lookup, 'b')).rejects.toMatchObject({ kind: ErrorKind.blockedAddress });
  });

  it('returns public addresses in both callback shapes', async () => {
    const lookup = createGuardedLookup(strict, fakeDns({ 'cdn.example': ['2606:4700::6810:84e5', '104.16.132.229'] }));
    expect(await lookupAll(lookup, 'cdn.example')).toEqual([
      { address: '2606:4700::6810:84e5', family: 6 },
      { address: '104.16.132.229', family: 4 },
    ]);
    expect(await lookupOne(lookup, 'cdn.example', 4)).toEqual(['104.16.132.229', 4]);
  });

  it('lets an allow-listed hostname or CIDR resolve privately', async () => {
    const policy: GuardPolicy = { allowHosts: ['mirror.internal', '10.20.0.0/16'], allowedPorts: [443] };
    const lookup = createGuardedLookup(
      policy,
      fakeDns({ 'mirror.internal': ['192.168.5.5'], 'img.supplier': ['10.20.1.1'], other: ['10.30.1.1'] }),
    );
    expect(await lookupAll(lookup, 'mirror.internal')).toEqual([{ address: '192.168.5.5', family: 4 }]);
    expect(await lookupAll(lookup, 'img.supplier')).toEqual([{ address: '10.20.1.1', family: 4 }]);
    await expect(lookupAll(lookup, 'other')).rejects.toMatchObject({ kind: ErrorKind.blockedAddress });
  });

  it('passes resolver failures through with their code', async () => {
    const lookup = createGuardedLookup(strict, fakeDns({}));
    await expect(lookupAll(lookup, 'nowhere.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
