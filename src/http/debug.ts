// `-d` trace of one HTTP client connection (spec §12.7): every request and response head line as
// received, then clicls / srvcls as the client and each server connection close, and closed once
// all of them have. Built only when the runtime runs with -d; the session holds none otherwise.
import type { ProxySocket as Socket } from '../io/socket.js';
import { handleFd, type DebugLog } from '../log/debug.js';
import type { ProxyDebug } from '../runtime/types.js';

/** legacy: a server fd not known yet (no server connection) prints `ffff`. */
const NO_FD = -1;

export class HttpDebugTrace {
  private readonly log: DebugLog;
  private readonly clientFd: number;
  /** The fd of the last server connection opened, for the close lines. */
  private serverFd = NO_FD;
  private openServers = 0;
  private clientClosed = false;
  private done = false;

  constructor(
    debug: ProxyDebug,
    private readonly id: number,
    private readonly proxyName: string,
    client: Socket,
  ) {
    this.log = debug.log;
    this.clientFd = handleFd(client);
  }

  /** The trace for `client`, or undefined when the runtime gave it no session id. */
  static of(debug: ProxyDebug, proxyName: string, client: Socket): HttpDebugTrace | undefined {
    const id = debug.sessionId(client);
    return id === undefined ? undefined : new HttpDebugTrace(debug, id, proxyName, client);
  }

  /** legacy printed what the client sent, before any rewriting; no server connection yet. */
  requestHead(lines: readonly string[]): void {
    for (const line of lines) this.log.header('clihdr', this.id, this.proxyName, this.clientFd, NO_FD, line);
  }

  responseHead(lines: readonly string[], serverFd: number): void {
    for (const line of lines) this.log.header('srvhdr', this.id, this.proxyName, this.clientFd, serverFd, line);
  }

  /** A server connection opened; returns its fd (read now: a closed socket no longer has one). */
  serverOpened(socket: Socket): number {
    const fd = handleFd(socket);
    this.serverFd = fd;
    this.openServers += 1;
    return fd;
  }

  serverClosed(fd: number): void {
    if (this.openServers > 0) this.openServers -= 1;
    this.log.close('srvcls', this.id, this.proxyName, this.clientFd, fd);
    this.maybeClosed();
  }

  clientGone(): void {
    if (this.clientClosed) return;
    this.clientClosed = true;
    this.log.close('clicls', this.id, this.proxyName, this.clientFd, this.serverFd);
    this.maybeClosed();
  }

  private maybeClosed(): void {
    if (this.done || !this.clientClosed || this.openServers > 0) return;
    this.done = true;
    this.log.close('closed', this.id, this.proxyName, this.clientFd, this.serverFd);
  }
}
