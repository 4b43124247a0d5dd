// Daemon mode (-D / `daemon`, spec §13.7). Node cannot fork, so the launcher binds every listener
// itself (as legacy's parent did before forking), starts `nbproc` detached children in new
// sessions with stdio on /dev/null and the sockets as inherited fds, waits until each has started
// and dropped privileges, writes the pidfile (children's pids, one per line, in start order), sends
// the `-sf`/`-st` signal, and only then exits 0. Any failure: the alert, exit 1.
import { writePidfile } from './pidfile.js';
import { releaseOld, bindWithHandover, signalPids } from './reload.js';
import type { Prepared } from './run.js';
import { fatal } from './run.js';
import type { RunOptions } from './run-options.js';
import { bindAlert, bindTargets, closeHeld } from './sockets.js';
import { spawnGeneration } from './spawn.js';

export async function launchDaemon(options: RunOptions, prepared: Prepared): Promise<void> {
  const { config, mode, log } = prepared;
  const bound = await bindWithHandover(bindTargets(config), new Map(), { oldPids: mode.oldPids });
  const resumeOld = (paused: boolean) => {
    if (paused) signalPids(mode.oldPids, 'SIGTTIN');
  };
  if (!bound.ok) {
    resumeOld(bound.pausedOld);
    fatal(log, bindAlert(bound.failure));
  }
  const generation = await spawnGeneration({
    count: mode.nbproc,
    held: bound.held,
    kind: 'daemon',
    output: 'ignore',
    detached: true,
    ...(mode.pidfile !== undefined ? { pidfile: mode.pidfile } : {}),
    ...(options.memoryLimitMb !== undefined ? { maxOldSpaceMb: options.memoryLimitMb / mode.nbproc } : {}),
  });
  closeHeld(bound.held.values());
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
  for (const child of generation.children) {
    child.disconnect();
    child.unref();
  }
  process.exit(0);
}
