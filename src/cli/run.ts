// The run path (spec §13.5): read the configuration, decide the process mode, bind, start the
// serving process(es), wire the signals. Foreground, daemon and master-worker modes start here;
// a process spawned by a daemon launcher or a master continues in cli/worker.ts instead.
import type { Config } from '../config/model.js';
import { createProcessLog } from '../log/process-log.js';
import type { ManagedProcessLog } from '../log/process-log.js';
import type { ProcessLog } from '../log/types.js';
import { readConfig } from './config-read.js';
import { resolveMode, type ProcessMode } from './mode.js';
import { checkChroot, currentFdLimit, fdLimitWarnings, resolveIdentity, type Identity } from './privileges.js';
import { bindWithHandover, releaseOld, signalPids } from './reload.js';
import type { RunOptions } from './run-options.js';
import { serve } from './serve.js';
import { bindAlert, bindTargets, handleMap, handlesOf } from './sockets.js';
import { runWorker, workerRoleFromEnv } from './worker.js';

export type { RunOptions } from './run-options.js';

/**
 * The process log: alerts stay visible during startup even when quiet (spec §2, [1.2.7]),
 * warnings obey quiet; `started()` ends the startup phase.
 */
export function startupLog(quiet: boolean, verbose: boolean, format?: 'legacy' | 'json'): ManagedProcessLog {
  return createProcessLog({ quiet, verbose, ...(format !== undefined ? { format } : {}) });
}

export function fatal(log: ProcessLog, message: string): never {
  log.alert(message);
  process.exit(1);
}

/** Parses the files; prints diagnostics; on error prints the alerts and exits 1 (spec §3.4). */
export async function loadConfig(files: readonly string[], quiet: boolean, verbose: boolean, format?: 'legacy' | 'json'): Promise<Config> {
  const result = await readConfig(files);
  if (!result.ok) {
    const early = startupLog(quiet, verbose, format);
    for (const d of result.diagnostics) (d.severity === 'alert' ? early.alert : early.warning)(d.message);
    for (const line of result.alerts) early.alert(line);
    process.exit(1);
  }
  const log = startupLog(quiet || result.config.global.quiet, verbose, format);
  for (const d of result.diagnostics) {
    if (d.severity === 'alert') log.alert(d.message);
    else log.warning(d.message);
  }
  return result.config;
}

/** Everything decided before binding; exits 1 with the alert when startup cannot go on. */
export interface Prepared {
  readonly config: Config;
  readonly mode: ProcessMode;
  readonly log: ManagedProcessLog;
  readonly identity: Identity;
}

export async function prepare(options: RunOptions): Promise<Prepared> {
  const config = await loadConfig(options.configFiles, options.quiet, options.verbose, options.logFormat);
  const mode = resolveMode(options, config.global);
  const log = startupLog(mode.quiet, mode.verbose, mode.logFormat);
  for (const w of mode.warnings) log.warning(w);
  if (bindTargets(config).length === 0) {
    fatal(log, '[tsproxy.main()] No enabled listener found (check the <listen> keywords) ! Exiting.');
  }
  let identity: Identity;
  try {
    identity = resolveIdentity(config.global);
  } catch (err) {
    fatal(log, (err as Error).message);
  }
  const chroot = checkChroot(config.global.chroot);
  if (chroot.alert) fatal(log, chroot.alert);
  if (chroot.warning) log.warning(chroot.warning);
  const checks = config.proxies.reduce((n, p) => n + p.servers.filter((s) => s.check).length, 0);
  for (const w of fdLimitWarnings(config.global.ulimitN, mode.globalMaxconn, bindTargets(config).length, checks, currentFdLimit())) {
    log.warning(w);
  }
  if (options.memoryLimitMb !== undefined && mode.kind === 'foreground') {
    log.warning(
      `-m ${options.memoryLimitMb}: Node.js cannot set RLIMIT_AS on itself; the limit is applied as ` +
        `--max-old-space-size to daemon children and workers only. Use systemd MemoryMax= in the foreground.`,
    );
  }
  return { config, mode, log, identity };
}

export async function run(options: RunOptions): Promise<void> {
  const role = workerRoleFromEnv(process.env);
  if (role) return runWorker(options, role);
  const prepared = await prepare(options);
  if (prepared.mode.kind === 'daemon') {
    const { launchDaemon } = await import('./daemon.js');
    return launchDaemon(options, prepared);
  }
  if (prepared.mode.kind === 'master') {
    const { launchDetachedMaster, runMaster, MASTER_ENV } = await import('./master.js');
    if (prepared.mode.detach && process.env[MASTER_ENV] !== '1') return launchDetachedMaster(prepared);
    return runMaster(options, prepared);
  }
  return runForeground(prepared);
}

/** One process in the foreground (no -D, or -db/-d). */
async function runForeground(prepared: Prepared): Promise<void> {
  const { config, mode, log, identity } = prepared;
  const bound = await bindWithHandover(bindTargets(config), new Map(), { oldPids: mode.oldPids });
  if (!bound.ok) {
    if (bound.pausedOld) signalPids(mode.oldPids, 'SIGTTIN');
    fatal(log, bindAlert(bound.failure));
  }
  // The runtime adopts our bound sockets. Our handles are never closed (a libuv handle lives until
  // closed): the fds belong to the runtime's listeners from now on.
  const held = bound.held;
  const result = await serve({
    config,
    mode,
    processLog: log,
    inheritedHandles: handlesOf(held.values()),
    offer: handleMap(held.values()),
    identity,
    pidfile: undefined,
    beforeDrop: () => {
      if (mode.oldPids.length > 0) releaseOld(mode.oldPids, mode.oldPidsHow);
    },
  });
  if (!result.ok) {
    if (bound.pausedOld) signalPids(mode.oldPids, 'SIGTTIN');
    fatal(log, result.alert);
  }
}
