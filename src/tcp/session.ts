// The `mode tcp` session (spec §6, §12.4): connect to a server at accept, pipe both ways with a
// Tunnel, and produce the tcplog record (or the logasap one when connected). A failed connect
// just closes the client (legacy has no error page in tcp mode).
//
// Hot path (a session per connection): the client socket's handlers are shared functions (the
// socket carries its session under a symbol), the session is its own ConnectRequest and the
// tunnel's owner, and the client's addresses are read (getpeername/getsockname syscalls) only
// when something needs them: a log line, `-d`, `balance source`, a port-mapped server.
import type { ProxySocket as Socket } from '../io/socket.js';
import { own } from '../io/raw-socket.js';
import type { TrafficLogRecord } from '../log/types.js';
import type { ConnectRequest, ConnectResult, PendingConnect, ProxyRuntime, ServerRuntime, SessionHandler } from '../runtime/types.js';
import { plainAddress } from '../runtime/monitor-net.js';
import { Tunnel, type TunnelOwner, type TunnelTermination } from './tunnel.js';
import { handleFd } from '../log/debug.js';
import { CoarseTimeouts } from '../runtime/timeouts.js';

/** abortonclose reads ahead while waiting for a server: at most about one legacy buffer. */
const EARLY_BUFFER_BYTES = 16384;

export const acceptTcpSession: SessionHandler = (proxy, socket, acceptTimeMs) => {
  new TcpSession(proxy, socket as SessionSocket, acceptTimeMs);
};

const SESSION = Symbol('tsproxy.tcpSession');

interface SessionSocket extends Socket {
  [SESSION]?: TcpSession;
}

function onEarlyClientError(this: SessionSocket): void {
  // the client went away while we were still connecting or queued
  this[SESSION]?.abortPending();
}

function onClientClose(this: SessionSocket): void {
  this[SESSION]?.clientGone();
}

function onEarlyData(this: SessionSocket, chunk: Buffer): void {
  this[SESSION]?.earlyData(chunk);
}

function onEarlyEnd(this: SessionSocket): void {
  // legacy abortonclose: a client that shut its sending side while waiting is not served
  this[SESSION]?.abortPending();
}

class TcpSession implements ConnectRequest, TunnelOwner {
  private address: string | undefined = undefined;
  private port = -1;
  private localPort = -1;
  readonly direct = undefined;
  private pending: PendingConnect | undefined;
  private server: ServerRuntime | undefined = undefined;
  private tw = -1;
  private tc = -1;
  private bytesFromClient = 0;
  private bytesFromServer = 0;
  private termination = '--';
  private clientClosed = false;
  private done = false;
  private loggedAsap = false;
  private release: (() => void) | undefined;
  /** `-d` only: fds for the closed line, read while the sockets are open. */
  private clientFd = -1;
  private serverFd = -1;
  private tunnelled = false;
  private closedSides = 0;

  constructor(
    private readonly proxy: ProxyRuntime,
    private readonly client: SessionSocket,
    private readonly acceptTimeMs: number,
  ) {
    const cfg = proxy.config;
    client[SESSION] = this;
    client.on('error', onEarlyClientError);
    client.on('close', onClientClose);
    if (proxy.log.enabled) {
      // read now, while the socket is open: the log line is written after it closed
      this.readPeer();
      if (!cfg.options.tcplog && !cfg.options.httplog) {
        proxy.log.logConnect(this.address!, this.port, plainAddress(client.localAddress), this.frontendPort);
      }
    }
    this.pending = proxy.connect(this, this.onConnected);
    if (cfg.options.abortonclose) {
      // read while queued or connecting, to see the client give up; bounded like one buffer
      client.on('data', onEarlyData);
      client.on('end', onEarlyEnd);
      client.resume();
    }
  }

  private readPeer(): void {
    this.address = plainAddress(this.client.remoteAddress);
    this.port = this.client.remotePort ?? 0;
  }

  get clientAddress(): string {
    if (this.address === undefined) this.readPeer();
    return this.address!;
  }

  get clientPort(): number {
    if (this.address === undefined) this.readPeer();
    return this.port;
  }

  get frontendPort(): number {
    if (this.localPort < 0) this.localPort = this.client.localPort ?? 0;
    return this.localPort;
  }

  /** abortonclose: bytes received before the server connection, replayed to it. */
  private early: Buffer[] = [];
  private earlyBytes = 0;

  earlyData(chunk: Buffer): void {
    this.early.push(own(chunk));
    this.earlyBytes += chunk.length;
    if (this.earlyBytes >= EARLY_BUFFER_BYTES) this.client.pause();
  }

  private stopEarlyReading(): void {
    this.client.removeListener('data', onEarlyData);
    this.client.removeListener('end', onEarlyEnd);
    this.client.pause();
  }

  /** The client went away before a server connection: `CQ` in a queue, `CC` while connecting. */
  abortPending(): void {
    if (this.pending === undefined) return;
    this.termination = this.pending.queued === true ? 'CQ' : 'CC';
    this.pending.cancel();
    this.pending = undefined;
    this.end();
  }

  clientGone(): void {
    this.clientClosed = true;
    this.abortPending();
    if (this.done) this.log();
  }

  private readonly onConnected = (r: ConnectResult): void => {
    this.pending = undefined;
    if (this.proxy.config.options.abortonclose) this.stopEarlyReading();
    this.server = r.server;
    this.tw = r.queueMs;
    if (!r.ok) {
      this.termination = r.termination;
      this.end();
      return;
    }
    this.tc = r.connectMs;
    this.release = r.release;
    if (this.proxy.debug !== undefined) {
      this.clientFd = handleFd(this.client);
      this.serverFd = handleFd(r.socket);
    }
    const cfg = this.proxy.config;
    if (cfg.options.logasap && this.proxy.log.enabled && (cfg.options.tcplog || cfg.options.httplog)) {
      this.loggedAsap = true;
      this.proxy.log.logTraffic(this.record(true));
    }
    const server = r.server;
    if (this.early.length > 0) {
      for (const chunk of this.early) r.socket.write(chunk);
      this.bytesFromClient += this.earlyBytes;
      if (server !== undefined) server.addBytes(this.earlyBytes, 0);
      this.early = [];
    }
    this.tunnelled = this.proxy.debug !== undefined;
    const timeouts = this.proxy.timeouts ?? new CoarseTimeouts();
    new Tunnel(this.client, r.socket, cfg.clientTimeoutMs, cfg.serverTimeoutMs, timeouts, this, this.tunnelled);
  };

  tunnelEnded(termination: TunnelTermination): void {
    this.termination = termination;
    this.end();
  }

  tunnelBytes(fromClient: number, fromServer: number): void {
    this.bytesFromClient += fromClient;
    this.bytesFromServer += fromServer;
    if (this.server !== undefined) this.server.addBytes(fromClient, fromServer);
  }

  /** `-d`: legacy order, clicls / srvcls as each side closes, then closed. */
  tunnelSocketClosed(side: 'client' | 'server'): void {
    const debug = this.proxy.debug;
    if (debug === undefined) return;
    const id = debug.sessionId(this.client);
    if (id === undefined) return;
    const name = this.proxy.config.name;
    debug.log.close(side === 'client' ? 'clicls' : 'srvcls', id, name, this.clientFd, this.serverFd);
    if (++this.closedSides === 2) debug.log.close('closed', id, name, this.clientFd, this.serverFd);
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    const debug = this.proxy.debug;
    // a tunnelled session writes its closed line when both sockets have closed
    if (debug !== undefined && !this.tunnelled) {
      const id = debug.sessionId(this.client);
      if (id !== undefined) {
        if (this.clientFd < 0) this.clientFd = handleFd(this.client);
        debug.log.close('closed', id, this.proxy.config.name, this.clientFd, this.serverFd);
      }
    }
    if (this.release !== undefined) this.release();
    this.client.destroy();
    // logged after the client's 'close', when the runtime has decremented the session counters
    if (this.clientClosed) this.log();
  }

  private log(): void {
    if (this.loggedAsap) return;
    this.loggedAsap = true;
    const cfg = this.proxy.config;
    if (!this.proxy.log.enabled || !(cfg.options.tcplog || cfg.options.httplog)) return;
    this.proxy.log.logTraffic(this.record(false));
  }

  private record(asap: boolean): TrafficLogRecord {
    const s = this.server;
    return {
      proxyName: this.proxy.config.name,
      mode: 'tcp',
      clientAddress: this.address ?? '',
      clientPort: this.port,
      acceptTimeMs: this.acceptTimeMs,
      serverName: s?.config.name,
      tq: -1,
      tw: this.tw,
      tc: this.tc,
      tr: -1,
      tt: Date.now() - this.acceptTimeMs,
      status: -1,
      bytesFromServer: this.bytesFromServer,
      bytesFromClient: this.bytesFromClient,
      capturedRequestCookie: undefined,
      capturedResponseCookie: undefined,
      termination: asap ? '--' : this.termination,
      cookieFlags: '--',
      serverConnections: s?.currentSessions ?? 0,
      proxyConnections: this.proxy.currentSessions,
      processConnections: this.proxy.processSessions,
      serverQueue: s?.queueLength ?? 0,
      proxyQueue: this.proxy.queueLength,
      requestHeaders: undefined,
      responseHeaders: undefined,
      requestLine: undefined,
      logasap: asap,
    };
  }
}
