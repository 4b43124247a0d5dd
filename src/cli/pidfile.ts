// The pidfile (spec §13.7): unlinked then recreated 0644, one decimal pid per line, written once
// every listener is bound. Removed when its processes exit — but only while it still lists them:
// after a `-sf` reload the new generation has rewritten it and the old one must leave it alone.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

export function formatPidfile(pids: readonly number[]): string {
  return pids.map((pid) => `${pid}\n`).join('');
}

export function parsePidfile(text: string): number[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
}

/** Throws (with the OS error) when the file cannot be created. */
export function writePidfile(path: string, pids: readonly number[]): void {
  try {
    unlinkSync(path);
  } catch {
    // absent: fine
  }
  writeFileSync(path, formatPidfile(pids), { mode: 0o644 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // a zombie nobody has reaped yet (e.g. no init in a container) is gone for us
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Called by an exiting process: removes the pidfile if it lists `pid` and no other listed process
 * is still alive (nbproc siblings, given up to `waitMs` to go first: they usually stop together).
 * Errors are ignored: after a privilege drop the directory may no longer be writable, and legacy
 * never removed the file at all.
 */
export async function removePidfileIfOurs(path: string, waitMs = 0, pid: number = process.pid): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let pids: number[];
    try {
      pids = parsePidfile(readFileSync(path, 'utf8'));
    } catch {
      return false;
    }
    if (!pids.includes(pid)) return false;
    if (!pids.some((other) => other !== pid && alive(other))) break;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
