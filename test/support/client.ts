// A raw TCP test client: connects (optionally from a chosen local address), collects what it
// receives, and reports how the connection ended. Every wait is bounded.
import net from 'node:net';
import type { Socket } from 'node:net';

export interface TestClient {
  readonly socket: Socket;
  /** Everything received so far. */
  data(): Buffer;
  text(): string;
  /** Resolves once the server half-closed (FIN) or the socket closed. */
  ended(timeoutMs?: number): Promise<void>;
  /** Resolves when the socket is fully closed; `error` is the error code if it closed on one. */
  closed(timeoutMs?: number): Promise<{ error: string | undefined }>;
  /** Resolves once at least `n` bytes were received. */
  received(n: number, timeoutMs?: number): Promise<void>;
  readonly gotEnd: boolean;
}

export interface ClientOptions {
  localAddress?: string;
  /** Default true: stay half-open after the server's FIN so the test can keep sending. */
  allowHalfOpen?: boolean;
}

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

export function connectClient(port: number, host = '127.0.0.1', o: ClientOptions = {}): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const opts: net.NetConnectOpts = { host, port, allowHalfOpen: o.allowHalfOpen ?? true };
    if (o.localAddress !== undefined) opts.localAddress = o.localAddress;
    const socket = net.connect(opts);
    const chunks: Buffer[] = [];
    let size = 0;
    let gotEnd = false;
    let closedInfo: { error: string | undefined } | undefined;
    let error: string | undefined;
    const dataWaiters: { n: number; resolve: () => void }[] = [];
    const endWaiters: (() => void)[] = [];
    const closeWaiters: ((v: { error: string | undefined }) => void)[] = [];
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      for (const w of dataWaiters.splice(0)) {
        if (size >= w.n) w.resolve();
        else dataWaiters.push(w);
      }
    });
    socket.on('end', () => {
      gotEnd = true;
      for (const w of endWaiters.splice(0)) w();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    socket.on('close', () => {
      closedInfo = { error };
      for (const w of endWaiters.splice(0)) w();
      for (const w of closeWaiters.splice(0)) w(closedInfo);
      for (const w of dataWaiters.splice(0)) w.resolve();
    });
    const onConnectError = (e: Error) => reject(e);
    socket.once('error', onConnectError);
    socket.once('connect', () => {
      socket.removeListener('error', onConnectError);
      resolve({
        socket,
        data: () => Buffer.concat(chunks),
        text: () => Buffer.concat(chunks).toString('latin1'),
        get gotEnd() {
          return gotEnd;
        },
        ended(ms = 5000) {
          if (gotEnd || closedInfo) return Promise.resolve();
          return bounded(new Promise<void>((r) => endWaiters.push(r)), ms, 'end');
        },
        closed(ms = 5000) {
          if (closedInfo) return Promise.resolve(closedInfo);
          return bounded(new Promise<{ error: string | undefined }>((r) => closeWaiters.push(r)), ms, 'close');
        },
        received(n: number, ms = 5000) {
          if (size >= n || closedInfo) return Promise.resolve();
          return bounded(new Promise<void>((r) => dataWaiters.push({ n, resolve: r })), ms, `${n} bytes (have ${size})`);
        },
      });
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
