// Driving the real bin/tsproxy as an operator would: start it (foreground, daemon, master-worker)
// with process.execPath, capture stdout/stderr, wait for ports and log lines, read /proc, and kill
// every process a test started (by PID, children included) when it ends, even on failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'tsproxy');

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` every `intervalMs` until it returns a value other than undefined/false. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export interface TsproxyProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until stderr matches. */
  waitStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Every process a test file started; `killAll()` in an `after`/`afterEach` hook. */
export class ProcessJanitor {
  private readonly pids = new Set<number>();
  private readonly dirs = new Set<string>();

  track(pid: number | undefined): void {
    if (pid !== undefined && pid > 0) this.pids.add(pid);
  }

  tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'tsproxy-process-'));
    this.dirs.add(dir);
    return dir;
  }

  /** SIGKILLs every tracked pid and its descendants that are still alive. */
  killAll(): void {
    const all = new Set<number>();
    for (const pid of this.pids) for (const p of [pid, ...descendantsOf(pid)]) all.add(p);
    for (const pid of all) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    this.pids.clear();
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    this.dirs.clear();
  }

  start(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): TsproxyProcess {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.track(child.pid);
    let out = '';
    let err = '';
    const waiters: (() => void)[] = [];
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      for (const w of waiters.splice(0)) w();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => {
        // let the pipes drain
        setImmediate(() => resolve({ code, signal }));
      }),
    );
    return {
      child,
      pid: child.pid!,
      stdout: () => out,
      stderr: () => err,
      exited,
      waitStderr: (pattern, timeoutMs = 20000) => waitFor(`stderr ${pattern}`, () => pattern.exec(err) ?? undefined, timeoutMs),
    };
  }

  /** Runs to completion (the daemon launcher, a failing start); kills it after `timeoutMs`. */
  async run(args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    const p = this.start(args, options);
    const timer = setTimeout(() => p.child.kill('SIGKILL'), options.timeoutMs ?? 20000);
    const r = await p.exited;
    clearTimeout(timer);
    return { ...r, stdout: p.stdout(), stderr: p.stderr() };
  }
}

/** Children of `pid` (recursively), from /proc/<pid>/task/<tid>/children. */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const direct = childrenOf(pid);
  for (const c of direct) out.push(c, ...descendantsOf(c));
  return out;
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

export function isAlive(pid: number): boolean {
  try {
    // a zombie is dead for our purposes
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

export function procComm(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

/** Real, effective, saved, fs uid of a process. */
export function procUids(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  return (line ?? '').split(/\s+/).slice(1).filter(Boolean).map(Number);
}

export function procGids(pid: number): number[] {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Gid:'));
  return (line ?? '').split(/\s+/).slice(1).filter(Boolean).map(Number);
}

export function readPids(pidfile: string): number[] {
  try {
    return readFileSync(pidfile, 'utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
  } catch {
    return [];
  }
}

export function writeConfig(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** True when a TCP connection to the port is accepted. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function waitForPort(port: number, timeoutMs = 30000): Promise<true> {
  return waitFor(`port ${port} accepting`, () => canConnect(port), timeoutMs, 25);
}

/** The error a fresh connection gets (e.g. ECONNREFUSED), or 'connected'. */
export function connectOutcome(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (what: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(what);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.once('connect', () => done('connected'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}
