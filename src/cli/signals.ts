// The process signals (spec §13.1) mapped to actions. The mapping is the same for a lone process,
// a daemon child and a worker; the master maps them to its workers instead.
import { takeEarlySignals } from './early-signals.js';
export interface SignalActions {
  /** SIGUSR1: soft stop (only the first one counts). */
  softStop(): void;
  /** SIGTERM / SIGINT: immediate stop. */
  hardStop(signal: 'SIGTERM' | 'SIGINT'): void;
  /** SIGTTOU / SIGTTIN: pause / resume the listeners. */
  pause(): void;
  resume(): void;
  /** SIGHUP: dump server states. */
  dump(): void;
  /** SIGUSR2: master-worker reload; a lone process ignores it. */
  reload?(): void;
}

const HANDLED = ['SIGUSR1', 'SIGTERM', 'SIGINT', 'SIGTTOU', 'SIGTTIN', 'SIGHUP', 'SIGUSR2', 'SIGQUIT'] as const;
type Handled = (typeof HANDLED)[number];

export interface InstalledSignals {
  uninstall(): void;
  /** Same as receiving SIGUSR1 (e.g. a worker whose master died). */
  softStop(): void;
}

/** Installs the handlers. */
export function installSignals(actions: SignalActions): InstalledSignals {
  let stopping = false;
  const handlers: Record<Handled, () => void> = {
    SIGUSR1: () => {
      // legacy: further SIGUSR1 are ignored once a soft stop is under way.
      if (stopping) return;
      stopping = true;
      actions.softStop();
    },
    SIGTERM: () => actions.hardStop('SIGTERM'),
    SIGINT: () => actions.hardStop('SIGINT'),
    SIGTTOU: () => actions.pause(),
    SIGTTIN: () => actions.resume(),
    SIGHUP: () => actions.dump(),
    // Installed even without a reload action: Node's default for SIGUSR2 is to die.
    SIGUSR2: () => actions.reload?.(),
    // legacy dumped its wait queue (a debugging aid); we have nothing equivalent to print.
    SIGQUIT: () => {},
  };
  for (const signal of HANDLED) process.on(signal, handlers[signal]);
  // what arrived while the program loaded (bin/tsproxy caught it): replayed in order, after the
  // caller's setup code has run
  const early = takeEarlySignals().filter((s): s is Handled => (HANDLED as readonly string[]).includes(s));
  if (early.length > 0) setImmediate(() => early.forEach((s) => handlers[s]()));
  return {
    uninstall: () => {
      for (const signal of HANDLED) process.off(signal, handlers[signal]);
    },
    softStop: handlers.SIGUSR1,
  };
}

/**
 * Dies of `signal` as a process without a handler would (legacy had none for SIGTERM/SIGINT), so
 * the exit status is "killed by SIGTERM" (143 for systemd), after the caller has cleaned up.
 */
export function dieOf(signal: 'SIGTERM' | 'SIGINT', uninstall: () => void): void {
  uninstall();
  process.kill(process.pid, signal);
  // The signal is delivered asynchronously; stay alive (but idle) until it lands.
  setTimeout(() => process.exit(128 + (signal === 'SIGTERM' ? 15 : 2)), 1000);
}
