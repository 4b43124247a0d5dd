// `balance source` hashing (spec §7.8): XOR of the 32-bit words of the client address,
// taken modulo the server map length by the balancer. Pure.
import ipaddr from 'ipaddr.js';

/** Hash of a client address; IPv4-mapped IPv6 addresses hash as their IPv4 form. */
export function sourceHash(address: string): number {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return 0;
  }
  const bytes = parsed.toByteArray();
  let h = 0;
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    h ^= ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
  }
  return h >>> 0;
}
