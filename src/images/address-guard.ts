import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';
import type { Config } from '../config.ts';
import { ErrorKind, ImageError } from './errors.ts';

/** What the guard needs from `config.fetch`. */
export type GuardPolicy = Pick<Config['fetch'], 'allowHosts' | 'allowedPorts'>;

type Address = ipaddr.IPv4 | ipaddr.IPv6;

// Global unicast (2000::/3) is the only IPv6 space routed on the internet; ipaddr.js calls
// anything it has no name for "unicast", including unallocated space.
const globalUnicastV6 = ipaddr.parseCIDR('2000::/3');
// Deprecated IPv4-compatible form (::a.b.c.d): ipaddr.js reports it as unicast.
const ipv4CompatibleV6 = ipaddr.parseCIDR('::/96');
// NAT64 local-use prefix: translates to whatever the local network means, never public.
const localUseNat64 = ipaddr.parseCIDR('64:ff9b:1::/48');

function embeddedV4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts;
  switch (address.range()) {
    case 'ipv4Mapped':
      return address.toIPv4Address();
    case '6to4':
      return ipaddr.IPv4.parse(`${p[1]! >> 8}.${p[1]! & 0xff}.${p[2]! >> 8}.${p[2]! & 0xff}`);
    case 'rfc6052': // NAT64 well-known prefix 64:ff9b::/96 keeps the IPv4 in the low 32 bits
      return ipaddr.IPv4.parse(`${p[6]! >> 8}.${p[6]! & 0xff}.${p[7]! >> 8}.${p[7]! & 0xff}`);
    case 'teredo': {
      // The Teredo client address is stored inverted in the low 32 bits.
      const hi = ~p[6]! & 0xffff;
      const lo = ~p[7]! & 0xffff;
      return ipaddr.IPv4.parse(`${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`);
    }
    default:
      return undefined;
  }
}

function isPublic(address: Address): boolean {
  if (address.kind() === 'ipv4') return address.range() === 'unicast';
  const v6 = address as ipaddr.IPv6;
  const range = v6.range();
  if (v6.match(localUseNat64)) return false;
  const inner = embeddedV4(v6);
  if (inner) return isPublic(inner);
  if (v6.match(ipv4CompatibleV6)) return false;
  return range === 'unicast' && v6.match(globalUnicastV6);
}

/**
 * True only for public unicast addresses: loopback, private, link-local (cloud metadata),
 * CGNAT, multicast, reserved and documentation ranges fail, and so do IPv6 forms that wrap
 * such an IPv4 (mapped, 6to4, NAT64, Teredo). Anything that is not an IP literal fails.
 */
export function isPublicAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  return isPublic(ipaddr.parse(ip));
}

function parseIpOrUndefined(host: string): Address | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return ipaddr.isValid(bare) ? ipaddr.parse(bare) : undefined;
}

function sameFamily(address: Address, other: Address): Address | undefined {
  if (address.kind() === other.kind()) return address;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (address as ipaddr.IPv6).toIPv4Address();
  }
  return undefined;
}

/** An allow-list entry: a hostname, IP or CIDR, optionally scoped to one port (`127.0.0.1:47800`, `[::1]:8080`). */
function parseEntry(entry: string): { host: string; port: number | undefined } {
  const lower = entry.toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(lower);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : undefined };
  const hostPort = /^([^:/]+):(\d+)$/.exec(lower);
  if (hostPort) return { host: hostPort[1]!, port: Number(hostPort[2]) };
  return { host: lower, port: undefined };
}

function entryNames(entry: string, name: string, address: Address | undefined): boolean {
  if (!address) return entry === name;
  if (ipaddr.isValidCIDR(entry)) {
    const [network, bits] = ipaddr.parseCIDR(entry);
    const candidate = sameFamily(address, network);
    return candidate !== undefined && candidate.match(network, bits);
  }
  const listed = parseIpOrUndefined(entry);
  const candidate = listed && sameFamily(address, listed);
  return candidate !== undefined && candidate.toNormalizedString() === listed!.toNormalizedString();
}

/**
 * How the allow-list treats this host: 'any' port, 'other-port' (listed, but only for other ports),
 * or undefined (not listed). Without a port (the connect-time lookup) any entry naming the host counts.
 */
function allowListing(host: string, allowHosts: readonly string[], port?: number): 'any' | 'other-port' | undefined {
  const name = host.toLowerCase().replace(/\.$/, '');
  const address = parseIpOrUndefined(name);
  let listing: 'any' | 'other-port' | undefined;
  for (const raw of allowHosts) {
    const entry = parseEntry(raw);
    if (!entryNames(entry.host, name, address)) continue;
    if (entry.port === undefined || port === undefined || entry.port === port) return 'any';
    listing = 'other-port';
  }
  return listing;
}

function isAllowListed(host: string, allowHosts: readonly string[]): boolean {
  return allowListing(host, allowHosts) === 'any';
}

/**
 * For resolved addresses at connect time, where the port is unknown: only entries without a port
 * count. Otherwise `127.0.0.1:47800` would let any hostname resolving to 127.0.0.1 in on port 80.
 * (A port-scoped hostname is safe to trust here: checkUrl already refused it on other ports.)
 */
function isAllowListedOnAnyPort(address: string, allowHosts: readonly string[]): boolean {
  return isAllowListed(address, allowHosts.filter((entry) => parseEntry(entry).port === undefined));
}

function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/**
 * Parses and vets a URL before any connection is made. IP literals are checked here because
 * undici never calls `lookup` for them; the WHATWG parser has already turned spellings such as
 * `2130706433`, `0x7f.1` or `[::ffff:127.0.0.1]` into their canonical form.
 * @throws ImageError `bad_url` (unparseable, not http(s), credentials) or `blocked_address`.
 */
export function checkUrl(url: string, policy: GuardPolicy): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new ImageError(ErrorKind.badUrl, `${url}: not a valid URL`, { cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ImageError(ErrorKind.badUrl, `${url}: scheme ${parsed.protocol} is not http(s)`);
  }
  if (parsed.username || parsed.password) {
    throw new ImageError(ErrorKind.badUrl, `${url}: URLs with credentials are refused`);
  }
  const port = defaultPort(parsed);
  const listing = allowListing(parsed.hostname, policy.allowHosts, port);
  if (listing === 'other-port') {
    throw new ImageError(ErrorKind.blockedAddress, `${url}: ${parsed.hostname} is allowed only on another port`);
  }
  const allowed = listing === 'any';
  if (!allowed && !policy.allowedPorts.includes(port)) {
    throw new ImageError(
      ErrorKind.blockedAddress,
      `${url}: port ${port} is not allowed (allowed: ${policy.allowedPorts.join(', ')})`,
    );
  }
  const literal = parseIpOrUndefined(parsed.hostname);
  if (literal && !allowed && !isPublic(literal)) {
    throw new ImageError(ErrorKind.blockedAddress, `${url}: ${parsed.hostname} is not a public address`);
  }
  return parsed;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** Resolves every address of a hostname, like `dns.promises.lookup(host, { all: true })`. */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

function vetAddresses(
  hostname: string,
  addresses: LookupAddress[],
  family: number | undefined,
  policy: GuardPolicy,
): LookupAddress[] {
  const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
  if (usable.length === 0) {
    throw Object.assign(new Error(`${hostname}: no address to connect to`), { code: 'ENOTFOUND' });
  }
  if (isAllowListed(hostname, policy.allowHosts)) return usable;
  const blocked = usable.find((a) => !isPublicAddress(a.address) && !isAllowListedOnAnyPort(a.address, policy.allowHosts));
  if (blocked) {
    throw new ImageError(
      ErrorKind.blockedAddress,
      `${hostname} resolves to ${blocked.address}, which is not a public address`,
    );
  }
  return usable;
}

/**
 * A `lookup` for `net.connect` / undici `Agent({ connect: { lookup } })` that refuses the
 * connection when any resolved address is not public; the check runs on the very addresses
 * the socket will use, so DNS rebinding cannot slip in between check and connect.
 * Allow-listed hostnames skip the check; allow-listed IPs and CIDRs pass for what they cover.
 */
export function createGuardedLookup(policy: GuardPolicy, resolve: Resolver = systemResolver) {
  return function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
    resolve(hostname).then(
      (addresses) => {
        let usable: LookupAddress[];
        try {
          usable = vetAddresses(hostname, addresses, options.family as number | undefined, policy);
        } catch (error) {
          callback(error as NodeJS.ErrnoException, '');
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
