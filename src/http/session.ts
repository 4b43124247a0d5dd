// The HTTP client connection (mode http): reads request heads, runs the analysers on every
// request (DESIGN.md decision 3), balances and connects through the runtime, forwards heads and
// bodies with backpressure, parses response heads, answers with the legacy error pages, logs
// one line per request, and keeps the connection alive or switches to a tunnel after a 101.
// One request at a time per client connection: pipelined requests wait, in order.
import type { ProxySocket as Socket } from '../io/socket.js';
import { RawSocket, own, type SocketSink } from '../io/raw-socket.js';
import { CoarseTimeouts, type Expiring } from '../runtime/timeouts.js';

/**
 * Client bytes for a server socket: a RawSocket copies a shared-read chunk itself when it has
 * to keep it; any other socket (a test hook's node:net socket) gets a copy.
 */
function writable(socket: Socket, b: Buffer): Buffer {
  return socket instanceof RawSocket ? b : own(b);
}

/** For a ProxyRuntime without the runtime's coarse timeouts (unit tests). */
const fallbackTimeouts = new CoarseTimeouts();
import type { ErrorCode } from '../config/model.js';
import { LOG_ALERT } from '../log/types.js';
import type { ConnectRequest, ConnectResult, ProxyRuntime, ServerRuntime, SessionHandler, SoftStopWatcher } from '../runtime/types.js';
import { analyseRequest, analyseResponse } from './analyse.js';
import { AppSessionTable } from './appsession.js';
import { ChunkedDecoder } from './chunked.js';
import { compileProxy, plainAddress, type CompiledProxy } from './compiled.js';
import { HttpDebugTrace } from './debug.js';
import { MONITOR_URI_REPLY } from './errors.js';
import { scanHead, serializeHead } from './head.js';
import { Transaction, trafficRecord, type ServerConn } from './transaction.js';
import type { HttpInterceptor } from './intercept.js';
import {
  isHeader,
  parseRequestHead,
  parseResponseHead,
  responseFraming,
  wantsKeepAlive,
  type ResponseHead,
} from './parser.js';

/** Client bytes buffered ahead of the current request (pipelining, early body) before pausing. */
const MAX_CLIENT_AHEAD_BYTES = 65536;
/** How long a closing client may take to read an error page before it is cut. */
const LINGER_MS = 5000;
/** Response body bytes that arrived with the head and are copied into the head's buffer. */
const ONE_WRITE_BODY_BYTES = 16384;
/** A kept server connection idle longer than this is not reused for a request with a body. */
const REUSE_WITH_BODY_MS = 2000;
/**
 * Kept server connections per client connection (one per server at most, the oldest dropped
 * first): with roundrobin over a few servers each pick finds its connection warm instead of
 * paying a connect and a close per request (issue 8).
 */
const MAX_IDLE_SERVER_CONNS = 4;
/** How long an idle keep-alive connection may still bring one last request after a soft stop. */
const SOFT_STOP_IDLE_MS = 1000;

export interface HttpSessionOptions {
  /** Stats page and other local answers (spec §11.4). */
  readonly intercept?: HttpInterceptor;
}

/** Builds the mode-http session handler; `acceptHttpSession` is the one without hooks. */
export function createHttpSessionHandler(options: HttpSessionOptions = {}): SessionHandler {
  return (proxy, socket, acceptTimeMs) => {
    new HttpSession(proxy, socket, acceptTimeMs, options.intercept).start();
  };
}

export const acceptHttpSession: SessionHandler = createHttpSessionHandler();

/** An interim head without Content-Length / Transfer-Encoding lines. */
function interimLines(lines: string[]): string[] {
  return lines.filter((l, i) => i === 0 || (!isHeader(l, 'content-length') && !isHeader(l, 'transfer-encoding')));
}

/**
 * The session-state letter of the termination flags (spec §12.5.1): R reading the request,
 * C connecting, H waiting for the response head once the request is sent, D data (a request
 * body still flowing counts as data, as legacy's client side was in its data state).
 */
function sessionState(tx: Transaction): string {
  if (tx.phase === 'head') return 'R';
  if (tx.phase === 'connecting') return 'C';
  if (tx.res === undefined && tx.reqDone && tx.phase !== 'tunnel') return 'H';
  return 'D';
}

/** A pending server connection: who waits for it, emptied once answered. */
interface ConnectWait {
  session: HttpSession | undefined;
  tx: Transaction | undefined;
  called: boolean;
}

/**
 * The callback given to ProxyRuntime.connect(). The runtime may keep it for a while after it ran
 * (with the server connection, or in a timeout bucket until contimeout): built outside the
 * class, it holds only `attempt`, which is emptied when it runs — so it never keeps a finished
 * session, its sockets or its exchange alive (issue 8: memory).
 */
function connectCallback(attempt: ConnectWait): (result: ConnectResult) => void {
  return (result) => {
    const session = attempt.session;
    const tx = attempt.tx;
    attempt.session = undefined;
    attempt.tx = undefined;
    attempt.called = true;
    if (session !== undefined) session.onConnectResult(tx, result);
    else if (result.ok) {
      result.socket.destroy();
      result.release();
    }
  };
}

/** Per-proxy appsession tables (spec §7.7), keyed by the running proxy. */
const appsessions = new WeakMap<ProxyRuntime, AppSessionTable>();

/** A session method handling one socket event (its argument, then the connection or undefined). */
type SessionHandlerFn = (this: HttpSession, a: never, ctx: never) => void;

/** What a RawSocket carries for the session's shared sink: its session and connection (undefined: the client). */
interface SessionRef {
  readonly session: HttpSession;
  readonly ctx: ServerConn | undefined;
}

/** Marks a session registered through ProxyRuntime.watchSoftStop (no closure of its own). */
const unwatchSoftStop = (): void => {};

class HttpSession implements Expiring, SoftStopWatcher {
  private readonly px: CompiledProxy;
  private readonly clientAddress: string;
  /** Built on the first request that needs it, reused by the connection's next ones. */
  private forwardedForLine: string | undefined;
  private readonly clientPort: number;
  private readonly frontendPort: number;
  private readonly clitimeoutMs: number;
  private readonly srvtimeoutMs: number;
  private inBuf: Buffer | undefined;
  private tx: Transaction | undefined;
  /** Kept server connections, oldest first, at most one per server. */
  private idles: ServerConn[] = [];
  private requestCount = 0;
  private clientEnded = false;
  private closing = false;
  private closed = false;
  private serverBackpressure = false;
  private serverBackpressureSuspended = false;
  // the head timer is an entry of the proxy's coarse timeouts (Expiring): no Node timer per
  // connection, and re-arming it per request is an assignment
  deadlineMs = 0;
  timeoutSlot = -1;
  timeoutIndex = -1;
  private readonly headTimeouts: CoarseTimeouts;
  private headArmed = false;
  /** Closing: the coarse-timeout entry now bounds the lingering close (LINGER_MS), not the head. */
  private lingering = false;
  /** Log records waiting for the client socket's close (counters already decremented then). */
  private pendingLogs: Transaction[] = [];
  private unregisterSoftStop: (() => void) | undefined;
  private crashed = false;
  private softStopTimer: NodeJS.Timeout | undefined;
  /** `-d` only (spec §12.7): header and close lines; undefined otherwise. */
  private readonly dbg: HttpDebugTrace | undefined;

  constructor(
    private readonly proxy: ProxyRuntime,
    private readonly client: Socket,
    private readonly acceptTimeMs: number,
    private readonly intercept: HttpInterceptor | undefined,
  ) {
    this.px = compileProxy(proxy.config);
    this.clientAddress = plainAddress(client.remoteAddress ?? '');
    this.clientPort = client.remotePort ?? 0;
    this.frontendPort = client.localPort ?? 0;
    this.clitimeoutMs = proxy.config.clientTimeoutMs;
    this.headTimeouts = proxy.timeouts ?? fallbackTimeouts;
    this.srvtimeoutMs = proxy.config.serverTimeoutMs;
    this.dbg = proxy.debug === undefined ? undefined : HttpDebugTrace.of(proxy.debug, proxy.config.name, client);
  }

  start(): void {
    const c = this.client;
    c.setNoDelay(true);
    if (this.proxy.config.options.tcpka || this.proxy.config.options.clitcpka) c.setKeepAlive(true);
    // reads into the shared buffer: what is kept past onClientData is copied (own())
    if (c instanceof RawSocket) c.shareReads();
    // the handlers are prototype methods: a RawSocket hands its events to the shared sink,
    // another socket (tests) gets listeners (see listen())
    if (c instanceof RawSocket) c.attachSink(HttpSession.clientSink, { session: this, ctx: undefined } satisfies SessionRef);
    else {
      this.listen(c, 'data', this.onClientData, undefined);
      this.listen(c, 'end', this.onClientEnd, undefined);
      this.listen(c, 'error', this.onClientGone, undefined);
      this.listen(c, 'close', this.onClientClose, undefined);
      this.listen(c, 'drain', this.onClientDrain, undefined);
      this.listen(c, 'timeout', this.onClientTimeout, undefined);
    }
    if (this.proxy.watchSoftStop !== undefined) {
      this.proxy.watchSoftStop(this);
      this.unregisterSoftStop = unwatchSoftStop;
    } else if (this.proxy.onSoftStop !== undefined) this.unregisterSoftStop = this.proxy.onSoftStop(this.guard(() => this.onSoftStop()));
    this.newTransaction(this.acceptTimeMs);
  }

  /**
   * Wraps an event callback: an unexpected exception in this session is reported and ends the
   * session (both connections) instead of taking the process down.
   */
  /**
   * Subscribes `handler` (a method of this class) to a socket event with one closure: the
   * handler gets `ctx` (the server connection, or undefined for the client) and the event's
   * argument; an exception ends this session instead of the process (see guard()).
   */
  private listen<C, A>(socket: Socket, event: string, handler: (this: HttpSession, a: A, ctx: C) => void, ctx: C): void {
    socket.on(event, (a: A) => {
      try {
        handler.call(this, a, ctx);
      } catch (err) {
        this.crash(err);
      }
    });
  }

  /**
   * The sinks a RawSocket hands its events to (one pair for every session): each finds its
   * session through the socket's sessionRef — no listener and no closure per socket and event,
   * which an idle keep-alive connection would keep.
   */
  private static makeSink(data: SessionHandlerFn, end: SessionHandlerFn, error: SessionHandlerFn, close: SessionHandlerFn, drain: SessionHandlerFn, timeout: SessionHandlerFn): SocketSink {
    const run = (s: RawSocket, h: SessionHandlerFn, a: unknown): void => {
      const ref = s.sessionRef as SessionRef;
      ref.session.runListener(h, a, ref.ctx);
    };
    return {
      data: (s, b) => run(s, data, b),
      end: (s) => run(s, end, undefined),
      error: (s, e) => run(s, error, e),
      close: (s, hadError) => run(s, close, hadError),
      drain: (s) => run(s, drain, undefined),
      timeout: (s) => run(s, timeout, undefined),
    };
  }

  private static readonly clientSink = HttpSession.makeSink(
    HttpSession.prototype.onClientData,
    HttpSession.prototype.onClientEnd,
    HttpSession.prototype.onClientGone,
    HttpSession.prototype.onClientClose,
    HttpSession.prototype.onClientDrain,
    HttpSession.prototype.onClientTimeout,
  );

  private static readonly serverSink = HttpSession.makeSink(
    HttpSession.prototype.onServerData,
    HttpSession.prototype.onServerEnd,
    HttpSession.prototype.onServerError,
    HttpSession.prototype.onServerClose,
    HttpSession.prototype.onServerDrain,
    HttpSession.prototype.onServerTimeout,
  );

  /** Runs a sink's handler for this session; an exception ends the session only. */
  private runListener(handler: SessionHandlerFn, a: unknown, ctx: unknown): void {
    try {
      (handler as (this: HttpSession, a: unknown, ctx: unknown) => void).call(this, a, ctx);
    } catch (err) {
      this.crash(err);
    }
  }

  private guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        this.crash(err);
      }
    };
  }

  private crash(err: unknown): void {
    if (this.crashed) return;
    this.crashed = true;
    const msg = err instanceof Error ? err.message : String(err);
    this.proxy.processLog.alert(`Proxy ${this.proxy.config.name}: internal error in an HTTP session, closed: ${msg}`);
    try {
      if (this.tx?.conn !== undefined) this.dropConn(this.tx.conn);
      this.dropIdles();
    } catch {
      // best effort
    }
    this.client.destroy();
  }

  // ---------------------------------------------------------------- request side

  private newTransaction(logStartMs: number): void {
    this.tx = new Transaction(logStartMs);
    this.serverBackpressure = false;
    this.requestCount += 1;
    this.armHeadTimer();
    // (Node allocates a timer per setTimeout() call: only when it changes)
    if (this.client.timeout) this.client.setTimeout(0);
    this.updateClientFlow();
    this.pump();
  }

  /** Decisions 12 and 14: clitimeout bounds the request head; an idle keep-alive closes silently. */
  private armHeadTimer(): void {
    if (this.clitimeoutMs <= 0) return;
    this.headArmed = true;
    this.headTimeouts.arm(this, this.clitimeoutMs);
  }

  /** Disarms the head timer; a disarmed timer that still fires is ignored (onHeadTimeout). */
  private clearHeadTimer(): void {
    this.headArmed = false;
  }

  /** The connection is gone: the head timer is really cancelled. */
  private dropHeadTimer(): void {
    this.headArmed = false;
    this.headTimeouts.disarm(this);
  }

  /** Expiring: the head timer's deadline passed (or, closing, the lingering close's). */
  expired(): void {
    if (this.lingering) {
      this.client.destroy();
      return;
    }
    try {
      this.onHeadTimeout();
    } catch (err) {
      this.crash(err);
    }
  }

  private onHeadTimeout(): void {
    if (!this.headArmed) return;
    this.headArmed = false;
    const tx = this.tx;
    if (tx === undefined || tx.phase !== 'head' || this.closing) return;
    if (tx.bytesFromClient === 0 && this.inBuf === undefined && this.requestCount > 1) {
      // decision 14: idle keep-alive connection, nothing to answer
      tx.logged = true;
      this.closeClient(true);
      return;
    }
    this.salvageHead(tx);
    this.proxy.countRequestError();
    this.replyError(tx, 408, 'cR');
  }

  /** An incomplete head is given up: its bytes count as received and its first line is logged. */
  private salvageHead(tx: Transaction): void {
    const buf = this.inBuf;
    if (buf === undefined) return;
    this.inBuf = undefined;
    tx.bytesFromClient += buf.length;
    if (tx.requestLine === undefined) {
      const lf = buf.indexOf(0x0a);
      if (lf >= 0) tx.requestLine = buf.toString('latin1', 0, lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf).slice(0, 1023);
    }
  }

  private onClientData(d: Buffer): void {
    if (this.closed) return;
    const tx = this.tx;
    if (this.closing || tx === undefined) return; // draining before close
    if (tx.phase === 'tunnel') {
      tx.bytesFromClient += d.length;
      const conn = tx.conn;
      if (conn !== undefined && !conn.socket.write(writable(conn.socket, d))) {
        this.serverBackpressure = true;
        this.updateClientFlow();
      }
      return;
    }
    if (tx.phase === 'head' && tx.bytesFromClient === 0 && this.requestCount > 1 && this.inBuf === undefined) {
      // first byte of a keep-alive request: the head gets a full clitimeout from here
      tx.startMs = tx.logStartMs = Date.now();
      this.armHeadTimer();
    }
    this.inBuf = this.inBuf === undefined ? d : Buffer.concat([this.inBuf, d]);
    this.pump();
    // what is left (an incomplete head, pipelined requests) outlives this read
    this.inBuf = own(this.inBuf);
  }

  /** Consumes buffered client bytes as far as the current state allows. */
  private pump(): void {
    for (let guard = 0; guard < 1000; guard++) {
      const tx = this.tx;
      if (tx === undefined || this.closing || this.closed) return;
      const buf = this.inBuf;
      if (tx.phase === 'head') {
        if (buf === undefined) {
          if (this.clientEnded) this.onClientEndInHead(tx);
          return;
        }
        const scan = scanHead(buf, 0, true);
        if (scan.kind === 'incomplete') {
          if (scan.skipped > 0) this.consumeClient(tx, scan.skipped);
          if (this.clientEnded) this.onClientEndInHead(tx);
          return;
        }
        if (scan.kind === 'too-large') {
          this.salvageHead(tx);
          this.proxy.countRequestError();
          this.replyError(tx, 400, 'PR');
          return;
        }
        this.consumeClient(tx, scan.end);
        if (this.dbg !== undefined) this.dbg.requestHead(scan.lines);
        this.onRequestHead(tx, scan.lines);
        continue;
      }
      if (tx.phase === 'sending' && !tx.reqDone && buf !== undefined) {
        const used = this.forwardRequestBody(tx, buf);
        if (used < 0) return;
        this.consumeClient(tx, used);
        if (tx.reqDone) continue;
        return;
      }
      this.updateClientFlow();
      return;
    }
  }

  private consumeClient(tx: Transaction, n: number): void {
    const buf = this.inBuf;
    if (buf === undefined) return;
    tx.bytesFromClient += n;
    this.inBuf = n >= buf.length ? undefined : buf.subarray(n);
  }

  private onRequestHead(tx: Transaction, lines: string[]): void {
    this.clearHeadTimer();
    this.proxy.countHttpRequest?.();
    tx.headMs = Date.now();
    tx.requestLine = lines[0] === undefined ? undefined : lines[0].slice(0, 1023);
    const parsed = parseRequestHead(lines);
    if (!parsed.ok) {
      this.proxy.countRequestError();
      this.replyError(tx, 400, 'PR');
      return;
    }
    const head = parsed.head;
    tx.head = head;
    const cfg = this.proxy.config;
    const appTable = cfg.appsession === undefined ? undefined : this.appsessionTable();
    const analysis = analyseRequest<ServerRuntime>(this.px, head, {
      clientAddress: this.clientAddress,
      forwardedForLine: this.px.forwardForClient === undefined ? undefined : (this.forwardedForLine ??= `X-Forwarded-For: ${this.clientAddress}`),
      persist: cfg.options.persist,
      lookup: (v) => this.proxy.findServerByCookie(v),
      appsessionLookup: appTable === undefined ? undefined : (k) => this.appsessionServer(appTable, k),
    });
    tx.analysis = analysis;
    tx.method = analysis.method;
    tx.reqCaptures = analysis.captures;
    tx.capturedReqCookie = analysis.cookie.captured;
    tx.reqFlag = analysis.cookie.flag;
    tx.reqFraming = head.framing;
    if (head.framing.kind === 'length') tx.reqRemaining = head.framing.length;
    if (analysis.denied) {
      this.proxy.countDeniedRequest();
      if (analysis.tarpit) {
        // reqtarpit: hold the client for contimeout, then 500 (modern `timeout tarpit` default)
        tx.phase = 'connecting';
        tx.tarpitTimer = setTimeout(this.guard(() => this.replyError(tx, 500, 'PT')), Math.max(0, cfg.connectTimeoutMs));
        return;
      }
      this.replyError(tx, 403, 'PR');
      return;
    }
    if (this.px.monitorUriNeedle !== undefined && head.requestLine.indexOf(this.px.monitorUriNeedle) === head.method.length) {
      // spec §11.2: answered, not forwarded, not logged
      tx.logged = true;
      tx.phase = 'done';
      this.sendAndClose(MONITOR_URI_REPLY);
      return;
    }
    if (this.intercept !== undefined) {
      const reply = this.intercept(this.proxy, {
        method: head.method,
        uri: head.uri,
        versionMinor: head.versionMinor,
        headers: head.headers,
        clientAddress: this.clientAddress,
      });
      if (reply !== undefined) {
        tx.status = reply.status;
        tx.serverName = reply.serverName;
        tx.termination = reply.termination;
        tx.phase = 'done';
        this.queueLog(tx);
        this.proxy.countHttpResponse?.(reply.status, undefined);
        this.sendAndClose(reply.response);
        return;
      }
    }
    tx.reqChunked = head.framing.kind === 'chunked' ? new ChunkedDecoder((b) => this.writeServer(tx, b)) : undefined;
    if (head.framing.kind === 'none') tx.reqDone = true;
    this.connectServer(tx);
  }

  private appsessionTable(): AppSessionTable {
    let t = appsessions.get(this.proxy);
    if (t === undefined) {
      t = new AppSessionTable(this.proxy.config.appsession?.timeoutMs ?? 0);
      appsessions.set(this.proxy, t);
    }
    return t;
  }

  private appsessionServer(table: AppSessionTable, key: string): ServerRuntime | undefined {
    const name = table.lookup(key, Date.now());
    if (name === undefined) return undefined;
    const s = this.proxy.servers.find((x) => x.config.name === name);
    if (s === undefined || (!s.usable && !this.proxy.config.options.persist)) return undefined;
    return s;
  }

  // ---------------------------------------------------------------- server connection

  private connectServer(tx: Transaction): void {
    tx.phase = 'connecting';
    this.updateClientFlow();
    const direct = tx.analysis?.cookie.server;
    let assigned: ServerRuntime | undefined;
    const request = {
      clientAddress: this.clientAddress,
      clientPort: this.clientPort,
      frontendPort: this.frontendPort,
      direct,
    };
    if (this.idles.length > 0) {
      // reuse rule: a kept connection serves the next request that goes to its server —
      // designated by the request's cookie, or picked for it by the balancer
      let target = direct;
      if (direct === undefined && this.proxy.pickServer !== undefined) {
        assigned = this.proxy.pickServer(request);
        target = assigned;
      }
      const i = target === undefined ? -1 : this.idles.findIndex((c) => c.server === target);
      if (i >= 0) {
        const idle = this.idles[i]!;
        this.idles.splice(i, 1);
        // a request with a body cannot be replayed if a stale connection fails under it: such a
        // request only reuses a connection idle for less than REUSE_WITH_BODY_MS
        const fresh = tx.reqFraming.kind === 'none' || Date.now() - idle.idleSinceMs < REUSE_WITH_BODY_MS;
        if (!idle.ended && !idle.socket.destroyed && fresh) {
          tx.tw = 0;
          tx.tc = 0;
          this.attachServer(tx, idle, false, 0);
          return;
        }
        this.dropConn(idle);
      }
    }
    this.startConnect(tx, assigned === undefined ? request : { ...request, assigned });
  }

  /** Asks the runtime for a server connection; tolerates a callback run synchronously. */
  private startConnect(tx: Transaction, request: ConnectRequest): void {
    const attempt: ConnectWait = { session: this, tx, called: false };
    const pending = this.proxy.connect(request, connectCallback(attempt));
    if (!attempt.called) tx.pending = pending;
  }

  /** The runtime's answer to startConnect (see connectCallback). */
  onConnectResult(tx: Transaction | undefined, result: ConnectResult): void {
    try {
      if (tx !== undefined) this.onConnected(tx, result);
      else if (result.ok) {
        result.socket.destroy();
        result.release();
      }
    } catch (err) {
      this.crash(err);
    }
  }

  private onConnected(tx: Transaction, result: ConnectResult): void {
    tx.pending = undefined;
    if (this.tx !== tx || this.closed) {
      if (result.ok) {
        result.socket.destroy();
        result.release();
      }
      return;
    }
    tx.redispatched = result.redispatched;
    tx.tw = result.queueMs;
    if (!result.ok) {
      tx.serverName = result.server?.config.name;
      tx.tc = -1;
      if (result.redispatched && tx.reqFlag === 'V') tx.reqFlag = 'D';
      this.replyError(tx, 503, result.termination);
      return;
    }
    tx.tc = result.connectMs;
    const conn: ServerConn = {
      socket: result.socket,
      server: result.server,
      release: result.release,
      released: false,
      tx: undefined,
      uses: 0,
      idleSinceMs: 0,
      ended: false,
    };
    const s = conn.socket;
    if (this.dbg !== undefined) conn.debugFd = this.dbg.serverOpened(s);
    s.setNoDelay(true);
    if (this.proxy.config.options.tcpka || this.proxy.config.options.srvtcpka) s.setKeepAlive(true);
    // shared reads: server bytes go to the client, which must copy what it keeps (a RawSocket does)
    if (s instanceof RawSocket && this.client instanceof RawSocket) s.shareReads();
    this.listenServer(conn);
    this.attachServer(tx, conn, result.redispatched, result.connectMs);
  }

  /** One closure per event (memory per kept connection); the handlers get the connection. */
  private listenServer(conn: ServerConn): void {
    const s = conn.socket;
    if (s instanceof RawSocket) {
      s.attachSink(HttpSession.serverSink, { session: this, ctx: conn } satisfies SessionRef);
      return;
    }
    this.listen(s, 'data', this.onServerData, conn);
    this.listen(s, 'end', this.onServerEnd, conn);
    this.listen(s, 'error', this.onServerError, conn);
    this.listen(s, 'close', this.onServerClose, conn);
    this.listen(s, 'drain', this.onServerDrain, conn);
    this.listen(s, 'timeout', this.onServerTimeout, conn);
  }

  private onServerError(_: unknown, conn: ServerConn): void {
    this.onServerGone(conn, true);
  }

  private onServerClose(_: unknown, conn: ServerConn): void {
    if (this.dbg !== undefined && conn.debugFd !== undefined) this.dbg.serverClosed(conn.debugFd);
    this.onServerGone(conn, false);
  }

  private attachServer(tx: Transaction, conn: ServerConn, redispatched: boolean, _connectMs: number): void {
    conn.tx = tx;
    conn.uses += 1;
    tx.conn = conn;
    tx.connectedMs = Date.now();
    tx.serverName = conn.server?.config.name;
    const cookieServer = tx.analysis?.cookie.server;
    if (redispatched && tx.reqFlag === 'V') tx.reqFlag = 'D';
    tx.direct = cookieServer !== undefined && conn.server === cookieServer && !redispatched;
    // a kept connection keeps its srvtimeout while idle (it is dropped after srvtimeout of
    // silence): no timer allocated per request
    const srvMs = this.srvtimeoutMs > 0 ? this.srvtimeoutMs : 0;
    if ((conn.socket.timeout ?? 0) !== srvMs) conn.socket.setTimeout(srvMs);
    conn.socket.resume();
    tx.phase = 'sending';
    const analysis = tx.analysis!;
    if (tx.reqDone && this.inBuf === undefined) {
      // no body: one buffer, one write, no cork
      this.writeServer(tx, serializeHead(analysis.lines));
      this.updateClientFlow();
      return;
    }
    // head and the body bytes already here leave in one write (one system call)
    conn.socket.cork();
    this.writeServer(tx, serializeHead(analysis.lines));
    if (!tx.reqDone) {
      // decision 12 covers the head only; the body gets clitimeout as an inactivity timeout
      if (this.clitimeoutMs > 0) this.client.setTimeout(this.clitimeoutMs);
    }
    this.pump();
    conn.socket.uncork();
    this.updateClientFlow();
  }

  private writeServer(tx: Transaction, b: Buffer): void {
    const conn = tx.conn;
    if (conn === undefined || conn.socket.destroyed) return;
    if (!conn.socket.write(writable(conn.socket, b))) {
      this.serverBackpressure = true;
    }
  }

  /** Forwards request body bytes from `buf`; returns how many belonged to the body, -1 on error. */
  private forwardRequestBody(tx: Transaction, buf: Buffer): number {
    if (tx.reqFraming.kind === 'length') {
      const take = Math.min(tx.reqRemaining, buf.length);
      this.writeServer(tx, take === buf.length ? buf : buf.subarray(0, take));
      tx.reqRemaining -= take;
      if (tx.reqRemaining === 0) this.requestBodyDone(tx);
      this.updateClientFlow();
      return take;
    }
    if (tx.reqChunked !== undefined) {
      const r = tx.reqChunked.feed(buf);
      if (r.kind === 'error') {
        this.proxy.countRequestError();
        this.inBuf = undefined;
        this.failAfterForward(tx, 400, 'PD');
        return -1;
      }
      if (r.kind === 'done') {
        this.requestBodyDone(tx);
        return r.consumed;
      }
      this.updateClientFlow();
      return buf.length;
    }
    this.requestBodyDone(tx);
    return 0;
  }

  private requestBodyDone(tx: Transaction): void {
    tx.reqDone = true;
    // waiting for the response: the client read timeout is off (spec §6)
    if (tx.res === undefined) this.client.setTimeout(0);
  }

  /** Client flow control: read while the current state can absorb bytes. */
  private updateClientFlow(): void {
    if (this.closed) return;
    const c = this.client;
    const tx = this.tx;
    let read: boolean;
    if (this.closing) read = true; // drain and discard while the error page leaves
    else if (tx === undefined) read = false;
    else if (this.serverBackpressure) read = false;
    else if (tx.phase === 'tunnel') read = true;
    else if (tx.phase === 'head') read = true;
    else if (tx.phase === 'sending' && !tx.reqDone) read = true;
    else read = (this.inBuf?.length ?? 0) < MAX_CLIENT_AHEAD_BYTES;
    if (read && c.isPaused()) {
      c.resume();
      // the upload inactivity timeout runs again once the server takes bytes
      if (this.serverBackpressureSuspended) {
        this.serverBackpressureSuspended = false;
        if (this.clitimeoutMs > 0 && tx !== undefined && tx.phase === 'sending' && !tx.reqDone) c.setTimeout(this.clitimeoutMs);
      }
    } else if (!read && !c.isPaused()) {
      c.pause();
      if (this.serverBackpressure && tx !== undefined && tx.phase === 'sending' && !tx.reqDone) {
        // legacy: no client read timeout while the request buffer is full
        c.setTimeout(0);
        this.serverBackpressureSuspended = true;
      }
    }
  }

  private onServerDrain(_: unknown, conn: ServerConn): void {
    if (conn.tx !== this.tx) return;
    if (this.serverBackpressure) {
      this.serverBackpressure = false;
      this.updateClientFlow();
      this.pump();
    }
  }

  // ---------------------------------------------------------------- response side

  private onServerData(d: Buffer, conn: ServerConn): void {
    const tx = conn.tx;
    if (tx === undefined || tx !== this.tx) {
      // an idle kept connection must stay silent
      this.dropConn(conn);
      this.forgetIdle(conn);
      return;
    }
    tx.bytesFromServer += d.length;
    if (tx.phase === 'tunnel') {
      if (!this.client.write(d)) conn.socket.pause();
      return;
    }
    if (tx.res === undefined) {
      tx.resBuf = tx.resBuf === undefined ? d : Buffer.concat([tx.resBuf, d]);
      this.scanResponse(tx, conn);
      // an incomplete head outlives this read
      tx.resBuf = own(tx.resBuf);
      return;
    }
    this.forwardResponseBody(tx, conn, d);
  }

  private scanResponse(tx: Transaction, conn: ServerConn): void {
    for (let guard = 0; guard < 100; guard++) {
      const buf = tx.resBuf;
      if (buf === undefined) return;
      const scan = scanHead(buf, 0, false);
      if (scan.kind === 'incomplete') return;
      if (scan.kind === 'too-large') {
        this.badResponse(tx, conn);
        return;
      }
      if (this.dbg !== undefined) this.dbg.responseHead(scan.lines, conn.debugFd ?? -1);
      const parsed = parseResponseHead(scan.lines);
      if (!parsed.ok) {
        this.badResponse(tx, conn);
        return;
      }
      const res = parsed.head;
      const rest = scan.end >= buf.length ? undefined : buf.subarray(scan.end);
      tx.resBuf = rest;
      if (res.status >= 100 && res.status < 200 && !(res.status === 101 && tx.head?.upgrade === true)) {
        if (res.status === 101) {
          // 101 without an upgrade request is not HTTP any more
          this.badResponse(tx, conn);
          return;
        }
        // decision 15: interim responses pass untouched (never to an HTTP/1.0 client), except
        // for framing fields a 1xx must not carry (RFC 9110 §8.6, §6.1)
        if (tx.head?.versionMinor === 1) this.client.write(serializeHead(interimLines(scan.lines)));
        continue;
      }
      tx.resBuf = undefined;
      this.onResponseHead(tx, conn, res, scan.end, rest);
      return;
    }
  }

  private badResponse(tx: Transaction, conn: ServerConn): void {
    // decision 7: a bad or incomplete response head gives 502 SH
    conn.server?.countResponseError();
    this.replyError(tx, 502, 'SH');
  }

  private onResponseHead(tx: Transaction, conn: ServerConn, res: ResponseHead, headBytes: number, rest: Buffer | undefined): void {
    tx.res = res;
    tx.resHeadMs = Date.now();
    tx.status = res.status;
    tx.resHeadBytes = headBytes;
    const head = tx.head!;
    const tunnel = (res.status === 101 && head.upgrade) || (head.method === 'CONNECT' && res.status >= 200 && res.status < 300);
    const server = conn.server;
    const analysis = analyseResponse(this.px, res, {
      isPost: tx.analysis?.isPost ?? false,
      serverKnown: server !== undefined,
      serverCookie: server?.config.cookie,
      setCookieLine: server === undefined || this.px.cookie === undefined ? undefined : this.px.setCookieLine(server.config),
      direct: tx.direct,
      upgrade: tunnel,
    });
    tx.resFlag = analysis.setCookieFlag;
    tx.resCaptures = analysis.captures;
    tx.capturedResCookie = analysis.capturedCookie;
    if (analysis.appsessionKeys.length > 0 && server !== undefined) {
      const table = this.appsessionTable();
      for (const k of analysis.appsessionKeys) table.learn(k, server.config.name, Date.now());
    }
    if (analysis.cacheBlocked) {
      const msg = `Blocking cacheable cookie in response from instance ${this.proxy.config.name}, server ${server?.config.name ?? '<NOSRV>'}.`;
      this.proxy.log.send(LOG_ALERT, msg);
      this.proxy.processLog.alert(msg);
    }
    if (analysis.denied || analysis.cacheBlocked) {
      this.proxy.countDeniedResponse();
      this.replyError(tx, 502, 'PH');
      return;
    }
    if (this.proxy.config.options.forceclose && tx.reqDone && !tunnel) {
      // legacy forceclose: shut the server write side once the response head is processed
      conn.socket.end();
    }
    const framing = responseFraming(tx.method, res);
    const lastOne = this.proxy.stopping === true || !tx.reqDone || framing.kind === 'close';
    if (lastOne && !tunnel && head.versionMinor === 1 && !head.connection.close && !res.connection.close && !this.px.httpclose) {
      // soft stop, an early answer to an unfinished upload, or a body delimited by the close:
      // tell an HTTP/1.1 client this is the last response on the connection
      analysis.lines.push('Connection: close');
    }
    if (!tunnel && rest !== undefined && framing.kind === 'length' && rest.length <= framing.length && rest.length <= ONE_WRITE_BODY_BYTES) {
      // the usual small response: head and body in one buffer, one write
      this.client.write(serializeHead(analysis.lines, rest));
      this.proxy.countHttpResponse?.(res.status, server);
      this.forwardAfterHead(tx, conn, undefined, false, rest.length);
      return;
    }
    // head and the body bytes already here leave in one write (one system call)
    this.client.cork();
    try {
      this.client.write(serializeHead(analysis.lines));
      this.proxy.countHttpResponse?.(res.status, server);
      this.forwardAfterHead(tx, conn, rest, tunnel, 0);
    } finally {
      this.client.uncork();
    }
  }

  /** `bodySent`: body bytes already written with the head (length framing only). */
  private forwardAfterHead(tx: Transaction, conn: ServerConn, rest: Buffer | undefined, tunnel: boolean, bodySent: number): void {
    const res = tx.res!;
    if (this.proxy.config.options.logasap) this.logTransaction(tx, true);
    if (tunnel) {
      this.startTunnel(tx, conn, rest);
      return;
    }
    tx.resFraming = responseFraming(tx.method, res);
    if (tx.resFraming.kind === 'length') {
      tx.resRemaining = tx.resFraming.length - bodySent;
      if (tx.resRemaining === 0) {
        this.responseDone(tx);
        return;
      }
    }
    if (tx.resFraming.kind === 'chunked') tx.resChunked = new ChunkedDecoder((b) => this.writeClient(conn, b));
    if (tx.resFraming.kind === 'none') {
      if (rest !== undefined) conn.ended = true; // extra bytes: never reuse this connection
      this.responseDone(tx);
      return;
    }
    if (rest !== undefined) this.forwardResponseBody(tx, conn, rest);
    // data phase: both sides get their inactivity timeouts — unless the whole response already
    // went out in this tick (Node allocates a timer per setTimeout() call)
    if (this.clitimeoutMs > 0 && this.tx === tx && tx.phase !== 'done' && !this.closing) this.client.setTimeout(this.clitimeoutMs);
  }

  /**
   * Writes to the client; when the client cannot take more, the server is paused and its
   * srvtimeout suspended (legacy: no read timeout while the buffer is full), until 'drain'.
   */
  private writeClient(conn: ServerConn, b: Buffer): void {
    if (!this.client.write(b) && !conn.socket.isPaused()) {
      conn.socket.pause();
      conn.socket.setTimeout(0);
    }
  }

  private onClientDrain(): void {
    const conn = this.tx?.conn;
    if (conn !== undefined && conn.tx === this.tx && conn.socket.isPaused()) {
      conn.socket.setTimeout(this.srvtimeoutMs > 0 ? this.srvtimeoutMs : 0);
      conn.socket.resume();
    }
  }

  private forwardResponseBody(tx: Transaction, conn: ServerConn, d: Buffer): void {
    if (tx.resDone) {
      conn.ended = true; // bytes after the end of the response: do not reuse
      return;
    }
    switch (tx.resFraming.kind) {
      case 'length': {
        const take = Math.min(tx.resRemaining, d.length);
        this.writeClient(conn, take === d.length ? d : d.subarray(0, take));
        tx.resRemaining -= take;
        if (take < d.length) conn.ended = true;
        if (tx.resRemaining === 0) this.responseDone(tx);
        return;
      }
      case 'chunked': {
        const r = tx.resChunked!.feed(d);
        if (r.kind === 'error') {
          conn.server?.countResponseError();
          this.abort(tx, 'SD');
          return;
        }
        if (r.kind === 'done') {
          if (r.consumed < d.length) conn.ended = true;
          this.responseDone(tx);
        }
        return;
      }
      case 'close':
        this.writeClient(conn, d);
        return;
      case 'none':
        conn.ended = true;
        return;
    }
  }

  /** The response is complete. An early one (request body still flowing) closes after it. */
  private responseDone(tx: Transaction): void {
    tx.resDone = true;
    this.finishTransaction(tx);
  }

  private onServerEnd(_: unknown, conn: ServerConn): void {
    conn.ended = true;
    const tx = conn.tx;
    if (tx === undefined || tx !== this.tx) {
      this.dropConn(conn);
      this.forgetIdle(conn);
      return;
    }
    if (tx.phase === 'tunnel') {
      this.client.end();
      return;
    }
    if (tx.res === undefined) {
      if (this.retryOnReusedConn(tx, conn)) return;
      conn.server?.countResponseError();
      this.replyError(tx, 502, 'SH');
      return;
    }
    if (!tx.resDone) {
      if (tx.resFraming.kind === 'close') {
        this.responseDone(tx);
        return;
      }
      // truncated body: relay what came, then close
      this.abort(tx, 'SD');
    }
  }

  /** A kept connection the server closed just as we reused it: retry once on a new one. */
  private retryOnReusedConn(tx: Transaction, conn: ServerConn): boolean {
    if (conn.uses <= 1 || tx.bytesFromServer > 0 || tx.reqFraming.kind !== 'none') return false;
    this.dropConn(conn);
    tx.conn = undefined;
    tx.phase = 'connecting';
    this.startConnect(tx, {
      clientAddress: this.clientAddress,
      clientPort: this.clientPort,
      frontendPort: this.frontendPort,
      direct: tx.analysis?.cookie.server,
    });
    return true;
  }

  private onServerGone(conn: ServerConn, isError: boolean): void {
    const wasEnded = conn.ended;
    conn.ended = true;
    const tx = conn.tx;
    this.releaseConn(conn);
    this.forgetIdle(conn);
    if (tx === undefined || tx !== this.tx || tx.phase === 'done') return;
    if (tx.phase === 'tunnel') {
      if (!this.closed) this.client.destroySoon();
      return;
    }
    if (tx.res === undefined) {
      if (!isError && wasEnded) return; // 'end' already handled it
      if (this.retryOnReusedConn(tx, conn)) return;
      conn.server?.countResponseError();
      this.replyError(tx, 502, 'SH');
      return;
    }
    if (!tx.resDone) {
      if (tx.resFraming.kind === 'close' && !isError) {
        this.responseDone(tx);
        return;
      }
      this.abort(tx, 'SD');
    }
  }

  private onServerTimeout(_: unknown, conn: ServerConn): void {
    const tx = conn.tx;
    if (tx === undefined || tx !== this.tx) {
      this.dropConn(conn);
      this.forgetIdle(conn);
      return;
    }
    if (tx.phase === 'tunnel') {
      this.abort(tx, 'sD');
      return;
    }
    if (tx.res === undefined) {
      this.replyError(tx, 504, 'sH');
      return;
    }
    this.abort(tx, 'sD');
  }

  // ---------------------------------------------------------------- tunnel (101 / CONNECT)

  private startTunnel(tx: Transaction, conn: ServerConn, rest: Buffer | undefined): void {
    tx.phase = 'tunnel';
    if (rest !== undefined) this.writeClient(conn, rest);
    const early = this.inBuf;
    this.inBuf = undefined;
    if (early !== undefined) {
      tx.bytesFromClient += early.length;
      this.writeServer(tx, early);
    }
    if (this.clitimeoutMs > 0) this.client.setTimeout(this.clitimeoutMs);
    if (this.clientEnded) conn.socket.end();
    this.updateClientFlow();
  }

  // ---------------------------------------------------------------- end of a transaction

  private finishTransaction(tx: Transaction): void {
    if (tx.phase === 'done') return;
    tx.phase = 'done';
    const conn = tx.conn;
    const head = tx.head!;
    const res = tx.res!;
    const reqKeep = wantsKeepAlive(head.versionMinor, head.connection);
    // an HTTP/1.0 client only persists when the response says keep-alive
    const resKeep = head.versionMinor === 1 ? wantsKeepAlive(res.versionMinor, res.connection) : res.connection.keepAlive && !res.connection.close;
    // a client that half-closed after pipelining still gets every answer: the next head is read
    // from the buffer, and the connection closes once nothing is left (onClientEndInHead)
    const keepClient =
      tx.reqDone &&
      reqKeep &&
      resKeep &&
      !this.px.httpclose &&
      tx.resFraming.kind !== 'close' &&
      !this.closing &&
      this.proxy.stopping !== true;
    if (conn !== undefined) {
      conn.tx = undefined;
      const serverKeep =
        keepClient &&
        !conn.ended &&
        !conn.socket.destroyed &&
        conn.server !== undefined &&
        conn.server.config.maxconn === 0 &&
        !(tx.analysis?.serverClose ?? true) &&
        wantsKeepAlive(res.versionMinor, res.connection);
      if (serverKeep) {
        conn.idleSinceMs = Date.now();
        this.keepIdle(conn);
      } else if (tx.resDone && conn.socket.writableLength === 0 && !conn.socket.destroyed) {
        // the exchange is complete: close with a reset (SO_LINGER 0) so that no TIME_WAIT is
        // left on our ephemeral port — with a server connection per request, thousands of them
        // make every connect() search the port range (issue 8: 12% of the CPU in connect)
        conn.ended = true;
        conn.socket.resetAndDestroy();
        this.releaseConn(conn);
      } else this.dropConn(conn);
    }
    if (!keepClient) {
      this.queueLog(tx);
      // a client that announced `Connection: close` and whose request was read to its end sends
      // nothing more: the connection closes after the response (FIN, then close) without
      // waiting for the client's own FIN
      this.closeClient(false, tx.reqDone && head.connection.close && this.inBuf === undefined && !this.clientEnded);
      return;
    }
    this.accountBytes(tx);
    this.logTransaction(tx, false);
    this.newTransaction(Date.now());
  }

  /** Sends a proxy-generated error page, ends the transaction and closes the client (decision 6). */
  private replyError(tx: Transaction, code: ErrorCode, termination: string): void {
    if (tx.phase === 'done' || this.closed) return;
    this.clearHeadTimer();
    if (tx.pending !== undefined) {
      tx.pending.cancel();
      tx.pending = undefined;
    }
    if (tx.tarpitTimer !== undefined) clearTimeout(tx.tarpitTimer);
    tx.status = code;
    tx.termination = termination;
    if (tx.conn !== undefined) {
      this.dropConn(tx.conn);
      tx.conn.tx = undefined;
    }
    tx.phase = 'done';
    if (tx.res !== undefined && code !== 502) {
      // a response head already went out: nothing else can be said
      this.queueLog(tx);
      this.closeClient(true);
      return;
    }
    this.queueLog(tx);
    this.proxy.countHttpResponse?.(code, tx.conn?.server);
    this.sendAndClose(this.px.errorPages.get(code)!);
  }

  /** An error after the request head went to the server (bad chunked body). */
  private failAfterForward(tx: Transaction, code: ErrorCode, termination: string): void {
    if (tx.res !== undefined) {
      this.abort(tx, termination);
      return;
    }
    this.replyError(tx, code, termination);
  }

  /**
   * Aborts the transaction: both connections closed at once (decision 16). A server-side cause
   * (termination starting with S or s) lets what was already relayed reach the client first.
   */
  private abort(tx: Transaction, termination: string): void {
    if (tx.phase === 'done') return;
    tx.termination = termination;
    if (tx.pending !== undefined) {
      tx.pending.cancel();
      tx.pending = undefined;
    }
    if (tx.tarpitTimer !== undefined) clearTimeout(tx.tarpitTimer);
    if (tx.conn !== undefined) {
      this.dropConn(tx.conn);
      tx.conn.tx = undefined;
    }
    tx.phase = 'done';
    this.queueLog(tx);
    // a close-delimited body must end with a reset, or the client would take it as complete
    const serverSide = termination.charCodeAt(0) === 0x53 || termination.charCodeAt(0) === 0x73;
    this.closeClient(!serverSide || tx.resFraming.kind === 'close');
  }

  // ---------------------------------------------------------------- client events

  private onClientEnd(): void {
    this.clientEnded = true;
    const tx = this.tx;
    if (this.closing || tx === undefined) {
      // a second end() would build (and throw away) an ERR_STREAM_ALREADY_FINISHED error
      if (!this.closed && !this.client.writableEnded) this.client.end();
      return;
    }
    switch (tx.phase) {
      case 'head':
        this.pump();
        return;
      case 'connecting':
        if (!tx.reqDone) {
          this.abort(tx, 'CC');
        } else if (this.proxy.config.options.abortonclose) {
          // legacy abortonclose: a client that shut its side while queued/connecting aborts
          this.abort(tx, 'CC');
        }
        return;
      case 'sending':
        if (!tx.reqDone) {
          // decision 16: abort mid-upload closes the server connection at once
          this.abort(tx, 'C' + sessionState(tx));
        }
        return;
      case 'tunnel':
        tx.conn?.socket.end();
        return;
      case 'done':
        return;
    }
  }

  /** The client ended while a head was pending: nothing to answer (`CR`) or an idle close. */
  private onClientEndInHead(tx: Transaction): void {
    tx.termination = 'CR';
    // nothing of a new request (at most skipped empty lines): a clean close, logged only for the
    // first request of the connection (spec §9.7 `CR`; dontlognull drops it when empty)
    if (this.inBuf === undefined && this.requestCount > 1) tx.logged = true;
    this.salvageHead(tx);
    tx.phase = 'done';
    this.queueLog(tx);
    // graceful: earlier answers may still be on their way out
    this.closeClient(false);
  }

  private onClientGone(): void {
    const tx = this.tx;
    if (tx !== undefined && tx.phase !== 'done') {
      if (tx.phase === 'head' && tx.bytesFromClient === 0 && this.inBuf === undefined && this.requestCount > 1) tx.logged = true;
      if (tx.phase === 'head') this.salvageHead(tx);
      this.abort(tx, 'C' + sessionState(tx));
    }
    this.client.destroy();
  }

  private onClientTimeout(): void {
    const tx = this.tx;
    if (tx === undefined || this.closing) {
      this.client.destroy();
      return;
    }
    if (tx.phase === 'head') return; // the head timer decides
    this.abort(tx, tx.phase === 'connecting' ? 'cC' : 'cD');
  }

  private onClientClose(): void {
    this.closed = true;
    if (this.dbg !== undefined) this.dbg.clientGone();
    if (this.softStopTimer !== undefined) clearTimeout(this.softStopTimer);
    if (this.unregisterSoftStop === unwatchSoftStop) this.proxy.unwatchSoftStop?.(this);
    else if (this.unregisterSoftStop !== undefined) this.unregisterSoftStop();
    this.unregisterSoftStop = undefined;
    this.dropHeadTimer();
    if (this.lingering) this.headTimeouts.disarm(this);
    const tx = this.tx;
    if (tx !== undefined && tx.phase !== 'done') {
      if (tx.phase === 'tunnel') tx.termination = '--';
      else tx.termination = 'C' + sessionState(tx);
      if (tx.phase === 'head' && tx.bytesFromClient === 0 && this.inBuf === undefined && this.requestCount > 1) tx.logged = true;
      if (tx.phase === 'head') this.salvageHead(tx);
      if (tx.pending !== undefined) tx.pending.cancel();
      if (tx.tarpitTimer !== undefined) clearTimeout(tx.tarpitTimer);
      if (tx.conn !== undefined) this.dropConn(tx.conn);
      tx.phase = 'done';
      this.queueLog(tx);
    }
    this.dropIdles();
    // the runtime's own 'close' listener ran first: counters are decremented (spec §12.3)
    const logs = this.pendingLogs;
    this.pendingLogs = [];
    for (const t of logs) this.logTransaction(t, false);
  }

  /**
   * Soft stop: a busy connection closes after its response (which says `Connection: close`).
   * An idle keep-alive connection is not cut at once — its client may already have sent the
   * next request, which would be lost in a reset — but answered once more with
   * `Connection: close`; if nothing comes within SOFT_STOP_IDLE_MS it is closed.
   */
  /** SoftStopWatcher: the proxy's soft stop began. */
  onProxySoftStop(): void {
    try {
      this.onSoftStop();
    } catch (err) {
      this.crash(err);
    }
  }

  private onSoftStop(): void {
    if (this.softStopTimer !== undefined || this.closed) return;
    this.softStopTimer = setTimeout(
      this.guard(() => {
        const tx = this.tx;
        if (tx !== undefined && tx.phase === 'head' && tx.bytesFromClient === 0 && this.inBuf === undefined && this.requestCount > 1) {
          tx.logged = true;
          this.closeClient(false);
        }
      }),
      SOFT_STOP_IDLE_MS,
    );
  }

  // ---------------------------------------------------------------- closing

  private sendAndClose(bytes: Buffer): void {
    this.client.write(bytes);
    this.closeClient(false);
  }

  /**
   * Ends the client connection. Pending bytes are flushed and incoming ones discarded (so that
   * a page is not lost to a reset), then the socket is destroyed after LINGER_MS at most.
   */
  private closeClient(hard: boolean, nothingMoreComes = false): void {
    if (this.closed) return;
    this.dropHeadTimer();
    this.dropIdles();
    if (hard) {
      this.closing = true;
      this.client.destroy();
      return;
    }
    if (this.closing) return;
    this.closing = true;
    this.inBuf = undefined;
    this.client.setTimeout(0);
    if (nothingMoreComes && this.client instanceof RawSocket) {
      // the kernel finishes the close (the client's FIN, TIME_WAIT) without waking us again
      this.client.destroySoon();
      return;
    }
    this.client.end();
    this.updateClientFlow();
    this.lingering = true;
    this.headTimeouts.arm(this, LINGER_MS);
  }

  private keepIdle(conn: ServerConn): void {
    const same = this.idles.findIndex((c) => c.server === conn.server);
    if (same >= 0) this.dropConn(this.idles.splice(same, 1)[0]!);
    else if (this.idles.length >= MAX_IDLE_SERVER_CONNS) this.dropConn(this.idles.shift()!);
    this.idles.push(conn);
  }

  private forgetIdle(conn: ServerConn): void {
    const i = this.idles.indexOf(conn);
    if (i >= 0) this.idles.splice(i, 1);
  }

  private dropIdles(): void {
    if (this.idles.length === 0) return;
    const all = this.idles;
    this.idles = [];
    for (const c of all) this.dropConn(c);
  }

  private dropConn(conn: ServerConn): void {
    conn.ended = true;
    if (!conn.socket.destroyed) conn.socket.destroy();
    this.releaseConn(conn);
  }

  private releaseConn(conn: ServerConn): void {
    if (conn.released) return;
    conn.released = true;
    conn.release();
  }

  // ---------------------------------------------------------------- log

  /** Adds the transaction's bytes to its server's counters, once. */
  private accountBytes(tx: Transaction): void {
    if (tx.bytesCounted) return;
    tx.bytesCounted = true;
    tx.conn?.server?.addBytes(tx.bytesFromClient, tx.bytesFromServer);
  }

  /** Logs `tx` once the client socket is closed (now if it already is). */
  private queueLog(tx: Transaction): void {
    this.accountBytes(tx);
    if (tx.logged || tx.endMs >= 0) return;
    tx.endMs = Date.now();
    if (this.closed) this.logTransaction(tx, false);
    else this.pendingLogs.push(tx);
  }

  private logTransaction(tx: Transaction, logasap: boolean): void {
    if (tx.logged) return;
    const r = this.proxy.log.enabled ? trafficRecord(tx, this.proxy, this.px, this.clientAddress, this.clientPort, logasap) : undefined;
    tx.logged = true;
    if (r !== undefined) this.proxy.log.logTraffic(r);
  }


}
