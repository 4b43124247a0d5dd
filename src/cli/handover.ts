// Listening-socket hand-over between unrelated tsproxy processes (the `-sf`/`-st` reload without a
// refused connection). Each serving process offers its listening sockets on a private unix socket
// (<rundir>/<pidns>-<pid>.sock, directory 0700); a new process started with `-sf <pid>` asks for them and
// receives the very same kernel sockets (SCM_RIGHTS), so the port never stops listening: old and
// new accept side by side until the old one is told to finish. This is modern HAProxy's
// "expose-fd listeners" idea. Node 20 has no public API to pass a descriptor to an unrelated
// process; its IPC pipe wrap (what child_process uses) does it, reached through process.binding.
// Any failure here just means "no hand-over": the caller falls back to the legacy SIGTTOU dance.
import { mkdirSync, readdirSync, readlinkSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of libuv's TCP handle we use (Node's internal `TCP` wrap). */
export interface TcpHandle {
  readonly fd: number;
  close(callback?: () => void): void;
  getsockname(out: { port?: number; address?: string }): number;
  listen(backlog: number): number;
  onconnection: ((status: number, client?: { close(): void }) => void) | null;
}

interface RawPipe {
  readonly fd: number;
  onread: ((arrayBuffer: ArrayBuffer | undefined) => void) | null;
  pendingHandle: TcpHandle | null;
  open(fd: number): number;
  connect(req: object, path: string): number;
  readStart(): number;
  readStop(): number;
  writeUtf8String(req: object, text: string, handle?: TcpHandle): number;
  close(callback?: () => void): void;
}

interface Bindings {
  Pipe: new (type: number) => RawPipe;
  PipeConnectWrap: new () => { oncomplete: (status: number) => void };
  WriteWrap: new () => { handle: RawPipe; oncomplete: (status: number) => void; async: boolean };
  TCP: new (type: number) => TcpHandle & { open(fd: number): number };
  PIPE_IPC: number;
  TCP_SERVER: number;
  state: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
}

let bindingsCache: Bindings | null | undefined;

/** Node's internal wraps, or null when this Node does not expose them. */
function bindings(): Bindings | null {
  if (bindingsCache !== undefined) return bindingsCache;
  try {
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding;
    const pipe = binding('pipe_wrap') as { Pipe: Bindings['Pipe']; PipeConnectWrap: Bindings['PipeConnectWrap']; constants: { IPC: number } };
    const stream = binding('stream_wrap') as {
      WriteWrap: Bindings['WriteWrap'];
      streamBaseState: Int32Array;
      kReadBytesOrError: number;
      kArrayBufferOffset: number;
    };
    const tcp = binding('tcp_wrap') as { TCP: Bindings['TCP']; constants: { SERVER: number } };
    bindingsCache = {
      Pipe: pipe.Pipe,
      PipeConnectWrap: pipe.PipeConnectWrap,
      WriteWrap: stream.WriteWrap,
      TCP: tcp.TCP,
      PIPE_IPC: pipe.constants.IPC,
      TCP_SERVER: tcp.constants.SERVER,
      state: stream.streamBaseState,
      kReadBytesOrError: stream.kReadBytesOrError,
      kArrayBufferOffset: stream.kArrayBufferOffset,
    };
  } catch {
    bindingsCache = null;
  }
  return bindingsCache;
}

/**
 * The pid namespace: pids are only unique within one, and /run may be shared between several
 * (e.g. `unshare --pid` load balancers on one host).
 */
function pidNamespace(): string {
  try {
    return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  } catch {
    return '0';
  }
}

function socketName(pid: number): string {
  return `${pidNamespace()}-${pid}.sock`;
}

/** Where process `pid` offers its sockets: root's under /run, others' under the temp dir. */
export function handoverPaths(pid: number): string[] {
  const uid = process.getuid?.() ?? 0;
  const dirs = ['/run/tsproxy', join(tmpdir(), `tsproxy-${uid}`)];
  return dirs.map((d) => join(d, socketName(pid)));
}

function ownDir(): string {
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? '/run/tsproxy' : join(tmpdir(), `tsproxy-${uid}`);
}

/**
 * Sockets left by processes that are gone (one that dropped its privileges cannot unlink its own
 * socket from a root-owned directory), and a stale one under our own pid.
 */
function removeStale(dir: string): void {
  const ns = pidNamespace();
  for (const name of readdirSync(dir)) {
    const m = /^(\d+)-(\d+)\.sock$/.exec(name);
    if (!m || m[1] !== ns) continue;
    const pid = Number(m[2]);
    let gone = pid === process.pid;
    if (!gone) {
      try {
        process.kill(pid, 0);
      } catch (err) {
        gone = (err as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    if (gone) {
      try {
        unlinkSync(join(dir, name));
      } catch {
        // someone else's
      }
    }
  }
}

/** Wraps an inherited listening fd so it can be sent on (never listened on, never closed here). */
export function wrapFd(fd: number): TcpHandle | undefined {
  const b = bindings();
  if (!b) return undefined;
  const handle = new b.TCP(b.TCP_SERVER);
  return handle.open(fd) === 0 ? handle : undefined;
}

/** Reads newline-separated JSON messages from a raw IPC pipe, with any received handle. */
function readMessages(pipe: RawPipe, b: Bindings, onMessage: (msg: Record<string, unknown>, handle: TcpHandle | null) => void, onEnd: () => void): void {
  let buffered = '';
  let handles: TcpHandle[] = [];
  pipe.onread = (arrayBuffer) => {
    const nread = b.state[b.kReadBytesOrError]!;
    if (pipe.pendingHandle) {
      handles.push(pipe.pendingHandle);
      pipe.pendingHandle = null;
    }
    if (nread < 0 || !arrayBuffer) return onEnd();
    const offset = b.state[b.kArrayBufferOffset]!;
    buffered += Buffer.from(arrayBuffer, offset, nread).toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return onEnd();
      }
      const handle = msg.handle === true ? (handles.shift() ?? null) : null;
      onMessage(msg, handle);
    }
    if (handles.length > 4) handles = handles.slice(-4);
  };
  pipe.readStart();
}

function writeMessage(pipe: RawPipe, b: Bindings, msg: Record<string, unknown>, handle?: TcpHandle): boolean {
  const req = new b.WriteWrap();
  req.handle = pipe;
  req.oncomplete = () => {};
  req.async = false;
  const text = JSON.stringify(msg) + '\n';
  return (handle ? pipe.writeUtf8String(req, text, handle) : pipe.writeUtf8String(req, text)) === 0;
}

export interface HandoverServer {
  close(): void;
}

/**
 * Offers `sockets()` (bind key → handle) to whoever connects. One socket per request ("next"),
 * as libuv delivers one descriptor per read. Returns undefined when hand-over is unavailable.
 */
export function offerSockets(sockets: () => ReadonlyMap<string, TcpHandle>): HandoverServer | undefined {
  const b = bindings();
  if (!b) return undefined;
  const dir = ownDir();
  const path = join(dir, socketName(process.pid));
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    removeStale(dir);
  } catch {
    // nothing to tidy
  }
  const peers = new Set<RawPipe>();
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    // Re-open the accepted connection's descriptor as an IPC pipe (the accepted wrap is left
    // unused and never read: closing it would close the shared descriptor).
    const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
    const pipe = new b.Pipe(b.PIPE_IPC);
    if (pipe.open(fd) !== 0) return;
    peers.add(pipe);
    let queue: [string, TcpHandle][] | undefined;
    readMessages(
      pipe,
      b,
      (msg) => {
        if (msg.op !== 'next') return;
        queue ??= [...sockets()];
        const next = queue.shift();
        if (next) writeMessage(pipe, b, { key: next[0], handle: true }, next[1]);
        else writeMessage(pipe, b, { done: true });
      },
      () => {
        peers.delete(pipe);
        pipe.close();
      },
    );
  });
  server.on('error', () => {});
  server.listen(path);
  server.unref();
  return {
    close() {
      server.close();
      for (const pipe of peers) pipe.close();
      peers.clear();
      try {
        unlinkSync(path);
      } catch {
        // after a privilege drop the run directory may not be ours any more
      }
    },
  };
}

/** Asks process `pid` for its listening sockets; resolves an empty map on any failure. */
export async function fetchSockets(pid: number, timeoutMs = 2000): Promise<Map<string, TcpHandle>> {
  for (const path of handoverPaths(pid)) {
    const got = await fetchFrom(path, timeoutMs);
    if (got.size > 0) return got;
  }
  return new Map();
}

function fetchFrom(path: string, timeoutMs: number): Promise<Map<string, TcpHandle>> {
  const b = bindings();
  const got = new Map<string, TcpHandle>();
  if (!b) return Promise.resolve(got);
  return new Promise((resolve) => {
    const pipe = new b.Pipe(b.PIPE_IPC);
    let finished = false;
    const finish = (ok: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      pipe.close();
      if (!ok) {
        for (const h of got.values()) h.close();
        got.clear();
      }
      resolve(got);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const req = new b.PipeConnectWrap();
    req.oncomplete = (status: number) => {
      if (status !== 0) return finish(false);
      readMessages(
        pipe,
        b,
        (msg, handle) => {
          if (msg.done === true) return finish(true);
          if (typeof msg.key === 'string' && handle) got.set(msg.key, handle);
          else if (typeof msg.key === 'string') return finish(false);
          writeMessage(pipe, b, { op: 'next' });
        },
        () => finish(got.size > 0),
      );
      writeMessage(pipe, b, { op: 'next' });
    };
    if (pipe.connect(req, path) !== 0) finish(false);
  });
}
