// What the stats modules read from the running process: its proxies and process-wide figures.
// Built once by the runtime (stats/service.ts); nothing here is module-global.
import { readFileSync } from 'node:fs';
import type { ProxyRuntime } from '../runtime/types.js';

export interface StatsEnvironment {
  /** The runtime's proxies, in configuration order. */
  proxies(): readonly ProxyRuntime[];
  /** Sessions currently open in this process. */
  processSessions(): number;
  readonly globalMaxconn: number;
  /** `nbproc` from the configuration: each process reports only its own counters. */
  readonly nbproc: number;
  /** This process's number among them (1-based; 1 when unknown). */
  readonly processNumber: number;
  readonly pid: number;
  /** Date.now() when the runtime was built. */
  readonly startedMs: number;
  readonly version: string;
}

/** tsproxy's version from package.json (dist/src/stats/ → package root), '0.0.0' if unreadable. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
