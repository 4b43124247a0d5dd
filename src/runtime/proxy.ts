// One running `listen` section: its servers, balancer, proxy queue, counters and logger, and
// the admission bookkeeping (current sessions, connections held back at maxconn). Listeners
// and sessions are driven by runtime/runtime.ts; engines use it through ProxyRuntime.
import type { ProxySocket as Socket } from '../io/socket.js';
import type { ProxyConfig } from '../config/model.js';
import type { ProcessLog } from '../log/types.js';
import { createProxyLogger, type ClosableProxyLogger } from '../log/proxy-logger.js';
import { Balancer } from '../lb/balancer.js';
import { findServerByCookie } from '../lb/select.js';
import { ConnectAttempt } from './connector.js';
import { Server, type QueuedSession, type ServerOwner } from './server.js';
import type { ConnectRequest, ConnectResult, PendingConnect, ProxyDebug, ServerRuntime, SoftStopWatcher } from './types.js';
import { compileMonitorNets, type MonitorMatcher } from './monitor-net.js';
import type { Listener } from './listener.js';
import { RateLimit } from './resources.js';
import { CoarseTimeouts } from './timeouts.js';

/** A server that can take a session now: a free slot and nobody queued before us. */
function canTakeNow(s: Server): boolean {
  return s.hasSlot() && s.queue.length === 0;
}

/** Counters shared by the proxies of one runtime (never module-global). */
export interface ProcessCounters {
  sessions: number;
}

export class Proxy implements ServerOwner {
  readonly config: ProxyConfig;
  readonly servers: Server[];
  readonly log: ClosableProxyLogger;
  readonly processLog: ProcessLog;
  readonly balancer: Balancer<Server>;
  /** Load-balanced sessions waiting for any server slot (spec §7.6). */
  readonly queue: QueuedSession[] = [];
  readonly maxconn: number;
  readonly fullconn: number;
  readonly monitor: MonitorMatcher | undefined;
  readonly listeners: Listener[] = [];
  /** Accepted connections not yet admitted (maxconn reached or paused): our accept backlog. */
  readonly held: { socket: Socket; acceptMs: number }[] = [];
  /** Client sockets of running sessions, so stop() can cut them. */
  readonly clients = new Set<Socket>();
  /** The runtime's 'close' handler for this proxy's client sockets (`this` is the socket). */
  onClientClose: (this: Socket) => void = () => {};
  currentSessions = 0;
  totalSessions = 0;
  // stats counters (optional members of ProxyRuntime)
  maxSessions = 0;
  maxQueueLength = 0;
  bytesIn = 0;
  bytesOut = 0;
  httpRequests = 0;
  /** HTTP responses by class [1xx, 2xx, 3xx, 4xx, 5xx, other]. */
  readonly httpResponses: number[] = [0, 0, 0, 0, 0, 0];
  private readonly softStopListeners = new Set<() => void>();
  private readonly softStopWatchers = new Set<SoftStopWatcher>();
  /** One resource-exhaustion message per second at most. */
  readonly resourceLogLimit = new RateLimit(1000);
  /** The open-files limit, read at start-up: at EMFILE time /proc cannot be opened any more. */
  fdLimit: number | undefined = undefined;
  deniedRequests = 0;
  deniedResponses = 0;
  requestErrors = 0;
  paused = false;
  /** softStop() called: `stopTimer` closes the listeners after `grace`. */
  stopping = false;
  /** Listeners closed. */
  stopped = false;
  stopTimer: NodeJS.Timeout | undefined = undefined;
  /** Connect, queue and tunnel deadlines (the runtime shares one among its proxies). */
  timeouts = new CoarseTimeouts();
  private readonly hasDynamicLimits: boolean;
  readonly debug: ProxyDebug | undefined;

  constructor(
    config: ProxyConfig,
    processLog: ProcessLog,
    private readonly counters: ProcessCounters,
    defaultMaxconn: number,
    logger?: ClosableProxyLogger,
    debug?: ProxyDebug,
  ) {
    this.debug = debug;
    this.config = config;
    this.processLog = processLog;
    this.log = logger ?? createProxyLogger(config);
    this.maxconn = config.maxconn !== undefined && config.maxconn > 0 ? config.maxconn : defaultMaxconn;
    this.fullconn = config.fullconn !== undefined && config.fullconn > 0 ? config.fullconn : this.maxconn;
    const now = Date.now();
    this.servers = config.servers.map((s, i) => new Server(this, s, i, now));
    this.balancer = new Balancer(this.servers, config.balance ?? 'roundrobin', config.options.allbackups);
    this.monitor = compileMonitorNets(config.monitorNets);
    this.hasDynamicLimits = this.servers.some((s) => s.minconn < s.maxconn);
  }

  get processSessions(): number {
    return this.counters.sessions;
  }

  get queueLength(): number {
    return this.queue.length;
  }

  countDeniedRequest(): void {
    this.deniedRequests++;
  }

  countDeniedResponse(): void {
    this.deniedResponses++;
  }

  countRequestError(): void {
    this.requestErrors++;
  }

  connect(request: ConnectRequest, done: (result: ConnectResult) => void): PendingConnect {
    return new ConnectAttempt(this, request, done);
  }

  /** The balancer's choice for a client (counted in the server's lbTotal); `full` = every eligible server is at its limit. */
  pickBalanced(request: ConnectRequest, exclude?: Server): { server: Server | undefined; full: boolean } {
    const r = this.balancer.pick(this.sourceOf(request), canTakeNow, exclude);
    if (r.server !== undefined) r.server.lbTotal++;
    return r;
  }

  /** What connect() would pick now for a balanced request (the rotation advances). */
  pickServer(request: ConnectRequest): ServerRuntime | undefined {
    if (request.direct !== undefined) return request.direct;
    if (this.config.balance === undefined) return undefined;
    const r = this.balancer.pick(this.sourceOf(request), canTakeNow);
    // only a server that can take the session now: a full farm goes through connect()'s queue
    if (r.server === undefined || !r.server.hasSlot()) return undefined;
    r.server.lbTotal++;
    return r.server;
  }

  /** The client address, read only for `balance source` (reading it may cost a syscall). */
  private sourceOf(request: ConnectRequest): string {
    return this.config.balance === 'source' ? request.clientAddress : '';
  }

  enqueue(q: QueuedSession): void {
    this.queue.push(q);
    if (this.queue.length > this.maxQueueLength) this.maxQueueLength = this.queue.length;
  }

  watchSoftStop(w: SoftStopWatcher): void {
    this.softStopWatchers.add(w);
  }

  unwatchSoftStop(w: SoftStopWatcher): void {
    this.softStopWatchers.delete(w);
  }

  onSoftStop(fn: () => void): () => void {
    this.softStopListeners.add(fn);
    return () => this.softStopListeners.delete(fn);
  }

  /** The runtime's softStop() began for this proxy. */
  softStopBegan(): void {
    this.stopping = true;
    for (const fn of [...this.softStopListeners]) {
      try {
        fn();
      } catch {
        // an engine's callback must not stop the others
      }
    }
    for (const w of [...this.softStopWatchers]) {
      try {
        w.onProxySoftStop();
      } catch {
        // an engine's callback must not stop the others
      }
    }
  }

  countHttpRequest(): void {
    this.httpRequests++;
  }

  countHttpResponse(status: number, server: ServerRuntime | undefined): void {
    const k = status >= 100 && status < 600 ? Math.floor(status / 100) - 1 : 5;
    this.httpResponses[k]!++;
    if (server !== undefined) {
      const own = this.servers[server.index];
      if (own !== undefined) own.httpResponses[k]!++;
    }
  }

  /** Client bytes of a finished session (both engines: read from the client socket). */
  addClientBytes(fromClient: number, toClient: number): void {
    this.bytesIn += fromClient;
    this.bytesOut += toClient;
  }

  findServerByCookie(value: string): { server: ServerRuntime | undefined; down: boolean } {
    return findServerByCookie(this.servers, value, this.config.options.persist);
  }

  usableCounts(): { active: number; backup: number } {
    let active = 0;
    let backup = 0;
    for (const s of this.servers) {
      if (!s.usable) continue;
      if (s.backup) backup++;
      else active++;
    }
    return { active, backup };
  }

  serverChanged(server: Server, wentDown: boolean): { requeued: number } {
    this.balancer.invalidate();
    let requeued = 0;
    // legacy 1.2.13: a server going down hands its queue to the others only with redispatch
    if (wentDown && this.config.options.redispatch && server.queue.length > 0) {
      requeued = server.queue.length;
      this.queue.unshift(...server.queue.splice(0));
      if (this.queue.length > this.maxQueueLength) this.maxQueueLength = this.queue.length;
      for (const s of this.servers) if (s !== server) this.serverSlotFreed(s);
    }
    return { requeued };
  }

  /** Hands free slots of `server` to its own queue first, then to the proxy queue (spec §7.6). */
  serverSlotFreed(server: Server): void {
    for (let guard = 0; guard < 100000 && server.hasSlot(); guard++) {
      let next = server.queue.shift();
      if (next === undefined) {
        if (this.queue.length === 0 || !server.usable || !this.balancer.isEligible(server)) return;
        const i = this.queue.findIndex((q) => q.exclude !== server);
        if (i < 0) return;
        next = this.queue.splice(i, 1)[0]!;
      }
      server.takeSlot();
      next.grant(server);
    }
  }

  /** A session was admitted: dynamic limits may have grown. */
  sessionStarted(): void {
    if (++this.currentSessions > this.maxSessions) this.maxSessions = this.currentSessions;
    this.totalSessions++;
    this.counters.sessions++;
    if (this.hasDynamicLimits) for (const s of this.servers) if (s.queue.length > 0 || this.queue.length > 0) this.serverSlotFreed(s);
  }

  sessionEnded(): void {
    this.currentSessions--;
    this.counters.sessions--;
  }
}
