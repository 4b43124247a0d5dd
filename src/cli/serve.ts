// One serving process: builds the runtime on the given (inherited or pre-bound) sockets, starts
// it, drops privileges and maps the signals to it. Used by a lone foreground process, by each
// daemon child and by each master-worker worker.
import type { Config } from '../config/model.js';
import type { ManagedProcessLog } from '../log/process-log.js';
import { createRuntime, loadDump, type RuntimeHandle } from './engine.js';
import type { ProcessMode } from './mode.js';
import { removePidfileIfOurs } from './pidfile.js';
import { dropPrivileges, type Identity } from './privileges.js';
import { dieOf, installSignals } from './signals.js';
import { offerSockets, type HandoverServer, type TcpHandle } from './handover.js';

export interface ServeParams {
  readonly config: Config;
  readonly mode: ProcessMode;
  readonly processLog: ManagedProcessLog;
  readonly inheritedHandles: ReadonlyMap<string, { fd: number }>;
  readonly identity: Identity;
  /** Pidfile this process is listed in (removed on exit if it still lists us). */
  readonly pidfile: string | undefined;
  /** Runs after binding and before the privilege drop (pidfile, `-sf` final signal…). */
  readonly beforeDrop?: () => void;
  /** Listening sockets to offer to a `-sf` successor (handles sharing the runtime's fds). */
  readonly offer?: ReadonlyMap<string, TcpHandle>;
  /** Rank among nbproc processes (1..N), for the stats. */
  readonly processNumber?: number;
  /** Called when the parent's IPC channel closes: true = soft-stop (the master or launcher died). */
  readonly onParentGone?: () => boolean;
}

export type ServeResult = { readonly ok: true; readonly runtime: RuntimeHandle } | { readonly ok: false; readonly alert: string };

export async function serve(params: ServeParams): Promise<ServeResult> {
  const { mode, processLog } = params;
  const runtime = await createRuntime(params.config, {
    processLog,
    globalMaxconn: mode.globalMaxconn,
    defaultProxyMaxconn: mode.defaultProxyMaxconn,
    inheritedHandles: params.inheritedHandles,
    debug: mode.debug,
    processNumber: params.processNumber ?? 1,
  });
  const dump = await loadDump().catch(() => undefined);
  // Offered only while our listeners are the ones we were given: after a pause or during a stop
  // the runtime has closed them and those fd numbers may already name other sockets.
  let offering = false;
  let handover: HandoverServer | undefined;
  const stopOffering = () => {
    offering = false;
    handover?.close();
  };
  const cleanup = async (waitMs: number) => {
    stopOffering();
    if (params.pidfile !== undefined) await removePidfileIfOurs(params.pidfile, waitMs);
  };
  // Handlers go in before binding (legacy installed SIGUSR1/SIGHUP first): a signal arriving as
  // soon as the port answers must not meet Node's default action (SIGHUP, SIGTTOU would kill or
  // stop us). Until startup is over, a soft stop waits for it and the others are ignored.
  let ready = false;
  let softStopRequested = false;
  const softStop = () => {
    stopOffering();
    runtime.softStop().then(
      () => cleanup(1000).then(() => process.exit(0)),
      (err: unknown) => {
        processLog.alert(`soft stop failed: ${err instanceof Error ? err.message : String(err)}`);
        void cleanup(0).then(() => process.exit(1));
      },
    );
  };
  const signals = installSignals({
    softStop: () => {
      if (ready) softStop();
      else softStopRequested = true;
    },
    hardStop: (signal) => {
      try {
        runtime.stop();
      } catch {
        // dying anyway
      }
      void cleanup(300).finally(() => dieOf(signal, () => signals.uninstall()));
    },
    // Pause closes the listening sockets (the port is free for a new process, spec §13.3: Node
    // cannot shutdown() a listening socket and keep it bound); resume binds them again.
    pause: () => {
      if (!ready) return;
      stopOffering();
      runtime.pause();
    },
    resume: () => {
      if (ready) runtime.resume();
    },
    dump: () => {
      if (ready && dump) dump(runtime.proxies, processLog);
    },
  });
  const fail = (alert: string): ServeResult => {
    signals.uninstall();
    stopOffering();
    try {
      runtime.stop();
    } catch {
      // partially started: nothing more to release
    }
    return { ok: false, alert };
  };
  try {
    await runtime.start();
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  params.beforeDrop?.();
  if (params.offer !== undefined && params.offer.size > 0) {
    offering = true;
    handover = offerSockets(() => (offering ? params.offer! : new Map()));
  }
  try {
    dropPrivileges(params.identity);
  } catch (err) {
    return fail((err as Error).message);
  }
  if (params.onParentGone) {
    const gone = params.onParentGone;
    // The master died (or was SIGKILLed): finish what is in flight, accept nothing new.
    process.on('disconnect', () => {
      if (gone()) signals.softStop();
    });
  }
  processLog.started();
  ready = true;
  if (softStopRequested) softStop();
  return { ok: true, runtime };
}
