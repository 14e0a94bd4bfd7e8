// Tells whether Twilio, calling from the internet, could reach a host name or address at all.
// Judged from the name alone (no DNS): loopback, private and link-local ranges, and names that only resolve locally.
import { isIP } from 'node:net';

/** Why Twilio cannot reach this host, or undefined when it looks public. */
export function unreachableHostReason(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine`;
  const family = isIP(host);
  if (family === 4) return ipv4Reason(host);
  if (family === 6) return ipv6Reason(host);
  if (/\.(local|lan|internal|intranet|home|corp|localdomain|home\.arpa)$/.test(host)) {
    return `${host} is a local-network name that does not resolve on the internet`;
  }
  if (/(^|\.)(test|invalid|example)$|(^|\.)example\.(com|net|org)$/.test(host)) return `${host} is a reserved example name`;
  if (!host.includes('.')) return `${host} is not a full domain name`;
  return undefined;
}

/**
 * Whether the host is this machine or the local network: a local-only setup (voicebridge call on this machine) rather
 * than a mistake. Reserved example names and bare words are unreachable too, but they are nobody's real setup.
 */
export function isLocalOnlyHost(hostname: string): boolean {
  const reason = unreachableHostReason(hostname);
  return reason !== undefined && /this machine|private|link-local|local-network/.test(reason);
}

function ipv4Reason(host: string): string | undefined {
  const [a = 0, b = 0] = host.split('.').map(Number);
  if (a === 127) return `${host} is this machine (loopback)`;
  if (a === 0) return `${host} is not an address anyone can connect to`;
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return `${host} is a private network address`;
  if (a === 169 && b === 254) return `${host} is a link-local address`;
  if (a === 100 && b >= 64 && b <= 127) return `${host} is a carrier-grade NAT address, not reachable from the internet`;
  return undefined;
}

function ipv6Reason(host: string): string | undefined {
  if (host === '::1' || host === '::') return `${host} is this machine (loopback)`;
  if (/^f[cd][0-9a-f]{2}:/.test(host)) return `${host} is a private (unique local) address`;
  if (/^fe[89ab][0-9a-f]:/.test(host)) return `${host} is a link-local address`;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (mapped) return ipv4Reason(mapped[1]!);
  // A URL writes an IPv4-mapped address in hex (https://[::ffff:127.0.0.1] has the hostname [::ffff:7f00:1]).
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!hex) return undefined;
  const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  const reason = ipv4Reason(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  return reason ? `${host} is an IPv4 address in IPv6 form: ${reason}` : undefined;
}
