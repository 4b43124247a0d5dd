// Master-worker mode (-W, -Ws; modern HAProxy's model, the hitless reload on Node 20). The master
// binds every listener (bound, not listening: it never accepts), keeps the sockets for its whole
// life and runs `nbproc` workers that listen on inherited copies. SIGUSR2 re-reads and validates
// the configuration, binds any new address, starts a new generation on the same sockets and, once
// it is ready, soft-stops the old one: the listening sockets never close, so no connection is
// refused; old workers finish their sessions. A bad file or a failed generation leaves the
// running workers alone and logs the alert.
import { withHeapFlags } from './node-flags.js';
import { spawn, type ChildProcess } from 'node:child_process';
import type { ManagedProcessLog } from '../log/process-log.js';
import { readConfig } from './config-read.js';
import { offerSockets } from './handover.js';
import { installLauncherSignals, waitForExit, type LauncherSignals } from './launcher-signals.js';
import { resolveMode } from './mode.js';
import { removePidfileIfOurs, writePidfile } from './pidfile.js';
import { bindWithHandover, releaseOld, signalPids } from './reload.js';
import { fatal as runFatal, startupLog, type Prepared } from './run.js';
import type { RunOptions } from './run-options.js';
import { dieOf, installSignals } from './signals.js';
import { bindAlert, bindTargets, closeHeld, handleMap, type HeldSocket } from './sockets.js';
import { spawnGeneration } from './spawn.js';
import type { WorkerMessage } from './worker.js';

interface Generation {
  readonly children: ChildProcess[];
}

export const MASTER_ENV = 'TSPROXY_DETACHED_MASTER';

/**
 * `-W` with `-D`/`daemon`: the master itself goes to the background. Node cannot fork, so this
 * launcher re-runs the command detached (new session, stdio on /dev/null) and exits 0 once that
 * master reports its workers ready, or 1 with the alert that stopped it.
 */
export async function launchDetachedMaster(prepared: Prepared): Promise<void> {
  const launcher = installLauncherSignals();
  const child = spawn(process.execPath, [...withHeapFlags(process.execArgv), process.argv[1]!, ...process.argv.slice(2)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    env: { ...process.env, [MASTER_ENV]: '1' },
  });
  launcher.add(child);
  const alert = await new Promise<string | undefined>((resolve) => {
    child.on('message', (m: WorkerMessage) => {
      if (m?.type === 'ready') resolve(undefined);
      else if (m?.type === 'failed') resolve(m.alert);
    });
    // The IPC channel may still hold the master's alert when 'exit' fires.
    child.on('exit', (code, signal) => setTimeout(() => resolve(`master exited before being ready (${signal ?? `code ${code}`}).`), 200));
    child.on('error', (err) => resolve(`cannot start the master: ${err.message}`));
  });
  // killed meanwhile: the handler takes the master down and then us
  if (launcher.terminating) return new Promise<void>(() => {});
  if (alert !== undefined) runFatal(prepared.log, alert);
  if (launcher.softStopRequested) child.kill('SIGUSR1');
  child.disconnect();
  child.unref();
  process.exit(0);
}

export async function runMaster(options: RunOptions, prepared: Prepared): Promise<void> {
  const { mode } = prepared;
  // A detached master reports to its launcher, which prints the alert and exits with the code.
  const detached = process.env[MASTER_ENV] === '1';
  delete process.env[MASTER_ENV];
  function fatal(log: ManagedProcessLog, message: string): never {
    if (detached) process.send?.({ type: 'failed', pid: process.pid, alert: message } satisfies WorkerMessage);
    return runFatal(log, message);
  }
  const startup = prepared.log;
  // Until the real handlers below are in place: SIGTERM takes the workers being started down
  // before us, SIGUSR1 is kept for when they serve, the others are ignored.
  const early: LauncherSignals = installLauncherSignals();
  const dying = (): Promise<void> => new Promise<void>(() => {});
  const bound = await bindWithHandover(bindTargets(prepared.config), new Map(), { oldPids: mode.oldPids });
  if (!bound.ok) {
    if (bound.pausedOld) signalPids(mode.oldPids, 'SIGTTIN');
    fatal(startup, bindAlert(bound.failure));
  }
  if (early.terminating) return dying();
  let held: Map<string, HeldSocket> = bound.held;
  let nbproc = mode.nbproc;
  let config = prepared.config;
  const spawnParams = (count: number, sockets: ReadonlyMap<string, HeldSocket>) => ({
    count,
    held: sockets,
    kind: 'worker' as const,
    output: 'inherit' as const,
    detached: false,
    ...(options.memoryLimitMb !== undefined ? { maxOldSpaceMb: options.memoryLimitMb / count } : {}),
  });
  const first = await spawnGeneration({ ...spawnParams(nbproc, held), onChild: (c) => early.add(c) });
  if (early.terminating) return dying();
  if (!first.ok) {
    if (bound.pausedOld) signalPids(mode.oldPids, 'SIGTTIN');
    fatal(startup, first.alert);
  }
  if (mode.pidfile !== undefined) {
    try {
      writePidfile(mode.pidfile, [process.pid]);
    } catch {
      for (const child of first.children) child.kill('SIGTERM');
      if (bound.pausedOld) signalPids(mode.oldPids, 'SIGTTIN');
      fatal(startup, `[tsproxy.main()] Cannot create pidfile ${mode.pidfile}`);
    }
  }
  if (mode.oldPids.length > 0) releaseOld(mode.oldPids, mode.oldPidsHow);

  const log = startupLog(mode.quiet, mode.verbose, mode.logFormat);
  log.started();
  startup.started();
  let current: Generation = { children: first.children };
  /** Old generations draining after a reload (or paused ones). */
  const draining = new Set<ChildProcess>();
  let stopping = false;
  /** SIGTERM/SIGINT: the workers are being terminated; we die of the signal once they are gone. */
  let terminating = false;
  let busy = false;
  let paused = false;

  // A `-sf` successor (another master or a plain process) may take our sockets over.
  const handover = offerSockets(() => (paused || stopping ? new Map() : handleMap(held.values())));
  const cleanup = async () => {
    handover?.close();
    if (mode.pidfile !== undefined) await removePidfileIfOurs(mode.pidfile);
  };
  const everyone = () => [...current.children, ...draining];
  const live = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
  const maybeExit = () => {
    if (stopping && !terminating && !everyone().some(live)) {
      closeHeld(held.values());
      void cleanup().then(() => process.exit(0));
    }
  };
  const watch = (generation: Generation) => {
    for (const child of generation.children) {
      child.on('exit', (code, signal) => {
        if (draining.delete(child) || stopping) return maybeExit();
        if (!current.children.includes(child)) return;
        // A current worker died on its own: as HAProxy's master does, stop everything and exit
        // with its status (a supervisor such as systemd restarts the service).
        log.alert(`Current worker ${child.pid} exited with ${signal ?? `code ${code}`}: exiting the master.`);
        for (const other of everyone()) if (live(other)) other.kill('SIGTERM');
        void cleanup().then(() => process.exit(code && code > 0 ? code : 1));
      });
    }
  };
  watch(current);

  /** Starts a new generation on `sockets` and retires the current one (reload, resume). */
  const replace = async (count: number, sockets: Map<string, HeldSocket>): Promise<boolean> => {
    const next = await spawnGeneration(spawnParams(count, sockets));
    if (!next.ok) return (log.alert(next.alert), false);
    const old = current;
    current = { children: next.children };
    watch(current);
    for (const child of old.children) {
      if (!live(child)) continue;
      draining.add(child);
      child.kill('SIGUSR1');
    }
    return true;
  };

  const reload = async () => {
    if (stopping || busy) return;
    busy = true;
    try {
      const read = await readConfig(options.configFiles);
      if (!read.ok) {
        for (const d of read.diagnostics) (d.severity === 'alert' ? log.alert : log.warning)(d.message);
        for (const line of read.alerts) log.alert(line);
        log.alert('Reload aborted: the running workers keep serving the previous configuration.');
        return;
      }
      for (const d of read.diagnostics) (d.severity === 'alert' ? log.alert : log.warning)(d.message);
      const newMode = resolveMode(options, read.config.global);
      const rebound = await bindWithHandover(bindTargets(read.config), held, { oldPids: [] });
      if (!rebound.ok) {
        log.alert(bindAlert(rebound.failure));
        log.alert('Reload aborted: the running workers keep serving the previous configuration.');
        return;
      }
      const previous = held;
      if (!(await replace(newMode.nbproc, rebound.held))) {
        // Close what this attempt bound; keep the sockets the running workers use.
        closeHeld([...rebound.held.values()].filter((s) => previous.get(s.key) !== s));
        log.alert('Reload aborted: the running workers keep serving the previous configuration.');
        return;
      }
      // Addresses gone from the configuration: the old workers still hold their copies until
      // they have finished, so closing ours does not cut anything.
      closeHeld([...previous.values()].filter((s) => rebound.held.get(s.key) !== s));
      held = rebound.held;
      nbproc = newMode.nbproc;
      config = read.config;
      paused = false;
      log.warning(`Reload complete: new workers ${current.children.map((c) => c.pid).join(' ')}.`);
    } finally {
      busy = false;
    }
  };

  const signals = installSignals({
    softStop: () => {
      stopping = true;
      signalPids(everyone().filter(live).map((c) => c.pid!), 'SIGUSR1');
      maybeExit();
    },
    hardStop: (signal) => {
      if (terminating) return;
      stopping = true;
      terminating = true;
      const workers = everyone().filter(live);
      signalPids(workers.map((c) => c.pid!), 'SIGTERM');
      // as HAProxy's master: the workers are gone before we are (none is left with init as parent)
      void Promise.all([cleanup(), waitForExit(workers)]).finally(() => dieOf(signal, () => signals.uninstall()));
    },
    // Pause: the workers close their listeners and the master closes its own copies, so the port
    // is really released (a -sf start or the guide's §4.3 script can bind it). Resume re-binds
    // (the master kept its privileges) and starts a fresh generation; the paused workers drain.
    pause: () => {
      if (stopping || paused) return;
      paused = true;
      signalPids(current.children.filter(live).map((c) => c.pid!), 'SIGTTOU');
      closeHeld(held.values());
    },
    resume: () => {
      if (stopping || !paused || busy) return;
      busy = true;
      void (async () => {
        try {
          const rebound = await bindWithHandover(bindTargets(config), new Map(), { oldPids: [] });
          if (!rebound.ok) {
            log.warning(`Port ${rebound.failure.target.port} busy while trying to enable proxy ${rebound.failure.target.proxyName}.`);
            return;
          }
          if (await replace(nbproc, rebound.held)) {
            held = rebound.held;
            paused = false;
          } else {
            closeHeld(rebound.held.values());
          }
        } finally {
          busy = false;
        }
      })();
    },
    dump: () => signalPids(current.children.filter(live).map((c) => c.pid!), 'SIGHUP'),
    reload: () => void reload(),
  });
  early.uninstall();
  if (early.softStopRequested) signals.softStop();
  if (detached) {
    process.send?.({ type: 'ready', pid: process.pid } satisfies WorkerMessage);
    process.channel?.unref();
  }
}
