// The runtime socket (`stats socket <path> [mode <octal>] [level …]` in `global`): a Unix stream
// socket answering the commands of stats/commands.ts. Non-interactive by default (one line in,
// the answer, close) as HAProxy's; `prompt` keeps the connection for more lines.
//
// The path is taken as HAProxy 1.4+ takes it: bound under a temporary name, chmod'ed, then renamed
// over the path, so a stale socket left by a dead process is replaced and a reloading process
// (-sf/-st) takes the path over atomically from its predecessor. On close the path is removed only
// if it is still ours. With nbproc > 1 every process also binds `<path>.<pid>`: the bare path
// reaches whichever process bound it last, the suffixed ones reach each process's own counters.
import { chmodSync, renameSync, statSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type { StatsSocket } from '../config/model.js';
import type { ProcessLog } from '../log/types.js';
import { runLine, type AccessLevel } from './commands.js';
import type { StatsEnvironment } from './env.js';

/** HAProxy's default `stats timeout`: an idle CLI connection is closed after 10 s. */
export const IDLE_TIMEOUT_MS = 10000;
/** A longer line is refused (and the connection closed). */
const MAX_LINE_BYTES = 16384;
/** Longest sun_path Linux accepts (108 bytes with the final NUL). */
const MAX_SUN_PATH = 107;

interface Bound {
  readonly path: string;
  readonly server: net.Server;
  /** Inode of the socket file we created, to remove it only while it is still ours. */
  ino: number | undefined;
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // absent already
  }
}

export class StatsSocketServer {
  private readonly bound: Bound[] = [];
  private readonly clients = new Set<net.Socket>();
  private closed = false;

  constructor(
    private readonly spec: StatsSocket,
    private readonly env: StatsEnvironment,
    private readonly log: ProcessLog,
    /** Idle timeout of a connection (tests shorten it). */
    private readonly idleTimeoutMs = IDLE_TIMEOUT_MS,
  ) {}

  /** The paths this process listens on. */
  get paths(): string[] {
    return this.bound.map((b) => b.path);
  }

  /** Binds the path (and `<path>.<pid>` with nbproc > 1); rejects with HAProxy's alert text. */
  async start(): Promise<void> {
    const paths = [this.spec.path];
    if (this.env.nbproc > 1) paths.push(`${this.spec.path}.${this.env.pid}`);
    for (const p of paths) {
      if (this.closed) return;
      try {
        await this.bind(p);
      } catch (err) {
        this.close();
        throw new Error(`Starting frontend GLOBAL: cannot bind UNIX socket [${p}] (${(err as Error).message})`);
      }
    }
  }

  private bind(path: string): Promise<void> {
    const tmp = `${path}.${this.env.pid}.tmp`;
    // the rename trick needs a longer name; a path at the limit is bound in place instead
    const direct = Buffer.byteLength(tmp) > MAX_SUN_PATH;
    const target = direct ? path : tmp;
    unlinkQuiet(target);
    // half-open: a client may send its command and shut its side before reading the answer
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.onConnection(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(target, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.alert(`stats socket ${path}: ${err.message}`));
        try {
          if (this.spec.mode !== undefined) chmodSync(target, this.spec.mode);
          if (!direct) renameSync(tmp, path);
        } catch (err) {
          server.close();
          unlinkQuiet(target);
          reject(err as Error);
          return;
        }
        const b: Bound = { path, server, ino: undefined };
        try {
          b.ino = statSync(path).ino;
        } catch {
          // removed under us: nothing to clean up later
        }
        this.bound.push(b);
        resolve();
      });
    });
  }

  private onConnection(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.clients.add(socket);
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => {});
    socket.setEncoding('latin1');
    socket.setTimeout(this.idleTimeoutMs, () => socket.destroy());
    let buffered = '';
    let interactive = false;
    let ended = false;
    const finish = (text: string): void => {
      ended = true;
      socket.end(text);
    };
    socket.on('data', (chunk: string) => {
      if (ended) return;
      buffered += chunk;
      for (let guard = 0; guard < 10000 && !ended; guard++) {
        const nl = buffered.indexOf('\n');
        if (nl < 0) break;
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        const res = runLine(line, this.env, this.spec.level as AccessLevel);
        if (res.togglePrompt) interactive = !interactive;
        if (res.quit || !interactive) {
          finish(res.output);
          return;
        }
        socket.write(`${res.output}> `);
      }
      if (buffered.length > MAX_LINE_BYTES) finish('Command line too long.\n\n');
    });
    // a client that sends its command without a final line feed and half-closes
    socket.on('end', () => {
      if (ended) return;
      if (buffered.trim() !== '') finish(runLine(buffered.replace(/\r$/, ''), this.env, this.spec.level as AccessLevel).output);
      else finish('');
    });
  }

  /** Stops listening, cuts connections, removes the socket files that are still ours. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const b of this.bound.splice(0)) {
      b.server.close();
      try {
        // a newer process may have renamed its own socket over the path: leave that one
        if (b.ino !== undefined && statSync(b.path).ino === b.ino) unlinkSync(b.path);
      } catch {
        // gone, or unreachable after a chroot
      }
    }
    for (const c of this.clients) c.destroy();
    this.clients.clear();
  }
}
