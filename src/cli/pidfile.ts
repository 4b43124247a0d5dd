// The pidfile (spec §13.7): unlinked then recreated 0644, one decimal pid per line, written once
// every listener is bound. Removed when its processes exit — but only while it still lists them:
// after a `-sf` reload the new generation has rewritten it and the old one must leave it alone.
// (Legacy never removed it; an exiting nbproc child also takes its own line out.)
import { mkdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';

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
 * Called by an exiting process: takes its pid out of the pidfile and removes the file when no
 * listed process is left alive (nbproc siblings stopping together each take themselves out, the
 * last one removes it). A pidfile that does not list us (rewritten by a `-sf` successor) is left
 * alone. Serialised by a lock directory next to the file; `waitMs` bounds the wait for it. Errors
 * are ignored: after a privilege drop the directory may no longer be writable, and legacy never
 * removed the file at all.
 */
export async function removePidfileIfOurs(path: string, waitMs = 0, pid: number = process.pid): Promise<boolean> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + Math.max(waitMs, 200);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      if (Date.now() >= deadline) {
        // a holder that died with the lock: take it over once it is clearly stale
        try {
          if (Date.now() - statSync(lock).mtimeMs > 5000) rmdirSync(lock);
        } catch {
          // gone meanwhile
        }
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  try {
    const pids = parsePidfile(readFileSync(path, 'utf8'));
    if (!pids.includes(pid)) return false;
    const others = pids.filter((other) => other !== pid && alive(other));
    if (others.length > 0) {
      writeFileSync(`${path}.tmp`, formatPidfile(others), { mode: 0o644 });
      renameSync(`${path}.tmp`, path);
      return false;
    }
    unlinkSync(path);
    return true;
  } catch {
    return false;
  } finally {
    try {
      rmdirSync(lock);
    } catch {
      // nothing to release
    }
  }
}
