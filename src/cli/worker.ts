// The child side of daemon and master-worker modes: a tsproxy process started by a launcher or a
// master with the listening sockets as inherited fds (stdio 4, 5, …) and an IPC channel (fd 3)
// to report "ready" or the alert that stopped it.
import { readConfig } from './config-read.js';
import { resolveMode } from './mode.js';
import { resolveIdentity } from './privileges.js';
import type { RunOptions } from './run-options.js';
import { startupLog } from './run.js';
import { serve } from './serve.js';
import { wrapFd, type TcpHandle } from './handover.js';

export const WORKER_ENV = 'TSPROXY_WORKER';

/** What the parent tells the child, as JSON in TSPROXY_WORKER. */
export interface WorkerRole {
  /** 'daemon': detached, on its own once ready; 'worker': under a master, soft-stops if it dies. */
  readonly kind: 'daemon' | 'worker';
  /** bind key → fd number in the child. */
  readonly fds: readonly (readonly [string, number])[];
  /** The pidfile that lists this process (daemon mode), removed on exit if still ours. */
  readonly pidfile?: string;
  /** Rank among the generation's `nbproc` processes, 1..N (stats Process_num). */
  readonly processNumber?: number;
}

/** What a daemon launcher tells its children once the pidfile is written. */
export type LauncherMessage = { readonly type: 'detach' };

export type WorkerMessage =
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'failed'; readonly pid: number; readonly alert: string };

export function workerRoleFromEnv(env: NodeJS.ProcessEnv): WorkerRole | undefined {
  const raw = env[WORKER_ENV];
  if (raw === undefined || raw === '') return undefined;
  try {
    const role = JSON.parse(raw) as WorkerRole;
    if ((role.kind === 'daemon' || role.kind === 'worker') && Array.isArray(role.fds)) return role;
  } catch {
    // not ours
  }
  return undefined;
}

/** The stdio array that puts the IPC channel on fd 3 and each socket on fd 4, 5, … */
export function childStdio(
  fds: readonly number[],
  output: 'ignore' | 'inherit',
): ('ignore' | 'inherit' | 'ipc' | number)[] {
  return ['ignore', output, output, 'ipc', ...fds];
}

/** The role for a child receiving `keys` in that order. */
export function roleFor(kind: WorkerRole['kind'], keys: readonly string[], pidfile?: string): WorkerRole {
  return { kind, fds: keys.map((key, i) => [key, 4 + i] as const), ...(pidfile !== undefined ? { pidfile } : {}) };
}

function report(message: WorkerMessage): void {
  process.send?.(message);
}

export async function runWorker(options: RunOptions, role: WorkerRole): Promise<void> {
  // Our environment must not leak into processes we might start.
  delete process.env[WORKER_ENV];
  // The IPC channel must not keep a draining process alive.
  process.channel?.unref();
  // A daemon child is told when its launcher lets it go; losing the launcher before that (or, for
  // a worker, losing the master at any time) means nobody will ever list or stop it: it stops.
  let detached = false;
  process.on('message', (m: LauncherMessage) => {
    if (role.kind === 'daemon' && m?.type === 'detach') detached = true;
  });
  // Parent gone while we are still starting: nobody is waiting for us, give up.
  const orphanedEarly = () => {
    if (!detached) process.exit(1);
  };
  process.on('disconnect', orphanedEarly);
  // (the channel may have closed before this listener existed: the event is not repeated)
  if (!process.connected) orphanedEarly();
  // Exit only once the alert has left on the channel (process.exit would not wait for it).
  const fail = (alert: string): Promise<void> =>
    new Promise<void>(() => {
      const exit = () => process.exit(1);
      setTimeout(exit, 2000).unref();
      if (process.send) process.send({ type: 'failed', pid: process.pid, alert } satisfies WorkerMessage, exit);
      else exit();
    });
  const read = await readConfig(options.configFiles);
  if (!read.ok) return fail(read.alerts.join('\n'));
  const config = read.config;
  const mode = resolveMode(options, config.global);
  const processLog = startupLog(mode.quiet, mode.verbose, mode.logFormat);
  let identity;
  try {
    identity = resolveIdentity(config.global);
  } catch (err) {
    return fail((err as Error).message);
  }
  // A daemon child offers its sockets to a `-sf` successor: wrap the inherited fds (the runtime
  // listens on the same descriptors; these wraps are only ever sent, never read or closed).
  const offer = new Map<string, TcpHandle>();
  if (role.kind === 'daemon') {
    for (const [key, fd] of role.fds) {
      const handle = wrapFd(fd);
      if (handle) offer.set(key, handle);
    }
  }
  const result = await serve({
    offer,
    config,
    mode,
    processLog,
    inheritedHandles: new Map(role.fds.map(([key, fd]) => [key, { fd }])),
    identity,
    pidfile: role.pidfile,
    ...(typeof role.processNumber === 'number' ? { processNumber: role.processNumber } : {}),
    onParentGone: () => !detached,
  });
  if (!result.ok) return fail(result.alert);
  process.off('disconnect', orphanedEarly);
  if (!process.connected && !detached) {
    // the parent went away while we were starting
    result.runtime.stop();
    process.exit(1);
  }
  report({ type: 'ready', pid: process.pid });
}
