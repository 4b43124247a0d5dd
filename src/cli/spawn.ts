// Starting a generation of serving processes (daemon children or master-worker workers): the same
// executable and arguments, the held sockets as inherited fds, and a wait until each has bound
// and dropped privileges ("ready") or has given up (its alert).
import { spawn, type ChildProcess } from 'node:child_process';
import type { HeldSocket } from './sockets.js';
import { withHeapFlags } from './node-flags.js';
import { childStdio, roleFor, WORKER_ENV, type WorkerMessage, type WorkerRole } from './worker.js';

export interface GenerationParams {
  readonly count: number;
  readonly held: ReadonlyMap<string, HeldSocket>;
  readonly kind: WorkerRole['kind'];
  /** Children's stdout/stderr: /dev/null (daemon) or ours (master in the foreground). */
  readonly output: 'ignore' | 'inherit';
  /** New session, no controlling terminal (daemon). */
  readonly detached: boolean;
  readonly pidfile?: string;
  /** `-m`: V8 old-space limit per process. */
  readonly maxOldSpaceMb?: number;
  /** Give up on a child that neither reports nor exits within this time. */
  readonly readyTimeoutMs?: number;
  /** Called with each child as soon as it is spawned (the launcher's SIGTERM takes it down). */
  readonly onChild?: (child: ChildProcess) => void;
  /** Runs synchronously once every child is spawned, before waiting for them. */
  readonly onSpawned?: () => void;
}

export type GenerationResult =
  | { readonly ok: true; readonly children: ChildProcess[] }
  | { readonly ok: false; readonly alert: string };

/** Re-runs this executable with the same arguments (the script path is process.argv[1]). */
function childArgs(maxOldSpaceMb: number | undefined): string[] {
  const execArgv = withHeapFlags(process.execArgv.filter((a) => !a.startsWith('--max-old-space-size')));
  if (maxOldSpaceMb !== undefined) execArgv.push(`--max-old-space-size=${Math.max(16, Math.floor(maxOldSpaceMb))}`);
  return [...execArgv, process.argv[1]!, ...process.argv.slice(2)];
}

export async function spawnGeneration(params: GenerationParams): Promise<GenerationResult> {
  const keys = [...params.held.keys()];
  const fds = keys.map((k) => params.held.get(k)!.fd);
  const role = roleFor(params.kind, keys, params.pidfile);
  const children: ChildProcess[] = [];
  const waits: Promise<string | undefined>[] = [];
  for (let i = 0; i < params.count; i++) {
    const child = spawn(process.execPath, childArgs(params.maxOldSpaceMb), {
      detached: params.detached,
      stdio: childStdio(fds, params.output),
      env: { ...process.env, [WORKER_ENV]: JSON.stringify({ ...role, processNumber: i + 1 } satisfies WorkerRole) },
    });
    children.push(child);
    params.onChild?.(child);
    waits.push(waitReady(child, params.readyTimeoutMs ?? 30000));
  }
  params.onSpawned?.();
  const alerts = (await Promise.all(waits)).filter((a): a is string => a !== undefined);
  if (alerts.length > 0) {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    return { ok: false, alert: alerts[0]! };
  }
  return { ok: true, children };
}

/** Resolves undefined once the child is ready, or the alert text that stopped it. */
function waitReady(child: ChildProcess, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const done = (alert: string | undefined) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
      resolve(alert);
    };
    const onMessage = (message: WorkerMessage) => {
      if (message?.type === 'ready') done(undefined);
      else if (message?.type === 'failed') done(message.alert);
    };
    // The IPC channel may still hold the child's last message (its alert) when 'exit' fires.
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      setTimeout(() => done(`worker ${child.pid ?? '?'} exited before being ready (${signal ?? `code ${code}`}).`), 200);
    const onError = (err: Error) => done(`cannot start a worker: ${err.message}`);
    const timer = setTimeout(() => done(`worker ${child.pid ?? '?'} not ready after ${timeoutMs} ms.`), timeoutMs);
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.on('error', onError);
  });
}
