// A TCP connection driven straight from libuv's stream handle, below node:net's stream layer.
//
// Why: node:net wraps every connection in a Duplex stream (two state objects, a buffer list, a
// per-socket Node timer, nextTick-deferred events). On this proxy's hot path that costs more than
// the proxying itself: a bare net pipe relay spends ~70 µs of user CPU per close-mode request, the
// same relay on raw handles ~16 µs (docs/performance.md). RawSocket keeps the node:net surface the
// engines use (ProxySocket: write/end/destroy/pause/resume/setTimeout and the same events, in the
// same order) and drops the rest: reads are delivered as they come ('data' per read), writes go
// to the handle at once (libuv tries them synchronously and queues the rest in order), inactivity
// timeouts sit on a shared coarse timer wheel.
//
// The handles come from process.binding('tcp_wrap') — Node's own TCP wrap, the object net.Socket
// holds in `_handle`. It is not a public API; the fallback (TSPROXY_NET_SOCKETS=1, or a hostname
// to connect to) is plain node:net, and test/unit/raw-socket.test.ts pins the behaviour we rely on.
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { getSystemErrorName } from 'node:util';
import { CoarseTimeouts, type Expiring } from '../runtime/timeouts.js';
import type { ProxySocket } from './socket.js';

// ---- Node's stream handle bindings --------------------------------------------------------------

interface StreamReq {
  oncomplete: (this: StreamReq, status: number) => void;
  owner: RawSocket | undefined;
  buffer: Uint8Array | undefined;
  /** The recycled slab `buffer` lives in, if any (returned to the pool on completion). */
  slab: Buffer | undefined;
  bytes: number;
  callback: ((err?: Error | null) => void) | undefined;
  handle: unknown;
}
interface ConnectReq {
  oncomplete: (status: number, handle: TcpHandle) => void;
}
interface PeerName {
  address?: string;
  family?: string;
  port?: number;
}
export interface TcpHandle {
  onread: (this: TcpHandle, ab: ArrayBuffer | undefined) => void;
  onconnection?: (err: number, client: TcpHandle | undefined) => void;
  readonly fd: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly writeQueueSize: number;
  readStart(): number;
  readStop(): number;
  useUserBuffer(buf: Uint8Array): void;
  writeBuffer(req: StreamReq, buf: Uint8Array): number;
  shutdown(req: StreamReq): number;
  close(cb?: () => void): void;
  reset(cb?: () => void): number;
  bind(host: string, port: number): number;
  bind6(host: string, port: number, flags: number): number;
  connect(req: ConnectReq, host: string, port: number): number;
  connect6(req: ConnectReq, host: string, port: number): number;
  getpeername(out: PeerName): number;
  getsockname(out: PeerName): number;
  setNoDelay(on: boolean): number;
  setKeepAlive(on: boolean, delaySecs: number): number;
  ref(): void;
  unref(): void;
  [OWNER]?: RawSocket;
}

type Binding = (name: string) => Record<string, unknown>;
interface TcpWrapBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectReq;
  constants: { SOCKET: number; SERVER: number };
}
interface StreamWrapBinding {
  WriteWrap: new () => StreamReq;
  ShutdownWrap: new () => StreamReq;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

/** Node's bindings, or undefined where this Node has none (then node:net is used everywhere). */
function loadBindings(): { tcp: TcpWrapBinding; stream: StreamWrapBinding } | undefined {
  try {
    const binding = (process as unknown as { binding?: Binding }).binding;
    if (typeof binding !== 'function') return undefined;
    const tcp = binding('tcp_wrap') as unknown as TcpWrapBinding;
    const stream = binding('stream_wrap') as unknown as StreamWrapBinding;
    if (typeof tcp.TCP !== 'function' || typeof stream.WriteWrap !== 'function' || !(stream.streamBaseState instanceof Int32Array)) return undefined;
    if (typeof (tcp.TCP.prototype as { useUserBuffer?: unknown }).useUserBuffer !== 'function') return undefined;
    return { tcp, stream };
  } catch {
    return undefined;
  }
}
const bindings = loadBindings();
const tcpWrap = (bindings?.tcp ?? { TCP: class {}, TCPConnectWrap: class {}, constants: { SOCKET: 0, SERVER: 1 } }) as TcpWrapBinding;
const streamWrap = (bindings?.stream ?? { WriteWrap: class {}, ShutdownWrap: class {}, streamBaseState: new Int32Array(8), kReadBytesOrError: 0, kArrayBufferOffset: 1, kLastWriteWasAsync: 2 }) as StreamWrapBinding;
const { TCP, TCPConnectWrap } = tcpWrap;
const { WriteWrap, ShutdownWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync } = streamWrap;
const UV_EOF = -4095;
const OWNER = Symbol('tsproxy.rawSocket');

/** Bytes queued in libuv above which write() answers false (node:net's default highWaterMark). */
const HIGH_WATER = 16 * 1024;

/**
 * The read buffer every RawSocket that shareReads() reads into (libuv's "user buffer"): a read
 * costs no allocation. A chunk delivered from it is valid only until the 'data' handler
 * returns — the consumer keeps what it needs with own(); RawSocket#write copies it into a
 * recycled slab (the kernel may take it only in part now and the rest later).
 */
const SHARED = Buffer.allocUnsafeSlow(64 * 1024);
const SHARED_AB = SHARED.buffer;
/**
 * Recycled slabs for writes of shared chunks and corked writes (at most SLABS_KEPT kept): twice
 * the read size, so that a response head and a full read of body fit in one.
 */
const slabs: Buffer[] = [];
const SLABS_KEPT = 32;
const SLAB_BYTES = 2 * SHARED.length;
const takeSlab = (): Buffer => slabs.pop() ?? Buffer.allocUnsafeSlow(SLAB_BYTES);

/** `b` itself, or a copy of it if it is a chunk of the shared read buffer (see SHARED). */
export function own<B extends Uint8Array | undefined>(b: B): B {
  return b !== undefined && b.buffer === SHARED_AB ? (Buffer.from(b) as unknown as B) : b;
}

/** The shared wheel for every RawSocket's inactivity timeout. */
const idleTimeouts = new CoarseTimeouts();

/** An errno-style error as node:net builds them (`code`, `errno`, `syscall`). */
export function uvError(err: number, syscall: string, address?: string, port?: number): NodeJS.ErrnoException {
  let code: string;
  try {
    code = getSystemErrorName(err);
  } catch {
    code = `E${-err}`;
  }
  const where = address !== undefined ? ` ${address}${port !== undefined ? `:${port}` : ''}` : '';
  const e = new Error(`${syscall} ${code}${where}`) as NodeJS.ErrnoException & { address?: string; port?: number };
  e.code = code;
  e.errno = err;
  e.syscall = syscall;
  if (address !== undefined) e.address = address;
  if (port !== undefined) e.port = port;
  return e;
}

// ---- handle callbacks (module-level: no closure per socket) -----------------------------------

function onRead(this: TcpHandle, ab: ArrayBuffer | undefined): void {
  const s = this[OWNER];
  if (s === undefined) return;
  const n = streamBaseState[kReadBytesOrError]!;
  if (n > 0) s.onData(ab === undefined ? SHARED.subarray(0, n) : Buffer.from(ab, streamBaseState[kArrayBufferOffset]!, n));
  else if (n === UV_EOF) s.onEof();
  else if (n < 0) s.destroy(uvError(n, 'read'));
}

function onWriteComplete(this: StreamReq, status: number): void {
  const s = this.owner;
  this.owner = undefined;
  const slab = this.slab;
  if (slab !== undefined) {
    this.slab = undefined;
    if (slabs.length < SLABS_KEPT) slabs.push(slab);
  }
  this.buffer = undefined;
  if (s !== undefined) s.writeDone(this, status);
}

function onShutdownComplete(this: StreamReq, status: number): void {
  const s = this.owner;
  this.owner = undefined;
  if (s !== undefined) s.shutdownDone(status);
}

function noop(): void {}

// ---- the socket ---------------------------------------------------------------------------------

/**
 * An engine's handlers for a socket's events, called after the event's listeners (so after any
 * registered earlier, as if registered last): one object shared by every socket of an engine,
 * where listeners would cost an EventEmitter entry and a closure per socket and event.
 */
export interface SocketSink {
  data(s: RawSocket, buf: Buffer): void;
  end(s: RawSocket): void;
  error(s: RawSocket, err: Error): void;
  close(s: RawSocket, hadError: boolean): void;
  drain(s: RawSocket): void;
  timeout(s: RawSocket): void;
}

export class RawSocket extends EventEmitter implements ProxySocket, Expiring {
  // coarse-timeout entry (Expiring)
  deadlineMs = 0;
  timeoutSlot = -1;
  timeoutIndex = -1;
  /** The inactivity timeout in ms (0 = none), as net.Socket#timeout. */
  timeout: number | undefined = undefined;

  destroyed = false;
  pending: boolean;
  /** An engine's own reference (its session and connection), for its shared sink. */
  sessionRef: unknown = undefined;
  /** The engine's handlers (see SocketSink); set with attachSink(). */
  sink: SocketSink | undefined = undefined;
  /** Told of the connect's outcome instead of (before) 'connect'/'error' listeners: the connector. */
  connectWatcher: { connected(): void; errored(err: NodeJS.ErrnoException): void } | undefined = undefined;
  /** end() was called. */
  writableEnded = false;
  /** The shutdown went through (after every queued write). */
  writableFinished = false;
  readableEnded = false;

  private handle: TcpHandle | undefined;
  private reading = false;
  /** The owner wants data (not paused). */
  private flowing: boolean;
  /** Writes held back while connecting or corked. */
  private held: Uint8Array[] | undefined = undefined;
  private heldCallbacks: (((err?: Error | null) => void) | undefined)[] | undefined = undefined;
  private heldBytes = 0;
  /** Or, while corked, in one recycled slab (holdInSlab()). */
  private heldSlab: Buffer | undefined = undefined;
  private corked = 0;
  /** Inside connected(): writes queue behind those held while connecting. */
  private holdingAfterConnect = false;
  /** Bytes in writes libuv has queued (not yet on the wire). */
  private queuedBytes = 0;
  private needDrain = false;
  private destroyAfterFinish = false;
  /** shutdown() went to libuv (once: end() inside 'connect' must not issue a second). */
  private shutdownIssued = false;
  /** Data read while nobody listened for 'data' (between connect and the engine attaching). */
  private unread: Buffer[] | undefined = undefined;
  private eofPending = false;
  private spare: StreamReq | undefined = undefined;
  private noDelay = false;
  private sharedReads = false;
  private peer: PeerName | undefined = undefined;
  private local: PeerName | undefined = undefined;
  private finalBytesRead = 0;
  private finalBytesWritten = 0;
  private connectTarget: { host: string; port: number } | undefined = undefined;

  private constructor(handle: TcpHandle, pending: boolean, flowing: boolean) {
    super();
    this.handle = handle;
    this.pending = pending;
    this.flowing = flowing;
    handle[OWNER] = this;
    handle.onread = onRead;
  }

  /**
   * Wraps a handle a listening socket accepted. It is not read until resume() (pauseOnConnect):
   * the runtime decides first whether to admit it. `noDelay`: inherited from the listening socket.
   */
  static accepted(handle: TcpHandle, noDelay: boolean, local: PeerName | undefined): RawSocket {
    const s = new RawSocket(handle, false, false);
    s.noDelay = noDelay;
    // the listening socket's own address when it is not a wildcard: no getsockname() per client
    s.local = local;
    return s;
  }

  /**
   * Starts a connection to an IP literal, optionally from a source address; 'connect' or 'error'
   * (then 'close') follow, never synchronously. Reading starts on connect, as with net.connect().
   */
  static connect(opts: { host: string; port: number; localAddress?: string; localPort?: number; noDelay?: boolean }): RawSocket {
    const handle = new TCP(tcpWrap.constants.SOCKET);
    const s = new RawSocket(handle, true, true);
    s.connectTarget = { host: opts.host, port: opts.port };
    const v6 = isIP(opts.host) === 6;
    if (opts.noDelay === true) {
      // libuv keeps the flag and applies it when the socket is created
      handle.setNoDelay(true);
      s.noDelay = true;
    }
    let err = 0;
    if (opts.localAddress !== undefined) {
      const lport = opts.localPort ?? 0;
      err = v6 ? handle.bind6(opts.localAddress, lport, 0) : handle.bind(opts.localAddress, lport);
      if (err !== 0) {
        process.nextTick(failConnect, s, uvError(err, 'bind', opts.localAddress, lport));
        return s;
      }
    }
    const req = new TCPConnectWrap();
    req.oncomplete = onConnectComplete;
    err = v6 ? handle.connect6(req, opts.host, opts.port) : handle.connect(req, opts.host, opts.port);
    if (err !== 0) process.nextTick(failConnect, s, uvError(err, 'connect', opts.host, opts.port));
    // reading is armed now, with the connect: libuv then registers the descriptor for both at
    // once (one epoll_ctl fewer than arming it on 'connect'); nothing can be read before then
    else if (handle.readStart() === 0) s.reading = true;
    return s;
  }

  /**
   * Reads into the shared buffer from now on (no allocation per read). Only for a consumer that
   * copies (own()) whatever it keeps past its 'data' handler and writes only to RawSockets.
   */
  shareReads(): void {
    if (this.sharedReads || this.handle === undefined || !sharedReadsEnabled) return;
    this.sharedReads = true;
    this.handle.useUserBuffer(SHARED);
  }

  /** Called by the connect request. */
  connected(status: number): void {
    if (this.destroyed) return;
    if (status < 0) {
      const t = this.connectTarget;
      this.destroy(uvError(status, 'connect', t?.host, t?.port));
      return;
    }
    this.pending = false;
    if (this.flowing) this.startReading();
    else this.stopReading();
    // 'connect' first (as node:net), but what its handlers write still queues behind the
    // writes held while connecting; then they all leave, and 'drain' (if owed) follows
    // (only needed when something is held: otherwise writes from 'connect' go straight out)
    this.holdingAfterConnect = this.held !== undefined;
    const w = this.connectWatcher;
    if (w !== undefined) {
      this.connectWatcher = undefined;
      w.connected();
    }
    if (!this.destroyed) this.emit('connect');
    this.holdingAfterConnect = false;
    this.flushHeld();
    if (this.writableEnded && !this.destroyed) this.shutdownNow();
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** A chunk from the handle. */
  onData(buf: Buffer): void {
    if (this.timeout) this.touch();
    if (this.sink === undefined && this.listenerCount('data') === 0) {
      // nobody listens yet (a fresh server connection before its engine attached): keep it
      (this.unread ??= []).push(own(buf));
      this.stopReading();
      this.awaitDataListener();
      return;
    }
    this.emit('data', buf);
    this.sink?.data(this, buf);
  }

  /**
   * Hands the socket's events to an engine's shared handlers, `ref` being what they need to
   * find their session; bytes kept while nobody listened are delivered next tick.
   */
  attachSink(sink: SocketSink, ref: unknown): void {
    this.sink = sink;
    this.sessionRef = ref;
    if (this.unread !== undefined) process.nextTick(() => this.replayUnread());
  }

  /** Replays what was kept once a 'data' listener comes (the closure only exists then). */
  private awaitDataListener(): void {
    const onNewListener = (event: string | symbol): void => {
      if (event !== 'data') {
        this.once('newListener', onNewListener);
        return;
      }
      process.nextTick(() => this.replayUnread());
    };
    this.once('newListener', onNewListener);
  }

  private replayUnread(): void {
    const bufs = this.unread;
    this.unread = undefined;
    if (bufs !== undefined) {
      for (const b of bufs) {
        if (this.destroyed) break;
        this.emit('data', b);
        this.sink?.data(this, b);
      }
    }
    if (this.destroyed) return;
    if (this.eofPending) {
      this.eofPending = false;
      this.ended();
    } else if (this.flowing) this.startReading();
  }

  /** The peer shut its side down (after what was kept for a late 'data' listener). */
  onEof(): void {
    this.stopReading();
    if (this.unread !== undefined) this.eofPending = true;
    else this.ended();
  }

  private ended(): void {
    if (this.readableEnded) return;
    this.readableEnded = true;
    this.emit('end');
    this.sink?.end(this);
    if (this.writableFinished && !this.destroyed) this.destroy();
  }

  private startReading(): void {
    if (this.reading || this.handle === undefined || this.pending || this.readableEnded) return;
    this.reading = true;
    const err = this.handle.readStart();
    if (err !== 0) this.destroy(uvError(err, 'read'));
  }

  private stopReading(): void {
    if (!this.reading || this.handle === undefined) return;
    this.reading = false;
    this.handle.readStop();
  }

  pause(): this {
    this.flowing = false;
    this.stopReading();
    return this;
  }

  resume(): this {
    this.flowing = true;
    if (this.unread !== undefined) return this;
    this.startReading();
    return this;
  }

  isPaused(): boolean {
    return !this.flowing;
  }

  // ---- writing ----------------------------------------------------------------------------------

  write(data: Uint8Array | string, cb?: (err?: Error | null) => void): boolean {
    if (this.destroyed || this.writableEnded) {
      if (cb !== undefined) process.nextTick(cb, new Error(this.destroyed ? 'write after destroy' : 'write after end'));
      return false;
    }
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.pending || this.corked > 0 || this.holdingAfterConnect) {
      if (this.pending || this.holdingAfterConnect || !this.holdInSlab(buf)) (this.held ??= []).push(own(buf));
      (this.heldCallbacks ??= []).push(cb);
      this.heldBytes += buf.length;
      if (this.heldBytes + this.queuedBytes >= HIGH_WATER) {
        this.needDrain = true;
        return false;
      }
      return true;
    }
    return this.dispatch(buf, cb);
  }

  /**
   * While corked, writes gather in one recycled slab (no allocation, one copy) as long as they
   * fit in it and nothing was held before in the list; false when this one does not fit.
   */
  private holdInSlab(buf: Uint8Array): boolean {
    if (this.held !== undefined) return false;
    let slab = this.heldSlab;
    if (slab === undefined) {
      if (buf.length > SLAB_BYTES) return false;
      slab = this.heldSlab = takeSlab();
    }
    if (this.heldBytes + buf.length > slab.length) {
      // does not fit: what the slab holds moves to the list
      this.held = [Buffer.from(slab.subarray(0, this.heldBytes))];
      this.heldSlab = undefined;
      if (slabs.length < SLABS_KEPT) slabs.push(slab);
      return false;
    }
    slab.set(buf, this.heldBytes);
    return true;
  }

  private dispatch(buf: Uint8Array, cb: ((err?: Error | null) => void) | undefined, ownSlab?: Buffer): boolean {
    const h = this.handle!;
    if (this.timeout) this.touch();
    if (buf.length === 0) {
      if (ownSlab !== undefined && slabs.length < SLABS_KEPT) slabs.push(ownSlab);
      if (cb !== undefined) process.nextTick(cb);
      return this.queuedBytes < HIGH_WATER;
    }
    let slab = ownSlab;
    if (slab === undefined && buf.buffer === SHARED_AB) {
      // a chunk of the shared read buffer: libuv may keep the unwritten part for later
      slab = takeSlab();
      slab.set(buf);
      buf = slab.subarray(0, buf.length);
    }
    let req = this.spare;
    if (req === undefined) {
      req = new WriteWrap();
      req.oncomplete = onWriteComplete;
      req.handle = h;
    }
    const err = h.writeBuffer(req, buf);
    if (err !== 0) {
      if (slab !== undefined && slabs.length < SLABS_KEPT) slabs.push(slab);
      this.spare = req;
      this.destroy(uvError(err, 'write'));
      if (cb !== undefined) process.nextTick(cb, uvError(err, 'write'));
      return false;
    }
    if (streamBaseState[kLastWriteWasAsync] === 0) {
      // all of it went out now: the request object was not used and serves the next write
      this.spare = req;
      if (slab !== undefined && slabs.length < SLABS_KEPT) slabs.push(slab);
      if (cb !== undefined) process.nextTick(cb);
      if (this.queuedBytes < HIGH_WATER) return true;
      this.needDrain = true;
      return false;
    }
    this.spare = undefined;
    req.owner = this;
    req.buffer = buf; // libuv writes from this memory: keep it alive
    req.slab = slab;
    req.bytes = buf.length;
    req.callback = cb;
    this.queuedBytes += buf.length;
    if (this.queuedBytes >= HIGH_WATER) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /** Called by a write request libuv had queued. */
  writeDone(req: StreamReq, status: number): void {
    this.queuedBytes -= req.bytes;
    const cb = req.callback;
    req.callback = undefined;
    if (status < 0 && !this.destroyed) {
      const e = uvError(status, 'write');
      this.destroy(e);
      cb?.(e);
      return;
    }
    cb?.();
    if (this.destroyed) return;
    if (this.timeout) this.touch();
    if (this.queuedBytes === 0 && this.needDrain && this.heldBytes === 0) {
      this.needDrain = false;
      this.emit('drain');
      this.sink?.drain(this);
    }
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked === 0) return;
    if (--this.corked === 0 && !this.pending) this.flushHeld();
  }

  /** Writes what connecting or corking held back, as one buffer (one syscall). */
  private flushHeld(): void {
    const held = this.held;
    const slab = this.heldSlab;
    if ((held === undefined && slab === undefined) || this.destroyed) return;
    const cbs = this.heldCallbacks!;
    const n = this.heldBytes;
    this.held = undefined;
    this.heldSlab = undefined;
    this.heldCallbacks = undefined;
    this.heldBytes = 0;
    const buf = held === undefined ? slab!.subarray(0, n) : held.length === 1 ? held[0]! : Buffer.concat(held);
    const anyCb = cbs.some((c) => c !== undefined);
    this.dispatch(
      buf,
      anyCb
        ? (err) => {
            for (const c of cbs) c?.(err);
          }
        : undefined,
      held === undefined ? slab : undefined,
    );
    if (!this.destroyed && this.needDrain && this.queuedBytes === 0) {
      this.needDrain = false;
      this.emit('drain');
      this.sink?.drain(this);
    }
  }

  end(data?: Uint8Array | string): this {
    if (this.destroyed || this.writableEnded) return this;
    if (data !== undefined) this.write(data);
    this.writableEnded = true;
    // while connecting (or inside 'connect'), connected() shuts down after the held writes
    if (!this.pending && !this.holdingAfterConnect) {
      if (this.corked > 0) {
        this.corked = 0;
        this.flushHeld();
      }
      this.shutdownNow();
    }
    return this;
  }

  /** libuv runs the shutdown after the writes it has queued. */
  private shutdownNow(): void {
    if (this.destroyed || this.shutdownIssued) return;
    this.shutdownIssued = true;
    const req = new ShutdownWrap();
    req.oncomplete = onShutdownComplete;
    req.handle = this.handle;
    req.owner = this;
    const err = this.handle!.shutdown(req);
    if (err !== 0) {
      req.owner = undefined;
      // ENOTCONN: the peer already reset; nothing more can be written anyway
      this.destroy(err === -107 ? undefined : uvError(err, 'shutdown'));
    }
  }

  /** Called by the shutdown request. */
  shutdownDone(status: number): void {
    if (this.destroyed) return;
    this.writableFinished = true;
    if (status < 0 && status !== -107) {
      this.destroy(uvError(status, 'shutdown'));
      return;
    }
    this.emit('finish');
    if (this.readableEnded || this.destroyAfterFinish) this.destroy();
  }

  destroySoon(): void {
    if (this.writableFinished) this.destroy();
    else if (!this.pending && this.queuedBytes === 0 && this.heldBytes === 0 && this.corked === 0) {
      // everything written is in the kernel already: close() sends it, then the FIN (no
      // shutdown() and its completion callback first)
      this.writableEnded = true;
      this.writableFinished = true;
      this.emit('finish');
      this.destroy();
    } else {
      this.destroyAfterFinish = true;
      this.end();
    }
  }

  get writableLength(): number {
    return this.queuedBytes + this.heldBytes;
  }

  // ---- closing ----------------------------------------------------------------------------------

  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.closeHandle(err, false);
    return this;
  }

  /** Closes with a TCP reset (SO_LINGER 0), as net.Socket#resetAndDestroy. */
  resetAndDestroy(): this {
    if (this.destroyed) return this;
    this.closeHandle(undefined, !this.pending);
    return this;
  }

  private closeHandle(err: Error | undefined, reset: boolean): void {
    this.destroyed = true;
    this.pending = false;
    this.reading = false;
    if (this.timeoutSlot >= 0 || this.deadlineMs !== 0) idleTimeouts.disarm(this);
    const h = this.handle;
    this.handle = undefined;
    this.unread = undefined;
    this.held = undefined;
    // writes still held (connecting, corked) will never go: their callbacks learn it, as node:net's
    const cbs = this.heldCallbacks;
    this.heldCallbacks = undefined;
    this.heldBytes = 0;
    if (cbs !== undefined) {
      const gone = err ?? new Error('socket destroyed before the write');
      for (const cb of cbs) if (cb !== undefined) process.nextTick(cb, gone);
    }
    if (this.heldSlab !== undefined && slabs.length < SLABS_KEPT) slabs.push(this.heldSlab);
    this.heldSlab = undefined;
    if (h === undefined) return;
    this.finalBytesRead = h.bytesRead;
    this.finalBytesWritten = h.bytesWritten;
    h.onread = noop as TcpHandle['onread'];
    h[OWNER] = undefined;
    // libuv closes the descriptor now; its close callback would cost a call from C++ into JS
    // per connection, so 'close' follows on the tick queue instead (after 'error', as node:net)
    if (!reset || h.reset() !== 0) h.close();
    if (err !== undefined) process.nextTick(emitError, this, err);
    process.nextTick(emitClose, this, err !== undefined);
  }

  // ---- timeouts, options, names -----------------------------------------------------------------

  /** Emits 'timeout' after `ms` without reads or writes (0 turns it off), as net.Socket. */
  setTimeout(ms: number, cb?: () => void): this {
    if (cb !== undefined) this.once('timeout', cb);
    this.timeout = ms;
    if (this.destroyed) return this;
    if (ms > 0) idleTimeouts.arm(this, ms);
    else if (this.deadlineMs !== 0 || this.timeoutSlot >= 0) idleTimeouts.disarm(this);
    return this;
  }

  /** Activity: the inactivity timeout starts over (re-armed after it fired, as node:net). */
  private touch(): void {
    if (this.destroyed) return;
    if (this.deadlineMs !== 0) idleTimeouts.refresh(this, this.timeout!);
    else idleTimeouts.arm(this, this.timeout!);
  }

  /** Expiring: the timeout passed without activity. */
  expired(): void {
    if (this.destroyed) return;
    this.emit('timeout');
    this.sink?.timeout(this);
  }

  setNoDelay(on = true): this {
    if (on !== this.noDelay && this.handle !== undefined) {
      this.noDelay = on;
      this.handle.setNoDelay(on);
    }
    return this;
  }

  setKeepAlive(on = false, initialDelayMs = 0): this {
    this.handle?.setKeepAlive(on, Math.floor(initialDelayMs / 1000));
    return this;
  }

  ref(): this {
    this.handle?.ref();
    return this;
  }

  unref(): this {
    this.handle?.unref();
    return this;
  }

  private peerName(): PeerName {
    if (this.peer === undefined && this.handle !== undefined && !this.pending) {
      const out: PeerName = {};
      if (this.handle.getpeername(out) === 0) this.peer = out;
    }
    return this.peer ?? {};
  }

  private sockName(): PeerName {
    if (this.local === undefined && this.handle !== undefined) {
      const out: PeerName = {};
      if (this.handle.getsockname(out) === 0 && out.port !== 0) this.local = out;
      else return out;
    }
    return this.local ?? {};
  }

  get remoteAddress(): string | undefined {
    return this.peerName().address;
  }
  get remotePort(): number | undefined {
    return this.peerName().port;
  }
  get remoteFamily(): string | undefined {
    return this.peerName().family;
  }
  get localAddress(): string | undefined {
    return this.sockName().address;
  }
  get localPort(): number | undefined {
    return this.sockName().port;
  }

  address(): PeerName {
    return this.sockName();
  }

  get bytesRead(): number {
    return this.handle !== undefined ? this.handle.bytesRead : this.finalBytesRead;
  }

  get bytesWritten(): number {
    return this.handle !== undefined ? this.handle.bytesWritten + this.heldBytes : this.finalBytesWritten;
  }

  /** The libuv handle (its `fd` is read by -d debug output), as net.Socket#_handle. */
  get _handle(): TcpHandle | null {
    return this.handle ?? null;
  }
}

function onConnectComplete(this: ConnectReq, status: number, handle: TcpHandle): void {
  const s = handle[OWNER];
  if (s !== undefined) s.connected(status);
}

function failConnect(s: RawSocket, err: Error): void {
  s.destroy(err);
}

function emitClose(s: RawSocket, hadError: boolean): void {
  s.emit('close', hadError);
  s.sink?.close(s, hadError);
}

function emitError(s: RawSocket, err: Error): void {
  const w = s.connectWatcher;
  if (w !== undefined) {
    s.connectWatcher = undefined;
    w.errored(err);
  }
  // node:net would throw without a listener; a proxy never lets a peer's error take it down
  if (s.listenerCount('error') > 0) s.emit('error', err);
  s.sink?.error(s, err);
}

/**
 * Takes over a listening net.Server's accepts: each accepted connection becomes a RawSocket
 * (paused) handed to `onSocket`. Returns false when the server has no TCP handle (then node:net
 * keeps accepting as usual).
 */
export function acceptRaw(
  server: { _handle?: unknown },
  noDelay: boolean,
  onSocket: (s: RawSocket) => void,
  onError: (err: Error) => void,
): boolean {
  const h = server._handle as TcpHandle | null | undefined;
  if (h === null || h === undefined || !(h instanceof TCP)) return false;
  // an accepted connection's local address is the listener's, unless that is a wildcard
  const name: PeerName = {};
  const local = h.getsockname(name) === 0 && name.address !== '0.0.0.0' && name.address !== '::' ? name : undefined;
  h.onconnection = (err: number, client: TcpHandle | undefined): void => {
    if (err !== 0 || client === undefined) {
      onError(uvError(err, 'accept'));
      return;
    }
    onSocket(RawSocket.accepted(client, noDelay, local));
  };
  return true;
}

/**
 * True unless TSPROXY_NET_SOCKETS=1 asks for plain node:net sockets everywhere, or this Node has
 * no usable TCP binding (then node:net is used without being asked).
 */
export const rawSocketsEnabled = bindings !== undefined && process.env.TSPROXY_NET_SOCKETS !== '1';
/** Shared reads (see SHARED) unless TSPROXY_SHARED_READS=0. */
const sharedReadsEnabled = process.env.TSPROXY_SHARED_READS !== '0';
