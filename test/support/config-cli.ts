// Runs the real bin/tsproxy (node + the executable) synchronously for -c / flag tests.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (dist/test/support/ → three levels up). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../../bin/tsproxy', import.meta.url));

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runTsproxy(args: readonly string[], cwd = ROOT): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `[ALERT] DDD/HHMMSS (PID) : ` / `[WARNING] …` */
export const STDERR_PREFIX = /^\[(ALERT|WARNING)\] \d{3}\/\d{6} \(\d+\) : /;
