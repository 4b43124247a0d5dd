// monitor-net matching (spec §11.1): is a client address inside one of the proxy's monitoring
// networks? IPv4 and IPv6 networks; IPv4-mapped IPv6 clients (dual-stack listeners) match as
// IPv4. Compiled once per proxy.
import ipaddr from 'ipaddr.js';
import type { Network } from '../config/model.js';

export type MonitorMatcher = (clientAddress: string) => boolean;

export function compileMonitorNets(nets: readonly Network[]): MonitorMatcher | undefined {
  const compiled: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const n of nets) {
    // legacy: a mask of 0 disables the feature
    if (n.prefixLength <= 0) continue;
    try {
      compiled.push([ipaddr.parse(n.address), n.prefixLength]);
    } catch {
      // the parser validated the address; an unparsable one simply never matches
    }
  }
  if (compiled.length === 0) return undefined;
  return (clientAddress: string) => {
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      addr = ipaddr.process(clientAddress);
    } catch {
      return false;
    }
    for (const [net, bits] of compiled) {
      if (net.kind() === addr.kind() && addr.match(net, bits)) return true;
    }
    return false;
  };
}

/** `::ffff:1.2.3.4` → `1.2.3.4`, for logs and hashing; other addresses unchanged. */
export function plainAddress(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.indexOf('.') > 0 ? address.slice(7) : address;
}
