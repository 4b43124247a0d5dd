// Legacy resource-exhaustion messages (spec §12.7): when accept() or connect() fails for want of
// file descriptors or memory, the proxy's syslog targets get HAProxy's emergency text. Rate
// limited to one message per proxy per second so an overloaded process does not flood its logs.
import { readFileSync } from 'node:fs';

/** The process's open-files soft limit (Linux /proc), or undefined when it cannot be read. */
export function processFdLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    return m !== null ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The legacy message for an accept/connect errno, or undefined when it is not a resource error. */
export function resourceMessage(proxyName: string, code: string | undefined, fdLimit: () => number | undefined): string | undefined {
  switch (code) {
    case 'EMFILE':
      return `Proxy ${proxyName} reached process FD limit at ${fdLimit() ?? 'unknown'}. Please check 'ulimit-n' and restart.`;
    case 'ENFILE':
      return `Proxy ${proxyName} reached system FD limit at ${fdLimit() ?? 'unknown'}. Please check system tunables.`;
    case 'ENOBUFS':
    case 'ENOMEM':
      return `Proxy ${proxyName} reached system memory limit at ${fdLimit() ?? 'unknown'} sockets. Please check system tunables.`;
    default:
      return undefined;
  }
}

/** Lets one message through per `intervalMs`. */
export class RateLimit {
  private lastMs = -Infinity;
  constructor(private readonly intervalMs: number) {}
  allow(nowMs: number): boolean {
    if (nowMs - this.lastMs < this.intervalMs) return false;
    this.lastMs = nowMs;
    return true;
  }
}
