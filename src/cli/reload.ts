// The legacy hot-reconfiguration handshake (spec §13.6, `-sf`/`-st`): bind every address; when
// one is taken and old pids were given, ask them to release their ports (SIGTTOU) and retry;
// on success the caller tells them to finish (SIGUSR1) or terminate (SIGTERM); on failure they
// are resumed (SIGTTIN). Node 20 has no SO_REUSEPORT, so the old process closes its listening
// sockets on SIGTTOU (see runtime pause) and the port is free for the few ms until we bind it.
import { fetchSockets } from './handover.js';
import { bindOne, isFailure, type BindFailure, type BindTarget, type HeldSocket } from './sockets.js';

export interface HandoverOptions {
  /** `-sf`/`-st` pids; empty = a plain start (one attempt). */
  readonly oldPids: readonly number[];
  /** false: skip the socket hand-over and do the legacy SIGTTOU dance only (default: on unless TSPROXY_HANDOVER=off). */
  readonly handover?: boolean;
  /** Legacy retried 200 times every 10 ms; we poll faster over the same ~2 s to narrow the window. */
  readonly attempts?: number;
  readonly intervalMs?: number;
}

export type BindOutcome =
  | { readonly ok: true; readonly held: Map<string, HeldSocket>; readonly pausedOld: boolean }
  | { readonly ok: false; readonly failure: BindFailure; readonly pausedOld: boolean };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Binds every target, reusing already held sockets by key (master-worker reloads). Sockets bound
 * by a failed attempt are closed again before returning.
 */
export async function bindWithHandover(
  targets: readonly BindTarget[],
  reuse: ReadonlyMap<string, HeldSocket>,
  options: HandoverOptions,
): Promise<BindOutcome> {
  const attempts = options.oldPids.length > 0 ? (options.attempts ?? 2000) : 1;
  const intervalMs = options.intervalMs ?? 1;
  // Sockets received from the old processes count as bound by this attempt.
  const handover = options.handover ?? process.env.TSPROXY_HANDOVER !== 'off';
  const fresh = options.oldPids.length > 0 && handover ? await socketsFromOld(options.oldPids, targets) : new Map<string, HeldSocket>();
  const seen = new Set<string>();
  const pending: BindTarget[] = [];
  for (const target of targets) {
    if (seen.has(target.key)) {
      // The same address twice in the configuration: the second bind would fail in legacy too.
      closeFresh(fresh);
      return { ok: false, failure: { target, code: 'EADDRINUSE' }, pausedOld: false };
    }
    seen.add(target.key);
    if (!reuse.has(target.key) && !fresh.has(target.key)) pending.push(target);
  }
  let pausedOld = false;
  let lastFailure: BindFailure | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    lastFailure = undefined;
    for (const target of pending) {
      if (fresh.has(target.key)) continue;
      const result = bindOne(target);
      if (isFailure(result)) {
        lastFailure ??= result;
      } else {
        fresh.set(target.key, result);
      }
    }
    if (!lastFailure) break;
    // Only a port held by someone else is worth waiting for.
    if (lastFailure.code !== 'EADDRINUSE' || options.oldPids.length === 0) break;
    if (!pausedOld) {
      signalPids(options.oldPids, 'SIGTTOU');
      pausedOld = true;
    }
    if (attempt + 1 < attempts) await sleep(intervalMs);
  }
  if (lastFailure) {
    closeFresh(fresh);
    return { ok: false, failure: lastFailure, pausedOld };
  }
  const held = new Map<string, HeldSocket>();
  for (const target of targets) held.set(target.key, reuse.get(target.key) ?? fresh.get(target.key)!);
  return { ok: true, held, pausedOld };
}

function closeFresh(fresh: Map<string, HeldSocket>): void {
  for (const socket of fresh.values()) socket.handle.close();
  fresh.clear();
}

/**
 * The hitless path: asks the old processes (first one that answers) for their listening sockets.
 * Returns those the new configuration uses; the rest are closed at once (the old processes keep
 * their own copies until they finish).
 */
export async function socketsFromOld(oldPids: readonly number[], targets: readonly BindTarget[]): Promise<Map<string, HeldSocket>> {
  const out = new Map<string, HeldSocket>();
  for (const pid of oldPids) {
    const got = await fetchSockets(pid);
    if (got.size === 0) continue;
    for (const [key, handle] of got) {
      const target = targets.find((t) => t.key === key);
      if (target === undefined || out.has(key)) {
        handle.close();
        continue;
      }
      out.set(key, { key, host: target.host, port: target.port, proxyName: target.proxyName, fd: handle.fd, handle });
    }
    break;
  }
  return out;
}

/** Sends a signal to each pid; a pid that is already gone is not an error. */
export function signalPids(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // ESRCH: gone already; EPERM: not ours — nothing more we can do.
    }
  }
}

/** After a successful start: `-sf` lets the old processes finish, `-st` terminates them. */
export function releaseOld(pids: readonly number[], how: 'finish' | 'terminate'): void {
  signalPids(pids, how === 'finish' ? 'SIGUSR1' : 'SIGTERM');
}
