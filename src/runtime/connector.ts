// One request for a server connection (spec §7.4-§7.6, DESIGN.md decision 8): assign a server
// (cookie, balancer or dispatch), wait in a queue when it is full, connect with contimeout per
// attempt, retry on refusal/timeout, redispatch the last retry, and report once through the
// callback. Callback-based: no promise per connection.
import net from 'node:net';
import type { ProxySocket as Socket } from '../io/socket.js';
import { RawSocket, rawSocketsEnabled } from '../io/raw-socket.js';

type RawConnectOpts = Parameters<typeof RawSocket.connect>[0];
import type { ServerAddress, SourceAddress } from '../config/model.js';
import type { ConnectRequest, ConnectResult, PendingConnect } from './types.js';
import type { QueuedSession, Server } from './server.js';
import { destinationPort } from '../lb/select.js';
import { reportProxyEvent } from '../log/events.js';
import { resourceMessage } from './resources.js';
import type { Expiring } from './timeouts.js';
import type { Proxy } from './proxy.js';

type FailTerm = 'SC' | 'sC' | 'sQ';

const noop = () => {};

// Shared by every attempt (no closure per connection): the socket carries its attempt.
const ATTEMPT = Symbol('tsproxy.connectAttempt');

interface AttemptSocket extends Socket {
  [ATTEMPT]?: ConnectAttempt;
}

function onSocketConnect(this: AttemptSocket): void {
  this[ATTEMPT]?.connected();
}

function onSocketError(this: AttemptSocket, err: NodeJS.ErrnoException): void {
  this[ATTEMPT]?.errored(err);
}

/** The attempt stops watching its socket (connected, failed or given up). */
function unwatch(socket: AttemptSocket): void {
  if (socket instanceof RawSocket) {
    socket.connectWatcher = undefined;
    return;
  }
  socket.removeListener('connect', onSocketConnect);
  socket.removeListener('error', onSocketError);
  socket[ATTEMPT] = undefined;
  // an engine attaches its own handlers; this one only keeps a late error from crashing (a
  // RawSocket never throws for an unheard error)
  socket.on('error', noop);
}

function start(attempt: ConnectAttempt): void {
  attempt.start();
}

function unusablePort(attempt: ConnectAttempt): void {
  attempt.unusablePort();
}

function isAnySource(src: SourceAddress): boolean {
  return src.port === 0 && (src.host === '0.0.0.0' || src.host === '::' || src.host === '');
}

export class ConnectAttempt implements PendingConnect, QueuedSession, Expiring {
  exclude: Server | undefined = undefined;
  private server: Server | undefined = undefined;
  private toDispatch = false;
  private slotHeld = false;
  private retriesLeft: number;
  private retryCount = 0;
  private redispatched = false;
  private finished = false;
  private queuedIn: 'server' | 'proxy' | undefined = undefined;
  private queueStartMs = 0;
  private queueMs = 0;
  private connectStartMs = -1;
  private socket: AttemptSocket | undefined = undefined;
  /** contimeout of the attempt or of the queue wait (runtime/timeouts.ts). */
  deadlineMs = 0;
  timeoutSlot = -1;
  timeoutIndex = 0;
  private lastTerm: FailTerm = 'sC';

  constructor(
    private readonly proxy: Proxy,
    private readonly request: ConnectRequest,
    private readonly done: (result: ConnectResult) => void,
  ) {
    this.retriesLeft = proxy.config.retries;
    process.nextTick(start, this);
  }

  /** Next tick after construction: the engine has its PendingConnect by now. */
  start(): void {
    if (this.finished) return;
    const proxy = this.proxy;
    const d = this.request.direct;
    const a = this.request.assigned;
    // the engine hands back one of this proxy's servers; find our own object for it
    if (d !== undefined) this.assign(proxy.servers[d.index]);
    else if (a !== undefined && proxy.servers[a.index] !== undefined) {
      // already picked by the balancer through pickServer(): a balanced session
      this.useServer(proxy.servers[a.index]!);
    } else this.assign(undefined);
  }

  get queued(): boolean {
    return this.queuedIn !== undefined;
  }

  cancel(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    this.leaveQueue();
    if (this.socket !== undefined) {
      this.socket.destroy();
      this.socket = undefined;
    }
    this.releaseSlot();
  }

  /** A queue handed us a slot on `server` (the slot is already taken). */
  grant(server: Server): void {
    this.clearTimer();
    this.queuedIn = undefined;
    this.queueMs += Date.now() - this.queueStartMs;
    this.server = server;
    this.slotHeld = true;
    this.attempt();
  }

  private assign(direct: Server | undefined): void {
    if (direct !== undefined) {
      this.useServer(direct);
      return;
    }
    const cfg = this.proxy.config;
    if (cfg.balance !== undefined) {
      const r = this.proxy.pickBalanced(this.request, this.exclude);
      if (r.server !== undefined) this.useServer(r.server);
      else if (r.full) this.enqueue(undefined);
      // legacy: no server at all is a connect timeout without a network attempt
      else this.fail(this.exclude !== undefined ? this.lastTerm : 'sC');
      return;
    }
    if (cfg.dispatch !== undefined) {
      this.server = undefined;
      this.toDispatch = true;
      this.attempt();
      return;
    }
    this.fail('sC');
  }

  private useServer(server: Server): void {
    this.server = server;
    if (server.hasSlot() && server.queue.length === 0) {
      server.takeSlot();
      this.slotHeld = true;
      this.attempt();
    } else {
      this.enqueue(server);
    }
  }

  private enqueue(server: Server | undefined): void {
    this.queueStartMs = Date.now();
    if (server !== undefined) {
      this.queuedIn = 'server';
      server.enqueue(this);
    } else {
      this.queuedIn = 'proxy';
      this.proxy.enqueue(this);
    }
    const ms = this.proxy.config.connectTimeoutMs;
    // legacy 1.2.13: contimeout also bounds the time spent in a queue
    if (ms > 0) this.proxy.timeouts.arm(this, ms);
  }

  private leaveQueue(): void {
    if (this.queuedIn === undefined) return;
    const q = this.queuedIn === 'server' && this.server !== undefined ? this.server.queue : this.proxy.queue;
    const i = q.indexOf(this);
    if (i >= 0) q.splice(i, 1);
    this.queuedIn = undefined;
  }

  /** contimeout passed: in a queue (sQ) or while connecting (sC). */
  expired(): void {
    if (this.finished) return;
    if (this.queuedIn !== undefined) this.queueTimedOut();
    else if (this.socket !== undefined) this.connectTimedOut();
  }

  private queueTimedOut(): void {
    this.leaveQueue();
    this.queueMs += Date.now() - this.queueStartMs;
    this.fail('sQ');
  }

  private attempt(): void {
    if (this.connectStartMs < 0) this.connectStartMs = Date.now();
    const cfg = this.proxy.config;
    let address: ServerAddress;
    let source: SourceAddress | undefined;
    if (this.toDispatch || this.server === undefined) {
      address = cfg.dispatch!;
      source = cfg.source;
    } else {
      address = this.server.config.address;
      // the server's own `source` wins over the proxy's
      source = this.server.config.source ?? cfg.source;
    }
    // (the frontend port may cost a getsockname(): read it only for a port-mapped address)
    const port = address.port.kind === 'absolute' ? address.port.port : destinationPort(address.port, this.request.frontendPort);
    if (port === 0) {
      process.nextTick(unusablePort, this);
      return;
    }
    const opts: net.NetConnectOpts = { host: address.host, port, allowHalfOpen: true, noDelay: true };
    if (source !== undefined && !isAnySource(source)) {
      opts.localAddress = source.host;
      if (source.port > 0) opts.localPort = source.port;
    }
    let socket: Socket;
    try {
      // an IP literal (every resolved server address) goes through a RawSocket (io/raw-socket.ts)
      socket = rawSocketsEnabled && net.isIP(address.host) !== 0 ? RawSocket.connect(opts as RawConnectOpts) : net.connect(opts);
    } catch {
      process.nextTick(unusablePort, this);
      return;
    }
    const s = socket as AttemptSocket;
    this.socket = s;
    // a RawSocket reports to its watcher directly (no listeners, no property added to it)
    if (socket instanceof RawSocket) socket.connectWatcher = this;
    else {
      s[ATTEMPT] = this;
      s.on('connect', onSocketConnect);
      s.on('error', onSocketError);
    }
    const ms = cfg.connectTimeoutMs;
    if (ms > 0) this.proxy.timeouts.arm(this, ms);
  }

  /** No usable destination port, or net.connect() threw: a failed attempt, next tick. */
  unusablePort(): void {
    if (!this.finished) this.attemptFailed('SC');
  }

  connected(): void {
    const socket = this.socket!;
    this.clearTimer();
    unwatch(socket);
    this.socket = undefined;
    const o = this.proxy.config.options;
    if (o.tcpka || o.srvtcpka) socket.setKeepAlive(true);
    this.finished = true;
    const server = this.toDispatch ? undefined : this.server;
    if (server !== undefined) server.totalSessions++;
    let released = false;
    this.done({
      ok: true,
      socket,
      server,
      redispatched: this.redispatched,
      retries: this.retryCount,
      queueMs: this.queueMs,
      connectMs: Date.now() - this.connectStartMs,
      release: () => {
        if (released) return;
        released = true;
        this.releaseSlot();
      },
    });
  }

  errored(err: NodeJS.ErrnoException): void {
    this.clearTimer();
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'EADDRINUSE') this.localBindFailed(err.code);
    else {
      const msg = resourceMessage(this.proxy.config.name, err.code, () => this.proxy.fdLimit);
      if (msg !== undefined && this.proxy.resourceLogLimit.allow(Date.now())) reportProxyEvent(this.proxy, 'resourceExhausted', msg);
    }
    this.dropSocket();
    this.attemptFailed('SC');
  }

  /** Legacy emerg messages for a source address that cannot be used (spec §12.7). */
  private localBindFailed(code: string): void {
    const name = `${this.proxy.config.name}/${this.server?.config.name ?? '<dispatch>'}`;
    const msg =
      code === 'EADDRINUSE'
        ? `Connect() failed for server ${name}: local address already in use.`
        : `Cannot bind to source address before connect() for server ${name}.`;
    reportProxyEvent(this.proxy, 'resourceExhausted', msg);
  }

  private connectTimedOut(): void {
    this.dropSocket();
    this.attemptFailed('sC');
  }

  private dropSocket(): void {
    const s = this.socket;
    if (s === undefined) return;
    this.socket = undefined;
    unwatch(s);
    s.destroy();
  }

  private attemptFailed(term: FailTerm): void {
    if (this.finished) return;
    this.lastTerm = term;
    if (this.retriesLeft <= 0) {
      this.fail(term);
      return;
    }
    this.retriesLeft--;
    this.retryCount++;
    const failed = this.toDispatch ? undefined : this.server;
    if (failed !== undefined) failed.retries++;
    const cfg = this.proxy.config;
    if (this.retriesLeft === 0 && cfg.options.redispatch && failed !== undefined) {
      this.redispatch(failed);
      return;
    }
    this.attempt();
  }

  /** The last retry goes to another server; the one that failed counts as down for this choice. */
  private redispatch(failed: Server): void {
    const cfg = this.proxy.config;
    if (cfg.balance !== undefined) {
      if (!this.proxy.balancer.hasEligible(failed)) {
        this.fail(this.lastTerm);
        return;
      }
      this.releaseSlot();
      failed.redispatches++;
      this.redispatched = true;
      this.exclude = failed;
      this.server = undefined;
      this.assign(undefined);
      return;
    }
    if (cfg.dispatch !== undefined) {
      this.releaseSlot();
      failed.redispatches++;
      this.redispatched = true;
      this.server = undefined;
      this.toDispatch = true;
      this.attempt();
      return;
    }
    this.fail(this.lastTerm);
  }

  private releaseSlot(): void {
    if (!this.slotHeld) return;
    this.slotHeld = false;
    this.server?.freeSlot();
  }

  private clearTimer(): void {
    if (this.deadlineMs !== 0) this.proxy.timeouts.disarm(this);
  }

  private fail(term: FailTerm): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimer();
    const server = this.toDispatch ? undefined : this.server;
    if (term !== 'sQ' && server !== undefined && this.connectStartMs >= 0) server.connectErrors++;
    this.releaseSlot();
    this.done({
      ok: false,
      termination: term,
      server,
      redispatched: this.redispatched,
      retries: this.retryCount,
      queueMs: this.queueMs,
    });
  }
}
