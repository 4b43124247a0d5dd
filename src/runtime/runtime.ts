// The running process's proxies: builds one Proxy per enabled `listen` section with its
// listeners and servers, admits accepted connections under the global and per-proxy maxconn,
// and implements start / pause / resume / softStop / stop. Owns everything it starts; no
// module-global state, so several runtimes can live in one process.
import { RawSocket } from '../io/raw-socket.js';
import type { ProxySocket as Socket } from '../io/socket.js';
import type { Config, ProxyConfig } from '../config/model.js';
import { reportProxyEvent, type ProxyEvent } from '../log/events.js';
import { DebugLog, handleFd } from '../log/debug.js';
import { startChecks, type CheckScheduler } from '../checks/scheduler.js';
import { createHttpSessionHandler } from '../http/session.js';
// stats (issue 10, H8): stats page interceptor and runtime socket
import { createStatsService, type StatsService } from '../stats/service.js';
import { acceptTcpSession } from '../tcp/session.js';
import { createProxyLogger, type ClosableProxyLogger } from '../log/proxy-logger.js';
import { SyslogSender } from '../log/syslog.js';
import { Listener } from './listener.js';
import { processFdLimit, resourceMessage } from './resources.js';
import { CoarseTimeouts } from './timeouts.js';
import { plainAddress } from './monitor-net.js';
import { Proxy, type ProcessCounters } from './proxy.js';
import type { ProxyDebug, RuntimeControl, RuntimeOptions, SessionHandler } from './types.js';

const MONITOR_HTTP_REPLY = 'HTTP/1.0 200 OK\r\n\r\n';
/** Shared by every accepted socket (no closure per connection): errors end sessions through 'close'. */
const ignoreError = (): void => {};
const HEALTH_REPLY = 'OK\n';
/** Fewest connections a proxy holds unread at its limits before resetting new ones. */
const HOLD_MIN = 1024;

// stats (H8): the engine is built per runtime, with the stats interceptor when a proxy has `stats`
/** The http engine receives a socket already flowing-ready, like a plain accept. */
const httpHandlerWith = (accept: SessionHandler): SessionHandler => (proxy, socket, acceptTimeMs) => {
  socket.resume();
  accept(proxy, socket, acceptTimeMs);
};

export interface RuntimeHooks {
  /** Replaces the engine of a mode (tests, benchmarks). */
  readonly handlers?: Partial<Record<'tcp' | 'http', SessionHandler>>;
  /** Replaces log/proxy-logger.ts's createProxyLogger (tests record the records). */
  readonly proxyLogger?: (config: ProxyConfig) => ClosableProxyLogger;
  /** Where `-d` lines go instead of stdout (tests). */
  readonly debugSink?: (line: string) => void;
}

export class Runtime implements RuntimeControl {
  readonly proxies: Proxy[] = [];
  private readonly counters: ProcessCounters = { sessions: 0 };
  private readonly options: RuntimeOptions;
  private readonly handlers: Record<'tcp' | 'http', SessionHandler>;
  private checks: { proxy: Proxy; scheduler: CheckScheduler }[] = [];
  private paused = false;
  private started = false;
  private stopped = false;
  private softStopWaiters: (() => void)[] = [];
  private softStopping = false;
  private admitCursor = 0;
  /** `-d` only: the debug writer and the session id of each accepted socket. */
  private readonly debug: { log: DebugLog; ids: WeakMap<Socket, number> } | undefined;
  private readonly debugView: ProxyDebug | undefined;
  /** Holds the event loop open while paused: no listener may be left to do it. */
  private pauseKeepAlive: NodeJS.Timeout | undefined = undefined;
  private readonly hooks: RuntimeHooks;
  /** stats (H8): the stats page interceptor and the `stats socket` of this runtime. */
  readonly stats: StatsService;
  /** One syslog sender for every proxy: one UDP socket per destination, closed when we stop. */
  private readonly syslog = new SyslogSender();
  /** One driver timer for every session deadline (connect, queue, tunnel inactivity). */
  private readonly timeouts = new CoarseTimeouts();

  constructor(config: Config, options: RuntimeOptions, hooks: RuntimeHooks = {}) {
    this.options = options;
    this.hooks = hooks;
    this.stats = createStatsService(config, {
      proxies: () => this.proxies,
      processSessions: () => this.counters.sessions,
      globalMaxconn: options.globalMaxconn,
      processLog: options.processLog,
      ...(options.processNumber !== undefined ? { processNumber: options.processNumber } : {}),
    });
    if (options.debug === true) {
      const debug = { log: hooks.debugSink !== undefined ? new DebugLog(hooks.debugSink) : new DebugLog(), ids: new WeakMap<Socket, number>() };
      this.debug = debug;
      this.debugView = { log: debug.log, sessionId: (socket: Socket) => debug.ids.get(socket) };
    }
    this.handlers = {
      tcp: hooks.handlers?.tcp ?? acceptTcpSession,
      http: hooks.handlers?.http ?? httpHandlerWith(createHttpSessionHandler({ intercept: this.stats.intercept })),
    };
    const fdLimit = processFdLimit();
    for (const pc of config.proxies) {
      if (!pc.enabled) continue;
      const proxy = this.buildProxy(pc);
      proxy.fdLimit = fdLimit;
      proxy.timeouts = this.timeouts;
      this.proxies.push(proxy);
    }
  }

  private buildProxy(pc: ProxyConfig): Proxy {
    // (the shared close handler below gets the socket as `this`)
    const runtime = this;
    if (pc.options.transparent && pc.balance === undefined && pc.dispatch === undefined) {
      // SO_ORIGINAL_DST is out of reach of Node's net module
      this.options.processLog.warning(
        `proxy ${pc.name}: 'transparent' mode is not supported; connections it cannot balance or dispatch will be closed.`,
      );
    }
    const proxy: Proxy = new Proxy(
      pc,
      this.options.processLog,
      this.counters,
      this.options.defaultProxyMaxconn,
      this.hooks.proxyLogger?.(pc) ?? createProxyLogger(pc, { processLog: this.options.processLog, sender: this.syslog }),
      this.debugView,
    );
    // one 'close' handler per proxy, shared by its sessions' client sockets
    proxy.onClientClose = function (this: Socket): void {
      proxy.addClientBytes(this.bytesRead, this.bytesWritten);
      proxy.clients.delete(this);
      proxy.sessionEnded();
      runtime.sessionEnded();
    };
    for (const b of pc.binds) {
      const last = b.portEnd >= b.port ? b.portEnd : b.port;
      for (let port = b.port; port <= last; port++) {
        const listener: Listener = new Listener(
          b.host,
          port,
          proxy.maxconn,
          (socket) => this.onAccept(proxy, listener, socket),
          (err) => this.onAcceptError(proxy, err as NodeJS.ErrnoException),
        );
        proxy.listeners.push(listener);
      }
    }
    return proxy;
  }

  /** accept() failed: HAProxy's emergency text for fd/memory exhaustion, rate limited; never fatal. */
  private onAcceptError(proxy: Proxy, err: NodeJS.ErrnoException): void {
    const msg = resourceMessage(proxy.config.name, err.code, () => proxy.fdLimit);
    if (!proxy.resourceLogLimit.allow(Date.now())) return;
    if (msg !== undefined) reportProxyEvent(proxy, 'resourceExhausted', msg);
    else this.options.processLog.warning(`Proxy ${proxy.config.name} failed to accept a connection: ${err.message}.`);
  }

  /** Sessions currently running in this runtime. */
  get processSessions(): number {
    return this.counters.sessions;
  }

  /** Binds every listener and starts checks; rejects with the legacy alert text on a bind failure. */
  start(): Promise<void> {
    if (this.started) return Promise.reject(new Error('runtime already started'));
    this.started = true;
    return new Promise((resolve, reject) => {
      const all: { proxy: Proxy; listener: Listener }[] = [];
      for (const proxy of this.proxies) for (const listener of proxy.listeners) all.push({ proxy, listener });
      let i = 0;
      const next = (): void => {
        if (i === all.length) {
          this.afterBind();
          // stats (H8): the runtime socket is bound last; failing to bind it fails the start
          this.stats.startSocket().then(resolve, (err: Error) => {
            this.stop();
            reject(err);
          });
          return;
        }
        const { proxy, listener } = all[i++]!;
        const fd = this.options.inheritedHandles?.get(listener.key)?.fd;
        listener.start(fd, (err) => {
          if (err !== undefined) {
            for (const p of this.proxies) for (const l of p.listeners) l.close();
            this.stopped = true;
            reject(new Error(`Starting proxy ${proxy.config.name}: cannot bind socket [${listener.host}:${listener.port}]`));
            return;
          }
          next();
        });
      };
      next();
    });
  }

  private afterBind(): void {
    for (const proxy of this.proxies) {
      reportProxyEvent(proxy, 'proxyStarted', `Proxy ${proxy.config.name} started.`);
      this.checks.push({ proxy, scheduler: startChecks(proxy) });
    }
  }

  /** Every bound listening socket's fd, keyed like RuntimeOptions.inheritedHandles. */
  listeningHandles(): ReadonlyMap<string, { fd: number }> {
    const m = new Map<string, { fd: number }>();
    for (const p of this.proxies) {
      for (const l of p.listeners) {
        const fd = l.fd;
        if (fd !== undefined && l.isListening) m.set(l.key, { fd });
      }
    }
    return m;
  }

  /** The proxy built from the `listen` section of that name (tests, stats). */
  proxy(name: string): Proxy | undefined {
    return this.proxies.find((p) => p.config.name === name);
  }

  private onAccept(proxy: Proxy, listener: Listener, socket: Socket): void {
    // (a RawSocket never throws for an error nobody listens to)
    if (!(socket instanceof RawSocket)) socket.on('error', ignoreError);
    if (proxy.stopped || this.stopped) {
      socket.destroy();
      return;
    }
    const mode = proxy.config.mode;
    if (mode === 'health') {
      // legacy: answers without reading, needs no server, is not counted
      socket.end(proxy.config.httpCheck !== undefined ? MONITOR_HTTP_REPLY : HEALTH_REPLY);
      socket.destroySoon();
      return;
    }
    if (this.debug !== undefined) this.debugAccept(proxy, listener, socket);
    const o = proxy.config.options;
    if (mode === 'http' && proxy.log.enabled && !o.tcplog && !o.httplog) {
      // legacy: logged at accept in http mode too, even for monitor-net clients (spec §11.1 quirk);
      // the tcp engine logs its own after the monitor-net check
      proxy.log.logConnect(plainAddress(socket.remoteAddress), socket.remotePort ?? 0, plainAddress(socket.localAddress), socket.localPort ?? 0);
    }
    if (proxy.monitor !== undefined && proxy.monitor(plainAddress(socket.remoteAddress))) {
      // legacy: monitoring clients are neither forwarded nor logged nor counted
      if (mode === 'http') {
        socket.end(MONITOR_HTTP_REPLY);
        socket.destroySoon();
      } else socket.destroy();
      return;
    }
    if (this.mustHold(proxy)) {
      // legacy's kernel backlog was `maxconn` long and clients beyond it only retried their SYN
      // later; a reset here would be a refusal, so the hold is never shorter than HOLD_MIN
      if (proxy.held.length >= Math.max(proxy.maxconn, HOLD_MIN)) {
        socket.resetAndDestroy();
        return;
      }
      proxy.held.push({ socket, acceptMs: Date.now() });
      return;
    }
    this.startSession(proxy, socket);
  }

  /** `-d`: `<id>:<proxy>.accept(<listen fd>)=<client fd> from [<ip>:<port>]` (spec §12.7). */
  private debugAccept(proxy: Proxy, listener: Listener, socket: Socket): void {
    const d = this.debug!;
    const id = d.log.newSession();
    d.ids.set(socket, id);
    d.log.accept(id, proxy.config.name, listener.fd ?? -1, handleFd(socket), plainAddress(socket.remoteAddress), socket.remotePort ?? 0);
  }

  private mustHold(proxy: Proxy): boolean {
    // a stopped proxy accepts nothing new, so a pause no longer concerns the clients it holds:
    // they are admitted as its sessions end (see stopProxy)
    return (
      (!proxy.stopped && (this.paused || proxy.paused)) ||
      proxy.currentSessions >= proxy.maxconn ||
      this.counters.sessions >= this.options.globalMaxconn
    );
  }

  private startSession(proxy: Proxy, socket: Socket): void {
    proxy.sessionStarted();
    proxy.clients.add(socket);
    // registered before the engine's own 'close' handlers: logged counters are already decremented
    socket.on('close', proxy.onClientClose);
    const o = proxy.config.options;
    // server sockets get theirs in the connector; both engines share this
    if (o.tcpka || o.clitcpka) socket.setKeepAlive(true);
    const mode = proxy.config.mode === 'http' ? 'http' : 'tcp';
    try {
      this.handlers[mode](proxy, socket, Date.now());
    } catch (err) {
      this.options.processLog.alert(`Proxy ${proxy.config.name}: session error: ${(err as Error).message}`);
      socket.destroy();
    }
  }

  private sessionEnded(): void {
    this.admitHeld();
    if (this.softStopping) this.checkSoftStopDone();
  }

  /** Starts held connections while the limits allow, taking proxies in turn. */
  private admitHeld(): void {
    const n = this.proxies.length;
    if (n === 0) return;
    for (let guard = 0; guard < 100000; guard++) {
      if (this.counters.sessions >= this.options.globalMaxconn) return;
      let admitted = false;
      for (let k = 0; k < n; k++) {
        const proxy = this.proxies[(this.admitCursor + k) % n]!;
        if (proxy.held.length === 0 || this.mustHold(proxy)) continue;
        const h = proxy.held.shift()!;
        this.admitCursor = (this.admitCursor + k + 1) % n;
        if (h.socket.destroyed) continue;
        this.startSession(proxy, h.socket);
        admitted = true;
        break;
      }
      if (!admitted) return;
    }
  }

  /**
   * SIGTTOU (spec §13.3): stop listening so that another process can bind the ports, keep the
   * sessions. Legacy shutdown() its listening sockets and kept them bound; Node can only close
   * a listener, so the ports are released and resume() binds them again (which needs the same
   * privileges as at start-up). Connections already held at maxconn stay held.
   */
  pause(): void {
    if (this.stopped) return;
    this.paused = true;
    this.pauseKeepAlive ??= setInterval(() => {}, 1 << 30);
    for (const proxy of this.proxies) {
      if (proxy.stopped || proxy.paused) continue;
      proxy.paused = true;
      for (const l of proxy.listeners) l.close();
      this.event(proxy, 'proxyPausing', `Pausing proxy ${proxy.config.name}.`);
    }
  }

  /** SIGTTIN: bind and listen again; a port taken meanwhile leaves its proxy paused. */
  resume(): void {
    if (this.stopped) return;
    this.paused = false;
    this.clearPauseKeepAlive();
    for (const proxy of this.proxies) {
      if (proxy.stopped || !proxy.paused) continue;
      this.event(proxy, 'proxyEnabling', `Enabling proxy ${proxy.config.name}.`);
      const closed = proxy.listeners.filter((l) => !l.isListening);
      let left = closed.length;
      let busy = false;
      const done = (): void => {
        if (--left > 0) return;
        if (proxy.stopped || this.stopped) {
          for (const l of proxy.listeners) l.close();
          return;
        }
        if (busy) {
          // legacy: the instance stays paused; what could be bound is released again
          for (const l of proxy.listeners) l.close();
          if (!this.paused) this.pauseKeepAlive ??= setInterval(() => {}, 1 << 30);
          return;
        }
        proxy.paused = false;
        this.admitHeld();
      };
      if (closed.length === 0) {
        left = 1;
        done();
        continue;
      }
      for (const l of closed) {
        l.start(undefined, (err) => {
          if (err !== undefined) {
            busy = true;
            this.event(proxy, 'proxyEnabling', `Port ${l.port} busy while trying to enable proxy ${proxy.config.name}.`);
          }
          done();
        });
      }
    }
    this.admitHeld();
  }

  private clearPauseKeepAlive(): void {
    if (this.pauseKeepAlive !== undefined) clearInterval(this.pauseKeepAlive);
    this.pauseKeepAlive = undefined;
  }

  private event(proxy: Proxy, event: ProxyEvent, message: string): void {
    reportProxyEvent(proxy, event, message);
  }

  softStop(): Promise<void> {
    return new Promise((resolve) => {
      this.softStopWaiters.push(resolve);
      if (!this.softStopping && !this.stopped) {
        this.softStopping = true;
        this.stats.close(); // stats (H8): the runtime socket stops taking commands at once
        // legacy: every proxy announces its stop first; the `stopped` lines follow as each grace ends
        const now: Proxy[] = [];
        for (const proxy of this.proxies) {
          if (proxy.stopping || proxy.stopped) continue;
          proxy.softStopBegan();
          const grace = proxy.config.graceMs > 0 ? proxy.config.graceMs : 0;
          this.event(proxy, 'proxyStopping', `Stopping proxy ${proxy.config.name} in ${grace} ms.`);
          if (grace > 0) proxy.stopTimer = setTimeout(() => this.stopProxy(proxy), grace);
          else now.push(proxy);
        }
        for (const proxy of now) this.stopProxy(proxy);
      }
      this.checkSoftStopDone();
    });
  }

  /** Closes a proxy's listeners; its sessions continue. */
  private stopProxy(proxy: Proxy): void {
    if (proxy.stopped) return;
    proxy.stopped = true;
    if (proxy.stopTimer !== undefined) clearTimeout(proxy.stopTimer);
    proxy.stopTimer = undefined;
    for (const l of proxy.listeners) l.close();
    // Connections held at maxconn stay held: they were accepted from a listening socket that
    // another process may share (a reload), so they are real clients, served as sessions end.
    // The soft stop completes once they are gone too.
    for (const c of this.checks) if (c.proxy === proxy) c.scheduler.stop();
    this.event(proxy, 'proxyStopped', `Proxy ${proxy.config.name} stopped.`);
    this.admitHeld();
    this.checkSoftStopDone();
  }

  private checkSoftStopDone(): void {
    if (this.softStopWaiters.length === 0) return;
    if (!this.stopped) {
      if (!this.softStopping) return;
      for (const p of this.proxies) if (!p.stopped || p.held.length > 0) return;
      if (this.counters.sessions > 0) return;
      this.stopped = true;
      this.clearPauseKeepAlive();
      this.closeLogs();
    }
    const waiters = this.softStopWaiters.splice(0);
    for (const w of waiters) w();
  }

  stop(): void {
    this.clearPauseKeepAlive();
    if (this.stopped && this.softStopWaiters.length === 0) return;
    this.stopped = true;
    for (const proxy of this.proxies) {
      if (proxy.stopTimer !== undefined) clearTimeout(proxy.stopTimer);
      proxy.stopTimer = undefined;
      proxy.stopped = true;
      for (const l of proxy.listeners) l.close();
      for (const h of proxy.held.splice(0)) h.socket.destroy();
      for (const s of [...proxy.clients]) s.destroy();
    }
    for (const c of this.checks) c.scheduler.stop();
    this.checks = [];
    this.stats.close(); // stats (H8)
    this.closeLogs();
    this.checkSoftStopDone();
  }

  private closeLogs(): void {
    for (const p of this.proxies) p.log.close();
    this.syslog.close();
  }
}
