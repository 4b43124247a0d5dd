// Signals that reach the process while the program is still loading. bin/tsproxy listens for them
// in its first statement (without a listener, SIGUSR1 would start Node's inspector on port 9229
// and SIGHUP/SIGUSR2 would kill the process) and hands the queue to main(); the first handlers
// the process installs (cli/signals.ts) take the queue over and replay it, so none is lost.
// Signals are process-wide by nature: this is the one piece of per-process state in cli/.

/** What bin/tsproxy passes to main(): the signals it caught so far. */
export interface EarlySignalQueue {
  /** Stops catching and returns the signals caught, oldest first. */
  release(): readonly string[];
}

let queue: EarlySignalQueue | undefined;

/** main(): remembers the launcher script's queue until handlers are installed. */
export function adoptEarlySignals(early: EarlySignalQueue | undefined): void {
  queue = early;
}

/** The signals caught before our handlers existed; the catching stops (call after installing). */
export function takeEarlySignals(): readonly string[] {
  const q = queue;
  queue = undefined;
  if (q === undefined) return [];
  try {
    return q.release();
  } catch {
    return [];
  }
}
