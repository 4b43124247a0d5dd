// HTTP test support: a tsproxy Runtime started in-process from legacy config text (with
// recording loggers), HTTP origin servers on loopback that record the exact bytes of every
// request they get and answer through a handler, and a raw client that sends bytes and
// collects the answer. Every wait is bounded; stop()/close() always clean up.
import net from 'node:net';
import type { Socket } from 'node:net';
import { parseConfigText } from '../../src/config/parser.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { RecordingProxyLogger } from './runtime-harness.js';
import { runtimeOptions, type RecordingProcessLog } from './runtime-config.js';

export interface HttpProxy {
  readonly runtime: Runtime;
  readonly processLog: RecordingProcessLog;
  log(proxyName: string): RecordingProxyLogger;
  stop(): void;
}

/** Parses `text` as a haproxy.cfg and starts it. */
export async function startHttpProxy(text: string): Promise<HttpProxy> {
  const { config } = parseConfigText(text, 'test.cfg');
  const loggers = new Map<string, RecordingProxyLogger>();
  const opts = runtimeOptions();
  const runtime = new Runtime(config, opts, {
    proxyLogger: (pc) => {
      const l = new RecordingProxyLogger();
      loggers.set(pc.name, l);
      return l;
    },
  });
  await runtime.start();
  return {
    runtime,
    processLog: opts.processLog,
    log(name) {
      const l = loggers.get(name);
      if (l === undefined) throw new Error(`no proxy ${name}`);
      return l;
    },
    stop() {
      runtime.stop();
    },
  };
}

/** One request as an origin server received it. */
export interface ReceivedRequest {
  /** Index of the backend connection it came on. */
  readonly connection: number;
  /** The head exactly as received, final CRLFCRLF included. */
  readonly head: string;
  /** The body as received on the wire (chunked framing kept). */
  readonly body: Buffer;
  readonly method: string;
  readonly path: string;
}

export type Reply =
  | string
  | Buffer
  /** Reset the connection. */
  | { readonly kind: 'reset' }
  /** Say nothing, keep the connection open. */
  | { readonly kind: 'silent' }
  /** Send `data` then close. */
  | { readonly kind: 'close'; readonly data: string | Buffer }
  /** Call `fn` with the socket: the test drives it. */
  | { readonly kind: 'custom'; readonly fn: (socket: Socket, req: ReceivedRequest) => void };

export interface HttpBackend {
  readonly name: string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** Raw bytes received on each connection. */
  readonly raw: Buffer[][];
  connectionCount(): number;
  waitRequests(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** `HTTP/1.x 200 OK` with a body naming the backend and path (Content-Length framed). */
export function okReply(name: string, req: ReceivedRequest, extraHeaders = '', version = '1.0'): string {
  const body = `${name}:${req.path}\n`;
  return `HTTP/${version} 200 OK\r\nContent-Length: ${body.length}\r\n${extraHeaders}\r\n${body}`;
}

function findHeadEnd(b: Buffer): number {
  const i = b.indexOf('\r\n\r\n');
  return i < 0 ? -1 : i + 4;
}

/** Length of a complete chunked body at the start of `b`, or -1 if incomplete. */
function chunkedLength(b: Buffer): number {
  let pos = 0;
  for (let guard = 0; guard < 100000; guard++) {
    const lf = b.indexOf('\r\n', pos);
    if (lf < 0) return -1;
    const size = parseInt(b.toString('latin1', pos, lf).split(';')[0]!, 16);
    pos = lf + 2;
    if (size === 0) {
      // trailers until an empty line
      for (let g = 0; g < 1000; g++) {
        const e = b.indexOf('\r\n', pos);
        if (e < 0) return -1;
        const empty = e === pos;
        pos = e + 2;
        if (empty) return pos;
      }
      return -1;
    }
    if (b.length < pos + size + 2) return -1;
    pos += size + 2;
  }
  return -1;
}

export function startHttpBackend(
  name: string,
  handler: (req: ReceivedRequest) => Reply = (req) => okReply(name, req),
  at: { host?: string; port?: number } = {},
): Promise<HttpBackend> {
  const requests: ReceivedRequest[] = [];
  const raw: Buffer[][] = [];
  const sockets = new Set<Socket>();
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    const index = raw.length;
    const mine: Buffer[] = [];
    raw.push(mine);
    let buf: Buffer = Buffer.alloc(0);
    let busy = false;
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.on('end', () => {
      if (!busy) socket.end();
    });
    const process = () => {
      for (let guard = 0; guard < 1000; guard++) {
        const he = findHeadEnd(buf);
        if (he < 0) return;
        const head = buf.toString('latin1', 0, he);
        const lower = head.toLowerCase();
        let bodyLen = 0;
        const cl = /\r\ncontent-length:[ \t]*([0-9]+)/.exec(lower);
        if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) {
          const n = chunkedLength(buf.subarray(he));
          if (n < 0) return;
          bodyLen = n;
        } else if (cl !== null) {
          bodyLen = Number(cl[1]);
          if (buf.length < he + bodyLen) {
            if (/\r\nexpect:[ \t]*100-continue/.test(lower) && !(socket as Socket & { continued?: boolean }).continued) {
              (socket as Socket & { continued?: boolean }).continued = true;
              socket.write('HTTP/1.1 100 Continue\r\n\r\n');
            }
            return;
          }
        }
        const body = Buffer.from(buf.subarray(he, he + bodyLen));
        buf = buf.subarray(he + bodyLen);
        (socket as Socket & { continued?: boolean }).continued = false;
        const first = head.slice(0, head.indexOf('\r\n')).split(' ');
        const req: ReceivedRequest = { connection: index, head, body, method: first[0] ?? '', path: first[1] ?? '' };
        requests.push(req);
        for (const w of waiters.splice(0)) {
          if (requests.length >= w.n) w.resolve();
          else waiters.push(w);
        }
        const reply = handler(req);
        if (typeof reply === 'string' || Buffer.isBuffer(reply)) {
          socket.write(reply);
          if (/^HTTP\/1\.0/.test(reply.toString('latin1', 0, 8)) && !/\r\nconnection:[ \t]*keep-alive/i.test(reply.toString('latin1'))) {
            socket.end();
            return;
          }
          if (/\r\nconnection:[ \t]*close/i.test(reply.toString('latin1'))) {
            socket.end();
            return;
          }
          continue;
        }
        switch (reply.kind) {
          case 'reset':
            socket.resetAndDestroy();
            return;
          case 'silent':
            return;
          case 'close':
            socket.end(reply.data);
            return;
          case 'custom':
            busy = true;
            reply.fn(socket, req);
            return;
        }
      }
    };
    socket.on('data', (d: Buffer) => {
      mine.push(d);
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      if (!busy) process();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: at.host ?? '127.0.0.1', port: at.port ?? 0 }, () => {
      const a = server.address();
      const port = a !== null && typeof a === 'object' ? a.port : 0;
      resolve({
        name,
        port,
        requests,
        raw,
        connectionCount: () => raw.length,
        waitRequests(n, ms = 5000) {
          if (requests.length >= n) return Promise.resolve();
          return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`${name}: only ${requests.length}/${n} requests after ${ms} ms`)), ms);
            waiters.push({
              n,
              resolve: () => {
                clearTimeout(t);
                res();
              },
            });
          });
        },
        close() {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(() => r()));
        },
      });
    });
  });
}

export interface Exchange {
  /** Everything the client received. */
  readonly data: Buffer;
  readonly text: string;
  /** The connection was closed by the proxy (FIN or reset) before the wait ended. */
  readonly closed: boolean;
}

/**
 * Sends `bytes` on a new connection and collects the answer until the proxy closes, or until
 * `until(text)` holds, or `timeoutMs`.
 */
export function exchange(
  port: number,
  bytes: string | Buffer | (string | Buffer)[],
  o: { until?: (text: string) => boolean; timeoutMs?: number; localAddress?: string; endAfterWrite?: boolean } = {},
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const opts: net.NetConnectOpts = { host: '127.0.0.1', port, allowHalfOpen: true };
    if (o.localAddress !== undefined) opts.localAddress = o.localAddress;
    const s = net.connect(opts);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const data = Buffer.concat(chunks);
      s.destroy();
      resolve({ data, text: data.toString('latin1'), closed });
    };
    const timer = setTimeout(() => finish(false), o.timeoutMs ?? 5000);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (o.until !== undefined && o.until(Buffer.concat(chunks).toString('latin1'))) finish(false);
    });
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', (e) => {
      if (chunks.length === 0 && !done) {
        done = true;
        clearTimeout(timer);
        reject(e);
      }
    });
    s.on('connect', () => {
      for (const b of Array.isArray(bytes) ? bytes : [bytes]) s.write(typeof b === 'string' ? Buffer.from(b, 'latin1') : b);
      if (o.endAfterWrite === true) s.end();
    });
  });
}

/** Counts complete HTTP responses (by `HTTP/1.` status lines at message starts) — rough, for tests. */
export function statusLines(text: string): string[] {
  return (text.match(/(?:^|\n)HTTP\/1\.[01] \d{3}[^\r\n]*/g) ?? []).map((l) => l.replace(/^\n/, ''));
}

/** Replaces every `{NAME}` in a config template. */
export function template(text: string, vars: Record<string, string | number>): string {
  return text.replace(/\{([A-Za-z0-9_]+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** Resolves like `p`, or rejects after `ms` (the timer is cleared either way). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
