// PLACEHOLDER owned by the health-check work: replaced by the real scheduler.
import type { ProxyRuntime } from '../runtime/types.js';

export interface CheckScheduler {
  stop(): void;
}

/** Starts one check loop per server with `check` in this proxy. */
export function startChecks(proxy: ProxyRuntime): CheckScheduler {
  void proxy;
  return { stop() {} };
}
