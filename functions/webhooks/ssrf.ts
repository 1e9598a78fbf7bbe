/**
 * SSRF guard for webhook deliveries: the CRM never calls a private, loopback, link-local or
 * otherwise non-public address, however the URL names it. The host is resolved (every A and AAAA
 * record) and refused if ANY address is not public; the connection then goes to an address that
 * was checked (the lookup is pinned), so a DNS answer that changes between check and connect
 * (rebinding) cannot slip through. Redirects are never followed (functions/webhooks/send.ts), so a
 * public URL cannot bounce the request inward either.
 *
 * Locally, `WEBHOOK_ALLOWED_HOSTS` (comma-separated host names or addresses, e.g. `127.0.0.1,localhost`)
 * exempts hosts from the check and allows plain http to them, so tests and the README walk-through
 * can target a receiver on this machine. It is never set in AWS (lib/ passes no such variable).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Refused: an address that is not public, or a name that resolves to one. */
export class BlockedAddress extends Error {
  override readonly name = 'BlockedAddress';
}

const blocked = new BlockList();
// IPv4 (RFC 6890 special-purpose ranges that are not globally reachable, plus multicast/reserved).
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
// IPv6: unspecified, loopback, IPv4-mapped/translated (checked again as IPv4 below), discard,
// documentation, unique-local, link-local, site-local, multicast.
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address an IPv6 address embeds (`::ffff:10.0.0.1`, `64:ff9b::a00:1`), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::|::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const high = parseInt(hex[1]!, 16);
    const low = parseInt(hex[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return undefined;
}

/** Whether an IP address (v4 or v6) may be called. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !blocked.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4) return isIP(v4) === 4 && !blocked.check(v4, 'ipv4');
    return !blocked.check(address, 'ipv6');
  }
  return false;
}

/** Hosts exempt from the guard (local development and tests only). */
export function allowedHosts(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set((env.WEBHOOK_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean));
}

/** `[::1]` → `::1` (URL hostnames keep IPv6 brackets); `localhost.` → `localhost` (a root-anchored name). */
export function bareHost(hostname: string): string {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

export function isAllowListed(url: URL, env: NodeJS.ProcessEnv = process.env): boolean {
  return allowedHosts(env).has(bareHost(url.hostname).toLowerCase());
}

/**
 * What a webhook URL must satisfy before it is stored: https (plain http only for allow-listed
 * hosts), no credentials in it, and — when the host is an IP literal — a public address. A name is
 * checked again, resolved, at every attempt. Returns a reason, or undefined when fine.
 */
export function urlProblem(raw: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let url: URL;
  try { url = new URL(raw); } catch { return 'is not an absolute URL'; }
  const allowed = isAllowListed(url, env);
  if (url.protocol !== 'https:' && !(allowed && url.protocol === 'http:')) return 'must use https';
  if (url.username || url.password) return 'must not contain credentials';
  const host = bareHost(url.hostname);
  if (!allowed && (host === 'localhost' || host.endsWith('.localhost'))) return 'names this machine (localhost)';
  if (!allowed && isIP(host) && !isPublicAddress(host)) return 'names a private, loopback or link-local address';
  return undefined;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * The address to connect to for `url`: every address the host resolves to must be public (an
 * allow-listed host skips the check). Throws BlockedAddress otherwise.
 */
export async function resolvePublic(url: URL, env: NodeJS.ProcessEnv = process.env, resolve = (host: string) => lookup(host, { all: true, verbatim: true })): Promise<ResolvedAddress> {
  const host = bareHost(url.hostname);
  const allowed = isAllowListed(url, env);
  const family = isIP(host);
  if (family) {
    if (!allowed && !isPublicAddress(host)) throw new BlockedAddress('the address is not public');
    return { address: host, family: family as 4 | 6 };
  }
  if (!allowed && (host === 'localhost' || host.endsWith('.localhost'))) throw new BlockedAddress('the host is this machine');
  const addresses = await resolve(host);
  if (addresses.length === 0) throw new BlockedAddress('the host has no address');
  if (!allowed) {
    for (const { address } of addresses) {
      if (!isPublicAddress(address)) throw new BlockedAddress('the host resolves to an address that is not public');
    }
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
