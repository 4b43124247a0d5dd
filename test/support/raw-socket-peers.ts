// Test support for RawSocket (src/io/raw-socket.ts): a listening socket whose accepts become
// RawSockets (acceptRaw), plain node:net peers, bounded waits, and position-dependent byte
// patterns (a byte that moved, or came from another stream, shows as a mismatch at its offset).
// Everything opened here is closed by the returned close(); every wait is bounded.
import net from 'node:net';
import os from 'node:os';
import type { EventEmitter } from 'node:events';
import { acceptRaw, type RawSocket } from '../../src/io/raw-socket.js';
import { within } from './http-harness.js';

/** Rejects after `ms` unless `p` settled first (the HTTP harness's helper). */
export { within };

/** The arguments of the next `event` on `e` (bounded). */
export function next(e: EventEmitter, event: string, ms = 5000): Promise<unknown[]> {
  return within(new Promise<unknown[]>((resolve) => e.once(event, (...args: unknown[]) => resolve(args))), ms, `'${event}'`);
}

/** Resolves once `pred()` holds, polling every few ms (bounded). */
export async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (let i = 0; i < 100_000; i++) {
    if (pred()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(2);
  }
  throw new Error(`gave up waiting for ${what}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A few event-loop turns (lets nextTick/immediate/close callbacks run). */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

// ---- patterns -------------------------------------------------------------------------------------

/** Byte `i` of stream `seed`: differs between streams and is not periodic within a few MiB. */
export function patternByte(seed: number, i: number): number {
  return (i * 31 + (i >>> 8) * 7 + (i >>> 16) * 13 + seed * 101 + 17) & 0xff;
}

export function pattern(seed: number, offset: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = patternByte(seed, offset + i);
  return b;
}

/** Checks a stream against pattern `seed` as it arrives; `mismatchAt` is the first bad offset (-1 none). */
export class PatternCheck {
  offset = 0;
  mismatchAt = -1;
  constructor(readonly seed: number) {}
  feed(d: Uint8Array): void {
    if (this.mismatchAt < 0) {
      for (let i = 0; i < d.length; i++) {
        if (d[i] !== patternByte(this.seed, this.offset + i)) {
          this.mismatchAt = this.offset + i;
          break;
        }
      }
    }
    this.offset += d.length;
  }
}

// ---- listeners -------------------------------------------------------------------------------------

export interface RawListener {
  readonly port: number;
  readonly accepted: RawSocket[];
  /** The next accepted RawSocket (in accept order, bounded). */
  next(ms?: number): Promise<RawSocket>;
  close(): void;
}

/** A listening socket on 127.0.0.1 (or `host`) whose accepted connections are RawSockets (paused). */
export async function listenRaw(host = '127.0.0.1'): Promise<RawListener> {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => resolve());
  });
  const addr = server.address();
  const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
  const accepted: RawSocket[] = [];
  const waiters: ((s: RawSocket) => void)[] = [];
  let taken = 0;
  const ok = acceptRaw(
    server as unknown as { _handle?: unknown },
    true,
    (s) => {
      accepted.push(s);
      const w = waiters.shift();
      if (w !== undefined) {
        taken++;
        w(s);
      }
    },
    () => {},
  );
  if (!ok) throw new Error('acceptRaw refused the listening socket');
  return {
    port,
    accepted,
    next(ms = 5000) {
      if (taken < accepted.length) return Promise.resolve(accepted[taken++]!);
      return within(new Promise<RawSocket>((resolve) => waiters.push(resolve)), ms, 'an accepted connection');
    },
    close() {
      for (const s of accepted) s.destroy();
      server.close();
    },
  };
}

export interface NetListener {
  readonly port: number;
  readonly sockets: net.Socket[];
  next(ms?: number): Promise<net.Socket>;
  close(): void;
}

/** A plain node:net server (half-open allowed); `onSocket` may set it up. */
export async function listenNet(onSocket: (s: net.Socket) => void = () => {}, host = '127.0.0.1'): Promise<NetListener> {
  const sockets: net.Socket[] = [];
  const waiters: ((s: net.Socket) => void)[] = [];
  let taken = 0;
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => {});
    sockets.push(s);
    onSocket(s);
    const w = waiters.shift();
    if (w !== undefined) {
      taken++;
      w(s);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => resolve());
  });
  const addr = server.address();
  const port = addr !== null && typeof addr === 'object' ? addr.port : 0;
  return {
    port,
    sockets,
    next(ms = 5000) {
      if (taken < sockets.length) return Promise.resolve(sockets[taken++]!);
      return within(new Promise<net.Socket>((resolve) => waiters.push(resolve)), ms, 'a connection');
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** A node:net client connected to `port` (resolves on connect, bounded). */
export function netConnect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const s = net.connect({ host, port, allowHalfOpen: true });
  s.on('error', () => {});
  return within(
    new Promise<net.Socket>((resolve, reject) => {
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    }),
    5000,
    'connect',
  );
}

/** Everything `s` sends until its FIN or close (bounded). */
export function readToEnd(s: EventEmitter, ms = 5000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return within(
    new Promise<Buffer>((resolve) => {
      s.on('data', (d: Buffer) => chunks.push(Buffer.from(d)));
      const done = () => resolve(Buffer.concat(chunks));
      s.once('end', done);
      s.once('close', done);
    }),
    ms,
    'the end of the stream',
  );
}

/** Collects what `s` sends; `bytes()` so far, `wait(n)` for at least n bytes (bounded). */
export function collect(s: EventEmitter): { bytes(): Buffer; wait(n: number, ms?: number): Promise<Buffer> } {
  const chunks: Buffer[] = [];
  let size = 0;
  s.on('data', (d: Buffer) => {
    chunks.push(Buffer.from(d));
    size += d.length;
  });
  return {
    bytes: () => Buffer.concat(chunks),
    wait: async (n, ms = 5000) => {
      await until(() => size >= n, ms, `${n} bytes (have ${size})`);
      return Buffer.concat(chunks);
    },
  };
}

/** An IPv4 address this host does not have (for a bind that must fail). */
export function nonLocalAddress(): string {
  const local = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) local.add(a.address);
  for (const a of ['198.51.100.254', '203.0.113.254', '192.0.2.254', '192.0.2.1']) if (!local.has(a)) return a;
  throw new Error('every TEST-NET candidate address is local');
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const a = s.address();
  const port = a !== null && typeof a === 'object' ? a.port : 0;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
