// Daemon mode (-D / `daemon`, spec §13.7). Node cannot fork, so the launcher binds every listener
// itself (as legacy's parent did before forking), starts `nbproc` detached children in new
// sessions with stdio on /dev/null and the sockets as inherited fds, waits until each has started
// and dropped privileges, writes the pidfile (children's pids, one per line, in start order), sends
// the `-sf`/`-st` signal, and only then exits 0. Any failure: the alert, exit 1.
import { installLauncherSignals } from './launcher-signals.js';
import { writePidfile } from './pidfile.js';
import { releaseOld, bindWithHandover, signalPids } from './reload.js';
import type { Prepared } from './run.js';
import { fatal } from './run.js';
import type { RunOptions } from './run-options.js';
import { bindAlert, bindTargets, closeHeld } from './sockets.js';
import { spawnGeneration } from './spawn.js';
import type { LauncherMessage } from './worker.js';

/** The children listen again with their proxy's maxconn (the runtime's backlog). */
const LISTEN_BACKLOG = 1024;

export async function launchDaemon(options: RunOptions, prepared: Prepared): Promise<void> {
  const { config, mode, log } = prepared;
  // SIGTERM/SIGINT: the children go first, then us; SIGUSR1: passed on once they serve.
  const signals = installLauncherSignals();
  const dying = (): Promise<void> => new Promise<void>(() => {});
  const bound = await bindWithHandover(bindTargets(config), new Map(), { oldPids: mode.oldPids });
  const resumeOld = (paused: boolean) => {
    if (paused) signalPids(mode.oldPids, 'SIGTTIN');
  };
  if (!bound.ok) {
    resumeOld(bound.pausedOld);
    fatal(log, bindAlert(bound.failure));
  }
  if (signals.terminating) return dying();
  // The sockets start listening now, so that the kernel queues connections while the children
  // start (a -sf reload that had to pause the old process would otherwise refuse them for the
  // children's whole startup). We never accept on them: this process closes its copies in the
  // same tick, right after spawning, before its event loop could poll them.
  for (const socket of bound.held.values()) {
    socket.handle.onconnection = (_status, client) => client?.close();
    socket.handle.listen(LISTEN_BACKLOG);
  }
  const generation = await spawnGeneration({
    count: mode.nbproc,
    held: bound.held,
    kind: 'daemon',
    output: 'ignore',
    detached: true,
    onChild: (child) => signals.add(child),
    onSpawned: () => closeHeld(bound.held.values()),
    ...(mode.pidfile !== undefined ? { pidfile: mode.pidfile } : {}),
    ...(options.memoryLimitMb !== undefined ? { maxOldSpaceMb: options.memoryLimitMb / mode.nbproc } : {}),
  });
  // killed meanwhile: the handler takes the children down and then us
  if (signals.terminating) return dying();
  if (!generation.ok) {
    resumeOld(bound.pausedOld);
    fatal(log, generation.alert);
  }
  const pids = generation.children.map((c) => c.pid!);
  if (mode.pidfile !== undefined) {
    try {
      writePidfile(mode.pidfile, pids);
    } catch {
      for (const child of generation.children) child.kill('SIGTERM');
      resumeOld(bound.pausedOld);
      fatal(log, `[tsproxy.main()] Cannot create pidfile ${mode.pidfile}`);
    }
  }
  if (mode.oldPids.length > 0) releaseOld(mode.oldPids, mode.oldPidsHow);
  // "You are on your own now": a child that loses its launcher without this message (the launcher
  // was killed half-way) stops instead of running on unlisted.
  await Promise.all(
    generation.children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (!child.send({ type: 'detach' } satisfies LauncherMessage, () => resolve())) resolve();
        }),
    ),
  );
  if (signals.terminating) return dying();
  // legacy: a process told to soft-stop while starting stops once started
  if (signals.softStopRequested) for (const child of generation.children) child.kill('SIGUSR1');
  for (const child of generation.children) {
    child.disconnect();
    child.unref();
  }
  process.exit(0);
}
