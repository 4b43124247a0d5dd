// Signals for a process that starts others and is not serving yet: a daemon launcher, a detached
// master's launcher, a master starting its first workers. SIGTERM/SIGINT take the children down
// first and only then kill us (a child must never be left running with init as its parent);
// SIGUSR1 is remembered and passed on once the children serve (legacy soft-stopped a process that
// got it while starting, once started); the other signals are ignored rather than meeting Node's
// default action (SIGUSR1 would open the inspector, SIGHUP/SIGUSR2 would kill).
import type { ChildProcess } from 'node:child_process';
import { dieOf, installSignals } from './signals.js';

/** Waits at most this long for children to exit after SIGTERM, then SIGKILLs them. */
const CHILD_EXIT_WAIT_MS = 5000;

export interface LauncherSignals {
  /** A child to take down with us. */
  add(child: ChildProcess): void;
  /** SIGTERM/SIGINT arrived: we are going down; stop starting anything. */
  readonly terminating: boolean;
  /** SIGUSR1 arrived while starting. */
  readonly softStopRequested: boolean;
  uninstall(): void;
}

export function isLive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Resolves once every child has exited; SIGKILLs those still alive after `timeoutMs`. */
export function waitForExit(children: readonly ChildProcess[], timeoutMs = CHILD_EXIT_WAIT_MS): Promise<void> {
  const live = children.filter(isLive);
  if (live.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = live.length;
    const timer = setTimeout(() => {
      for (const c of live) if (isLive(c)) c.kill('SIGKILL');
    }, timeoutMs);
    for (const c of live) {
      c.once('exit', () => {
        if (--left > 0) return;
        clearTimeout(timer);
        resolve();
      });
    }
  });
}

export function installLauncherSignals(): LauncherSignals {
  const children: ChildProcess[] = [];
  let terminating = false;
  let softStopRequested = false;
  const signals = installSignals({
    softStop: () => {
      softStopRequested = true;
    },
    hardStop: (signal) => {
      if (terminating) return;
      terminating = true;
      const live = children.filter(isLive);
      for (const c of live) c.kill('SIGTERM');
      void waitForExit(live).then(() => dieOf(signal, () => signals.uninstall()));
    },
    pause: () => {},
    resume: () => {},
    dump: () => {},
  });
  return {
    add: (child) => {
      children.push(child);
      // a SIGTERM that came before this child existed
      if (terminating) child.kill('SIGTERM');
    },
    get terminating() {
      return terminating;
    },
    get softStopRequested() {
      return softStopRequested;
    },
    uninstall: () => signals.uninstall(),
  };
}
