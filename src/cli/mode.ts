// How the command line and the `global` section combine into the process mode (spec §2, §4):
// a pure function of both, with the warnings legacy printed.
import type { GlobalSettings } from '../config/model.js';
import type { RunOptions } from './run-options.js';

export interface ProcessMode {
  /** 'foreground': one process; 'daemon': detached children; 'master': master-worker (-W). */
  readonly kind: 'foreground' | 'daemon' | 'master';
  /** Detach the master from the terminal (-W with -D / daemon). */
  readonly detach: boolean;
  readonly debug: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** Serving processes to start. */
  readonly nbproc: number;
  readonly globalMaxconn: number;
  readonly defaultProxyMaxconn: number;
  /** Pidfile, only used in daemon and master modes (legacy: daemon only). */
  readonly pidfile: string | undefined;
  readonly oldPids: readonly number[];
  readonly oldPidsHow: 'finish' | 'terminate';
  readonly warnings: readonly string[];
  readonly logFormat: 'legacy' | 'json' | undefined;
}

export function resolveMode(options: RunOptions, global: GlobalSettings): ProcessMode {
  const warnings: string[] = [];
  const debug = options.debug || global.debug;
  // legacy: -d and -db silently cancel `daemon` and `quiet` of the configuration first
  const fromConfig = !(options.debug || options.foreground);
  let daemon = options.daemon || (fromConfig && global.daemon);
  // -D is daemon + quiet; [1.2.9] a daemon is quiet once started anyway.
  let quiet = options.quiet || (fromConfig && global.quiet) || daemon;
  let nbproc = Math.max(1, global.nbproc);
  if (debug && (daemon || quiet)) {
    // legacy tested the two bits together: either one gets the warning
    warnings.push('<debug> mode incompatible with <quiet> and <daemon>. Keeping <debug> only.');
    daemon = false;
    quiet = false;
  }
  if (options.foreground) {
    // -db: stay in the foreground, one process.
    daemon = false;
    nbproc = 1;
  }
  if (debug) nbproc = 1;
  if (nbproc > 1 && !daemon && !options.masterWorker) {
    if (!debug && !options.foreground) warnings.push('<nbproc> is only meaningful in daemon mode. Setting limit to 1 process.');
    nbproc = 1;
  }
  const kind = options.masterWorker && !debug ? 'master' : daemon ? 'daemon' : 'foreground';
  return {
    kind,
    detach: kind === 'master' && daemon,
    debug,
    quiet: quiet && !options.verbose,
    verbose: options.verbose,
    nbproc,
    globalMaxconn: options.maxconn ?? global.maxconn ?? 2000,
    defaultProxyMaxconn: options.defaultMaxconn ?? 2000,
    pidfile: options.pidfile ?? global.pidfile,
    oldPids: options.terminatePids.length > 0 ? options.terminatePids : options.finishPids,
    oldPidsHow: options.terminatePids.length > 0 ? 'terminate' : 'finish',
    warnings,
    logFormat: options.logFormat,
  };
}
