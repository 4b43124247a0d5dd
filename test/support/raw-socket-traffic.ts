// Traffic for the shared-read tests (test/integration/shared-reads-*.test.ts): origin servers and
// clients that send position-dependent byte patterns (support/raw-socket-peers.ts) and check every
// byte they receive, for mode http (an HTTP/1.1 origin with content-length, chunked, byte-by-byte
// heads, uploads read slowly, an Upgrade tunnel) and mode tcp (a stream server that may greet
// first). A corrupted, lost, duplicated or foreign byte shows as a mismatch at its offset.
// Everything is bounded in bytes and time; close() closes every socket.
import net from 'node:net';
import { patternByte, sleep, until, within } from './raw-socket-peers.js';

// ---- patterns (cached: the large streams are sliced and compared with memcmp) ------------------

const cache = new Map<number, Buffer>();
let cachedBytes = 0;

/** Resolves once `socket` connected (bounded), rejects on its error. */
function connected(socket: net.Socket): Promise<void> {
  return within(
    new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    }),
    5000,
    'connect',
  );
}

/**
 * A late reader's gate: the client reads only once the proxy holds queued bytes for it (its
 * writes went asynchronous); `seen.maxQueued` records the most it saw.
 */
export function lateReaderGate(proxySideOf: (c: net.Socket) => { readonly writableLength: number } | undefined, seen: { maxQueued: number }): (c: net.Socket) => boolean {
  return (sock) => {
    const q = proxySideOf(sock)?.writableLength ?? 0;
    seen.maxQueued = Math.max(seen.maxQueued, q);
    return q > 0;
  };
}

/** Listens on 127.0.0.1 with a port the kernel picks; resolves with that port. */
async function listenLoopback(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  const a = server.address();
  return a !== null && typeof a === 'object' ? a.port : 0;
}

/**
 * A gate for a slow origin or server: it starts reading seed's upload only once the client
 * cannot write any more (the whole path is full, so the proxy's writes towards it are queued),
 * and records which seeds got there.
 */
export function backpressureGate(): { clients: Map<number, net.Socket>; backpressured: Set<number>; gate: (seed: number) => boolean } {
  const clients = new Map<number, net.Socket>();
  const backpressured = new Set<number>();
  const gate = (seed: number): boolean => {
    const c = clients.get(seed);
    if (c === undefined || c.writableLength === 0) return false;
    backpressured.add(seed);
    return true;
  };
  return { clients, backpressured, gate };
}

/** Bytes [0, len) of pattern `seed`. */
export function patternOf(seed: number, len: number): Buffer {
  let b = cache.get(seed);
  if (b === undefined || b.length < len) {
    if (cachedBytes > 256 * 1024 * 1024) {
      cache.clear();
      cachedBytes = 0;
    }
    const n = Math.max(len, b?.length ?? 0, 64 * 1024);
    const nb = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) nb[i] = patternByte(seed, i);
    cachedBytes += n - (b?.length ?? 0);
    cache.set(seed, nb);
    b = nb;
  }
  return b.subarray(0, len);
}

/** Checks a stream against `segments` in turn (pattern seed, length); reports the first bad offset. */
export class StreamCheck {
  offset = 0;
  mismatchAt = -1;
  private readonly total: number;
  constructor(private readonly segments: readonly { seed: number; len: number }[]) {
    this.total = segments.reduce((n, s) => n + s.len, 0);
  }
  static of(seed: number, len: number): StreamCheck {
    return new StreamCheck([{ seed, len }]);
  }
  get complete(): boolean {
    return this.offset >= this.total;
  }
  get expected(): number {
    return this.total;
  }
  feed(d: Uint8Array): void {
    let i = 0;
    while (i < d.length && this.mismatchAt < 0) {
      // locate the segment holding this.offset
      let base = 0;
      let seg = 0;
      while (seg < this.segments.length && base + this.segments[seg]!.len <= this.offset) base += this.segments[seg++]!.len;
      if (seg >= this.segments.length) {
        this.mismatchAt = this.offset; // more bytes than expected
        break;
      }
      const s = this.segments[seg]!;
      const at = this.offset - base;
      const n = Math.min(d.length - i, s.len - at);
      const want = patternOf(s.seed, at + n).subarray(at, at + n);
      const got = d.subarray(i, i + n);
      if (!Buffer.from(got.buffer, got.byteOffset, got.length).equals(want)) {
        let k = 0;
        while (k < n && got[k] === want[k]) k++;
        this.mismatchAt = this.offset + k;
      }
      i += n;
      this.offset += n;
    }
    if (this.mismatchAt >= 0) this.offset += d.length - i;
  }
}

// ---- flow -----------------------------------------------------------------------------------------

/** Reads slowly: a pause of `pauseMs` after every `every` chunks. */
export interface Slow {
  every: number;
  pauseMs: number;
}

function slowDown(s: net.Socket, slow: Slow | undefined, counter: { n: number }): void {
  if (slow === undefined || ++counter.n % slow.every !== 0 || s.isPaused()) return;
  s.pause();
  setTimeout(() => {
    if (!s.destroyed) s.resume();
  }, slow.pauseMs);
}

/** Writes `data` in `piece`-sized writes, respecting backpressure; resolves once all were written. */
export function writeAll(s: net.Socket, data: Buffer, piece = 64 * 1024): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const pump = () => {
      while (off < data.length) {
        if (s.destroyed) {
          reject(new Error('socket destroyed while writing'));
          return;
        }
        const n = Math.min(piece, data.length - off);
        const ok = s.write(data.subarray(off, off + n));
        off += n;
        if (!ok) {
          s.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    pump();
  });
}

/** Writes each string or buffer of `parts` separately, `gapMs` apart (tiny TCP segments). */
export async function dribble(s: net.Socket, parts: readonly (string | Buffer)[], gapMs = 1): Promise<void> {
  for (const p of parts) {
    if (s.destroyed) return;
    s.write(p);
    await sleep(gapMs);
  }
}

/** `text` split into single bytes. */
export function bytesOf(text: string): string[] {
  return [...text];
}

/** Chunk sizes that cycle through tiny, odd and large ones. */
const CHUNK_SIZES = [1, 7, 100, 4096, 65536 + 13, 200_000, 3, 31_337];

/** `data` in chunked transfer coding with varied chunk sizes (sizes in hex, mixed case). */
export function chunked(data: Buffer, sizes: readonly number[] = CHUNK_SIZES): Buffer {
  const parts: Buffer[] = [];
  let off = 0;
  for (let k = 0; off < data.length; k++) {
    const n = Math.min(sizes[k % sizes.length]!, data.length - off);
    const hex = n.toString(16);
    parts.push(Buffer.from(`${k % 2 === 0 ? hex : hex.toUpperCase()}\r\n`), data.subarray(off, off + n), Buffer.from('\r\n'));
    off += n;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

/** An incremental chunked-coding decoder: `push()` returns the data bytes, `done` at the last chunk. */
export class Dechunker {
  done = false;
  /** Bytes after the end of the chunked body (the next message). */
  rest: Buffer | undefined = undefined;
  private state: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
  private line = '';
  private remaining = 0;
  push(d: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < d.length && !this.done) {
      if (this.state === 'data') {
        const n = Math.min(this.remaining, d.length - i);
        out.push(d.subarray(i, i + n));
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'crlf';
        continue;
      }
      const c = d[i++]!;
      if (c !== 0x0a) {
        if (c !== 0x0d) this.line += String.fromCharCode(c);
        continue;
      }
      const line = this.line;
      this.line = '';
      if (this.state === 'crlf') {
        if (line !== '') throw new Error(`chunked: junk after chunk data: ${JSON.stringify(line)}`);
        this.state = 'size';
      } else if (this.state === 'size') {
        const size = parseInt(line.split(';')[0]!.trim(), 16);
        if (!Number.isFinite(size)) throw new Error(`chunked: bad size line ${JSON.stringify(line)}`);
        if (size === 0) this.state = 'trailer';
        else {
          this.remaining = size;
          this.state = 'data';
        }
      } else if (line === '') this.done = true; // end of trailers
    }
    if (this.done && i < d.length) this.rest = Buffer.from(d.subarray(i));
    return out;
  }
}

interface Head {
  firstLine: string;
  headers: Map<string, string>;
  raw: string;
}

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c > 0) headers.set(l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim());
  }
  return { firstLine: lines[0]!, headers, raw: text };
}

// ---- HTTP origin ---------------------------------------------------------------------------------

/** One upload (or tunnel up-stream) as the origin checked it. */
export interface UploadResult {
  readonly path: string;
  readonly bytes: number;
  readonly mismatchAt: number;
  readonly complete: boolean;
}

export interface PatternOrigin {
  readonly port: number;
  readonly uploads: UploadResult[];
  readonly requests: string[];
  readonly stats: { connections: number };
  /** The connection that last got a request for pattern `seed`. */
  socketFor(seed: number): net.Socket | undefined;
  close(): void;
}

/**
 * An HTTP/1.1 origin. Routes (N = length, S = pattern seed):
 *  GET /cl/S/N           content-length body of pattern S
 *  GET /chunked/S/N      chunked body, varied chunk sizes
 *  GET /chunkedsplit/S/N chunked body whose size lines and head are written byte by byte
 *  GET /split/S/N        head written byte by byte (1 ms apart), then a content-length body
 *  GET /eof/S/N          body delimited by the end of the connection
 *  GET /interim/S/N      100 (byte by byte) and 103 interim answers, then the final one
 *  POST /up/S/N[/slow]   body checked against pattern S; answers `ok <bytes> <first bad offset>`;
 *                        /slow: reading stops after the head until gate(S) (bounded), then is slow
 *  GET /upgrade/S/N      101, then N bytes of pattern S down while the up-stream is checked
 *                        against pattern S+1 until the client's FIN
 * `Connection: close` in a request closes after its response; otherwise the connection stays.
 */
export async function startPatternOrigin(o: { gate?: (seed: number) => boolean } = {}): Promise<PatternOrigin> {
  const uploads: UploadResult[] = [];
  const requests: string[] = [];
  const stats = { connections: 0 };
  const sockets = new Set<net.Socket>();
  const bySeed = new Map<number, net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    stats.connections++;
    sockets.add(s);
    s.setNoDelay(true);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    serveHttp(s, o, uploads, requests, bySeed);
  });
  return {
    port: await listenLoopback(server),
    uploads,
    requests,
    stats,
    socketFor: (seed) => bySeed.get(seed),
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

function serveHttp(s: net.Socket, o: { gate?: (seed: number) => boolean }, uploads: UploadResult[], requests: string[], bySeed: Map<number, net.Socket>): void {
  let buf: Buffer = Buffer.alloc(0);
  let busy = false;
  let peerEnded = false;
  // the body being read: its check, and how it ends
  let body: { check: StreamCheck; path: string; left: number; dechunk: Dechunker | undefined; slow: boolean } | undefined;
  let tunnel: StreamCheck | undefined;
  const reads = { n: 0 };

  const respond = async (head: Head): Promise<void> => {
    const [method, target] = head.firstLine.split(' ');
    const parts = (target ?? '').split('/');
    const route = parts[1] ?? '';
    const seed = Number(parts[2] ?? 0);
    const len = Number(parts[3] ?? 0);
    const close = /close/i.test(head.headers.get('connection') ?? '');
    const conn = close ? 'Connection: close\r\n' : '';
    requests.push(head.firstLine);
    if (method === 'GET' && route === 'cl') {
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${len}\r\n${conn}\r\n`);
      await writeAll(s, patternOf(seed, len), 256 * 1024);
    } else if (method === 'GET' && route === 'chunked') {
      s.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n${conn}\r\n`);
      await writeAll(s, chunked(patternOf(seed, len)), 256 * 1024);
    } else if (method === 'GET' && route === 'chunkedsplit') {
      await dribble(s, bytesOf(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n${conn}\r\n`));
      const data = patternOf(seed, len);
      for (let off = 0, k = 0; off < len; k++) {
        const n = Math.min([3000, 1, 17, 9000][k % 4]!, len - off);
        await dribble(s, bytesOf(`${n.toString(16)};k=${k}\r\n`));
        s.write(data.subarray(off, off + n));
        await dribble(s, ['\r', '\n']);
        off += n;
      }
      await dribble(s, bytesOf('0\r\nX-End: yes\r\n\r\n'));
    } else if (method === 'GET' && route === 'eof') {
      // no framing: the body ends with the connection
      s.write('HTTP/1.1 200 OK\r\nX-Framing: close\r\n\r\n');
      await writeAll(s, patternOf(seed, len), 256 * 1024);
      s.end();
      return;
    } else if (method === 'GET' && route === 'interim') {
      // interim answers byte by byte, the last one in the same segment as the final head and body
      await dribble(s, bytesOf('HTTP/1.1 100 Continue\r\n\r\n'));
      s.write(Buffer.concat([Buffer.from(`HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: ${len}\r\n${conn}\r\n`), patternOf(seed, len)]));
    } else if (method === 'GET' && route === 'split') {
      await dribble(s, bytesOf(`HTTP/1.1 200 OK\r\nX-Split: byte-by-byte\r\nContent-Length: ${len}\r\n${conn}\r\n`));
      await writeAll(s, patternOf(seed, len));
    } else if (method === 'POST' && route === 'up') {
      const r = uploads[uploads.length - 1]!;
      const text = `ok ${r.bytes} ${r.mismatchAt}`;
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${text.length}\r\n${conn}\r\n${text}`);
    } else {
      s.write(`HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n${conn}\r\n`);
    }
    if (close) s.end();
  };

  const step = (): void => {
    for (let guard = 0; guard < 10_000 && !busy && !s.destroyed; guard++) {
      if (tunnel !== undefined) return;
      if (body !== undefined) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (peerEnded && !s.writableEnded) s.end();
        return;
      }
      const head = parseHead(buf.subarray(0, end).toString('latin1'));
      buf = buf.subarray(end + 4);
      const [method, target] = head.firstLine.split(' ');
      const parts = (target ?? '').split('/');
      bySeed.set(Number(parts[2]), s);
      if (method === 'GET' && parts[1] === 'upgrade') {
        const seed = Number(parts[2]);
        const len = Number(parts[3]);
        requests.push(head.firstLine);
        tunnel = StreamCheck.of(seed + 1, Number.MAX_SAFE_INTEGER);
        const t = tunnel;
        s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: patterns\r\nConnection: Upgrade\r\n\r\n');
        void writeAll(s, patternOf(seed, len)).catch(() => {});
        const early = buf;
        buf = Buffer.alloc(0);
        if (early.length > 0) t.feed(early);
        const record = () => uploads.push({ path: target!, bytes: t.offset, mismatchAt: t.mismatchAt, complete: true });
        if (peerEnded) {
          record();
          s.end();
        } else
          s.once('end', () => {
            record();
            s.end();
          });
        return;
      }
      if (method === 'POST') {
        const seed = Number(parts[2]);
        const len = Number(parts[3]);
        const te = /chunked/i.test(head.headers.get('transfer-encoding') ?? '');
        const cl = Number(head.headers.get('content-length') ?? 0);
        body = { check: StreamCheck.of(seed, len), path: target!, left: te ? Infinity : cl, dechunk: te ? new Dechunker() : undefined, slow: parts[4] === 'slow' };
        if (body.slow && o.gate !== undefined) {
          const gate = o.gate;
          s.pause();
          void until(() => gate(seed) || s.destroyed, 5000, 'the upload gate')
            .catch(() => {})
            .then(() => s.resume());
        }
        busy = true;
        const rest = buf;
        buf = Buffer.alloc(0);
        bodyBytes(rest, head);
        return;
      }
      busy = true;
      void respond(head)
        .catch(() => s.destroy())
        .then(() => {
          busy = false;
          step();
        });
    }
  };

  let bodyHead: Head | undefined;
  const bodyBytes = (d: Buffer, head?: Head): void => {
    if (head !== undefined) bodyHead = head;
    const b = body;
    if (b === undefined || d.length === 0) return;
    let rest: Buffer | undefined;
    if (b.dechunk !== undefined) {
      for (const piece of b.dechunk.push(d)) b.check.feed(piece);
      if (b.dechunk.done) rest = b.dechunk.rest;
    } else {
      const n = Math.min(b.left, d.length);
      b.check.feed(d.subarray(0, n));
      b.left -= n;
      if (n < d.length) rest = d.subarray(n);
    }
    const finished = b.dechunk !== undefined ? b.dechunk.done : b.left === 0;
    if (!finished) return;
    uploads.push({ path: b.path, bytes: b.check.offset, mismatchAt: b.check.mismatchAt, complete: b.check.complete });
    body = undefined;
    if (rest !== undefined) buf = Buffer.concat([buf, rest]);
    void respond(bodyHead!)
      .catch(() => s.destroy())
      .then(() => {
        busy = false;
        step();
      });
  };

  s.on('data', (d: Buffer) => {
    if (tunnel !== undefined) {
      tunnel.feed(d);
      return;
    }
    if (body !== undefined) {
      if (body.slow) slowDown(s, { every: 8, pauseMs: 1 }, reads);
      bodyBytes(d);
      return;
    }
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    step();
  });
  s.on('end', () => {
    peerEnded = true;
    if (tunnel === undefined) step();
  });
}

// ---- HTTP client ---------------------------------------------------------------------------------

export type Expectation = { kind: 'pattern'; seed: number; len: number } | { kind: 'text' } | { kind: 'upgrade'; seed: number; len: number };

export interface ResponseResult {
  status: number;
  head: string;
  bytes: number;
  mismatchAt: number;
  text: string;
}

/**
 * Reads the responses on one connection in order, each checked against its expectation:
 * a pattern body (content-length, chunked or to the close), a short text body, or a 101 then
 * a pattern stream to the FIN. Optionally starts reading only once `gate()` holds (bounded)
 * and reads slowly.
 */
export class ResponseReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly queue: { e: Expectation; resolve: (r: ResponseResult) => void; reject: (e: Error) => void }[] = [];
  private cur:
    | { r: ResponseResult; check: StreamCheck | undefined; left: number; dechunk: Dechunker | undefined; toClose: boolean; texts: Buffer[] }
    | undefined;
  private readonly reads = { n: 0 };
  private ended = false;
  failure: Error | undefined;
  /** Status lines of the interim (1xx) answers seen, in order. */
  readonly interims: string[] = [];

  constructor(
    readonly socket: net.Socket,
    private readonly slow?: Slow,
    gate?: () => boolean,
  ) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onEnd());
    socket.on('error', () => {});
    if (gate !== undefined) {
      socket.pause();
      void until(() => gate() || socket.destroyed, 5000, 'the read gate')
        .catch(() => {})
        .then(() => socket.resume());
    }
  }

  expect(e: Expectation, ms = 20000): Promise<ResponseResult> {
    return within(
      new Promise<ResponseResult>((resolve, reject) => {
        this.queue.push({ e, resolve, reject });
        if (this.ended) this.onEnd();
      }),
      ms,
      `a response (${JSON.stringify(e)})`,
    );
  }

  private onData(d: Buffer): void {
    slowDown(this.socket, this.slow, this.reads);
    try {
      this.consume(d);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private consume(d: Buffer): void {
    let data: Buffer | undefined = d;
    for (let guard = 0; guard < 10_000 && data !== undefined && data.length > 0; guard++) {
      if (this.cur === undefined) {
        this.buf = this.buf.length === 0 ? Buffer.from(data) : Buffer.concat([this.buf, data]);
        data = undefined;
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = parseHead(this.buf.subarray(0, end).toString('latin1'));
        const rest = this.buf.subarray(end + 4);
        this.buf = Buffer.alloc(0);
        const status = Number(head.firstLine.split(' ')[1]);
        if (status >= 100 && status < 200 && status !== 101) {
          this.interims.push(head.firstLine);
          data = rest;
          continue;
        }
        const q = this.queue[0];
        if (q === undefined) throw new Error(`unexpected response ${head.firstLine}`);
        const r: ResponseResult = { status, head: head.raw, bytes: 0, mismatchAt: -1, text: '' };
        const te = /chunked/i.test(head.headers.get('transfer-encoding') ?? '');
        const clText = head.headers.get('content-length');
        const check = q.e.kind === 'text' ? undefined : StreamCheck.of(q.e.seed, q.e.len);
        const toClose = status === 101 || (!te && clText === undefined);
        this.cur = { r, check, left: toClose || te ? Infinity : Number(clText), dechunk: te ? new Dechunker() : undefined, toClose, texts: [] };
        if (!toClose && !te && this.cur.left === 0) this.finish();
        data = rest;
        continue;
      }
      const c = this.cur;
      let body: Buffer[];
      let rest: Buffer | undefined;
      if (c.dechunk !== undefined) {
        body = c.dechunk.push(data);
        rest = c.dechunk.done ? c.dechunk.rest : undefined;
      } else {
        const n = Math.min(c.left, data.length);
        body = [data.subarray(0, n)];
        c.left -= n;
        rest = n < data.length ? data.subarray(n) : undefined;
      }
      for (const b of body) {
        c.r.bytes += b.length;
        if (c.check !== undefined) c.check.feed(b);
        else c.texts.push(Buffer.from(b));
      }
      data = rest;
      if (c.dechunk !== undefined ? c.dechunk.done : c.left === 0) this.finish();
    }
  }

  private finish(): void {
    const c = this.cur!;
    this.cur = undefined;
    c.r.mismatchAt = c.check?.mismatchAt ?? -1;
    c.r.text = Buffer.concat(c.texts).toString('latin1');
    this.queue.shift()?.resolve(c.r);
  }

  private onEnd(): void {
    this.ended = true;
    if (this.cur !== undefined && this.cur.toClose) {
      this.finish();
      return;
    }
    if (this.cur !== undefined || this.queue.length > 0) this.fail(new Error(`connection ended with ${this.queue.length} response(s) missing or incomplete`));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const q of this.queue.splice(0)) q.reject(e);
    this.cur = undefined;
  }
}

/** A keep-alive client connection to `port` with a ResponseReader. */
export async function httpClient(port: number, o: { slow?: Slow; gate?: (c: net.Socket) => boolean } = {}): Promise<{ socket: net.Socket; reader: ResponseReader }> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  socket.setNoDelay(true);
  await connected(socket);
  const gate = o.gate;
  const reader = new ResponseReader(socket, o.slow, gate === undefined ? undefined : () => gate(socket));
  return { socket, reader };
}

/** Summary of background traffic. */
export interface Background {
  stop(): Promise<{ requests: number; bad: string[] }>;
}

/**
 * `clients` keep-alive connections doing small and medium requests (content-length and chunked,
 * each a different pattern) in a loop until stop() (bounded in count), every byte checked —
 * they keep the shared read buffer busy while the test's main exchange runs.
 */
export function httpBackground(port: number, clients: number, seedBase: number, maxPerClient = 400): Background {
  let stopping = false;
  let requests = 0;
  const bad: string[] = [];
  const runs = Array.from({ length: clients }, async (_, c) => {
    let conn: Awaited<ReturnType<typeof httpClient>> | undefined;
    try {
      conn = await httpClient(port);
      for (let k = 0; k < maxPerClient && !stopping; k++) {
        const seed = seedBase + ((c * 37 + k) % 200);
        const len = [1, 700, 5000, 65_536, 150_000][(c + k) % 5]!;
        const route = k % 3 === 2 ? 'chunked' : 'cl';
        const p = conn.reader.expect({ kind: 'pattern', seed, len });
        conn.socket.write(`GET /${route}/${seed}/${len} HTTP/1.1\r\nHost: bg\r\n\r\n`);
        const r = await p;
        requests++;
        if (r.status !== 200 || r.mismatchAt >= 0 || r.bytes !== len) bad.push(`bg ${c}/${k} ${route} ${len}: status ${r.status}, ${r.bytes} bytes, bad at ${r.mismatchAt}`);
      }
    } catch (err) {
      bad.push(`bg ${c}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      conn?.socket.destroy();
    }
  });
  return {
    async stop() {
      stopping = true;
      await within(Promise.all(runs), 20000, 'the background clients');
      return { requests, bad };
    },
  };
}

// ---- TCP stream server ---------------------------------------------------------------------------

export interface StreamResult {
  /** Up-stream bytes the server checked and the first bad offset. */
  readonly up: number;
  readonly upMismatchAt: number;
  readonly command: string;
}

export interface StreamServer {
  readonly port: number;
  readonly results: StreamResult[];
  readonly sockets: net.Socket[];
  /** The connection whose command named pattern `seed`. */
  socketFor(seed: number): net.Socket | undefined;
  close(): void;
}

/**
 * A TCP server for mode tcp: on connect it writes `greet` (pattern seed, length) if given, then
 * reads a command line `<seed> <down> <up> [slow]\n`, sends <down> bytes of pattern <seed> and
 * checks <up> bytes of pattern <seed+1>; it half-closes after both, and records the result.
 * `slow`: reading stops until gate(seed) (bounded), then is slow.
 */
export async function startStreamServer(o: { greet?: { seed: number; len: number }; gate?: (seed: number) => boolean } = {}): Promise<StreamServer> {
  const results: StreamResult[] = [];
  const sockets: net.Socket[] = [];
  const bySeed = new Map<number, net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s);
    s.setNoDelay(true);
    s.on('error', () => {});
    if (o.greet !== undefined) void writeAll(s, patternOf(o.greet.seed, o.greet.len)).catch(() => {});
    let line = '';
    let check: StreamCheck | undefined;
    let slow = false;
    let sentDown = false;
    let upDone = false;
    let command = '';
    const reads = { n: 0 };
    const maybeEnd = () => {
      if (sentDown && upDone && !s.writableEnded) {
        results.push({ up: check!.offset, upMismatchAt: check!.mismatchAt, command });
        s.end();
      }
    };
    s.on('data', (d: Buffer) => {
      if (check === undefined) {
        const nl = d.indexOf(0x0a);
        if (nl < 0) {
          line += d.toString('latin1');
          return;
        }
        command = line + d.subarray(0, nl).toString('latin1');
        const [seed, down, up, mode] = command.trim().split(' ').map((x, i) => (i < 3 ? Number(x) : x)) as [number, number, number, string?];
        check = StreamCheck.of(seed + 1, up);
        bySeed.set(seed, s);
        slow = mode === 'slow';
        if (slow && o.gate !== undefined) {
          const gate = o.gate;
          s.pause();
          void until(() => gate(seed) || s.destroyed, 5000, 'the upload gate')
            .catch(() => {})
            .then(() => s.resume());
        }
        void writeAll(s, patternOf(seed, down))
          .then(() => {
            sentDown = true;
            maybeEnd();
          })
          .catch(() => {});
        d = d.subarray(nl + 1);
        if (up === 0) upDone = true;
      }
      if (slow) slowDown(s, { every: 8, pauseMs: 1 }, reads);
      if (d.length > 0) check.feed(d);
      if (check.offset >= check.expected) upDone = true;
      maybeEnd();
    });
    s.on('end', () => {
      upDone = true;
      maybeEnd();
    });
  });
  return {
    port: await listenLoopback(server),
    results,
    sockets,
    socketFor: (seed) => bySeed.get(seed),
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

export interface StreamExchange {
  down: StreamCheck;
  socket: net.Socket;
  /** Resolves at the server's FIN (or close). */
  done: Promise<void>;
}

/**
 * A mode-tcp client: sends the command, then <up> bytes of pattern <seed+1>, half-closes; checks
 * what comes down (the greeting, if any, then <down> bytes of pattern <seed>).
 */
export async function streamClient(
  port: number,
  c: {
    seed: number;
    down: number;
    up: number;
    slowServer?: boolean;
    greet?: { seed: number; len: number };
    /** Send nothing before the whole greeting arrived (the server speaks first). */
    afterGreeting?: boolean;
    slow?: Slow;
    gate?: (s: net.Socket) => boolean;
  },
): Promise<StreamExchange> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  socket.on('error', () => {});
  const segments = c.greet === undefined ? [{ seed: c.seed, len: c.down }] : [c.greet, { seed: c.seed, len: c.down }];
  const down = new StreamCheck(segments);
  const reads = { n: 0 };
  const gate = c.gate;
  if (gate !== undefined) {
    socket.pause();
    void until(() => gate(socket) || socket.destroyed, 5000, 'the read gate')
      .catch(() => {})
      .then(() => socket.resume());
  }
  socket.on('data', (d: Buffer) => {
    slowDown(socket, c.slow, reads);
    down.feed(d);
  });
  const done = within(
    new Promise<void>((resolve) => {
      socket.once('end', () => resolve());
      socket.once('close', () => resolve());
    }),
    20000,
    `the stream ${c.seed} to end`,
  );
  await connected(socket);
  void (async () => {
    const greeting = c.greet;
    if (c.afterGreeting === true && greeting !== undefined) await until(() => down.offset >= greeting.len || socket.destroyed, 10000, 'the greeting');
    socket.write(`${c.seed} ${c.down} ${c.up}${c.slowServer === true ? ' slow' : ''}\n`);
    await writeAll(socket, patternOf(c.seed + 1, c.up));
    socket.end();
  })().catch(() => {});
  return { down, socket, done };
}

/**
 * `clients` loops of mode-tcp exchanges (a new connection each, small to medium streams both
 * ways, each a different pattern) until stop() (bounded in count), every byte checked.
 */
export function tcpBackground(port: number, clients: number, seedBase: number, maxPerClient = 200): Background {
  let stopping = false;
  let requests = 0;
  const bad: string[] = [];
  const runs = Array.from({ length: clients }, async (_, c) => {
    for (let k = 0; k < maxPerClient && !stopping; k++) {
      const seed = seedBase + ((c * 37 + k) % 200) * 2;
      const down = [1, 5000, 65_536, 150_000][(c + k) % 4]!;
      const up = [700, 65_536, 1, 30_000][(c + k) % 4]!;
      try {
        const x = await streamClient(port, { seed, down, up });
        await x.done;
        x.socket.destroy();
        requests++;
        if (x.down.mismatchAt >= 0 || x.down.offset !== down) bad.push(`bg ${c}/${k}: ${x.down.offset}/${down} bytes, bad at ${x.down.mismatchAt}`);
      } catch (err) {
        bad.push(`bg ${c}/${k}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  });
  return {
    async stop() {
      stopping = true;
      await within(Promise.all(runs), 20000, 'the background clients');
      return { requests, bad };
    },
  };
}
