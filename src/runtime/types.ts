// Contracts between the runtime (listeners, servers, balancing, connect) and the engines that
// use it (tcp/, http/, checks/, stats/, cli/). runtime/ implements them; the others only call.
import type { ProxySocket as Socket } from '../io/socket.js';
import type { ProxyConfig, ServerConfig } from '../config/model.js';
import type { ProxyLogger, ProcessLog } from '../log/types.js';
import type { DebugLog } from '../log/debug.js';
import type { CoarseTimeouts } from './timeouts.js';

/**
 * A server's live state. Owned by runtime/server.ts; health checks flip `state` through
 * `setUp`/`setDown`, the stats socket through `setMaintenance`/`setWeight`.
 */
export interface ServerRuntime {
  readonly config: ServerConfig;
  readonly proxy: ProxyRuntime;
  /** Position in the `listen` section (declaration order, 0-based). */
  readonly index: number;
  /** Health state (spec §8.1): servers start UP. */
  readonly state: 'UP' | 'DOWN';
  /** Administrative maintenance (`disable server`): no new sessions, checks stopped. */
  readonly maintenance: boolean;
  /** Current effective weight (config weight unless `set weight`). */
  readonly weight: number;
  /** UP, not in maintenance. */
  readonly usable: boolean;
  /** Sessions currently assigned (connected or connecting). */
  readonly currentSessions: number;
  /** Highest concurrent session count seen (stats `smax`). */
  readonly maxSessions: number;
  readonly totalSessions: number;
  /** Current per-server limit (stats `slim`; dynamic with minconn, spec §7.6); 0 = unlimited. */
  readonly sessionLimit?: number;
  /** Sessions waiting in this server's queue (spec §7.6). */
  readonly queueLength: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly connectErrors: number;
  readonly responseErrors: number;
  readonly retries: number;
  readonly redispatches: number;
  /** Date.now() of the last UP/DOWN change (start time initially). */
  readonly lastChangeMs: number;
  /** Total ms spent DOWN. */
  readonly downtimeMs: number;
  /** Human-readable last check result for stats ('L4OK', 'L7STS', 'L4TOUT', …), '' if none. */
  readonly checkStatus: string;
  setCheckStatus(status: string): void;
  /** Marks the server UP/DOWN; returns the counts the 1.2.14 state messages print. */
  setUp(): StateChangeCounts;
  setDown(): StateChangeCounts;
  setMaintenance(on: boolean): void;
  setWeight(weight: number): void;
  addBytes(fromClient: number, fromServer: number): void;
  countResponseError(): void;
  // Optional stats counters (added for issue 10, src/stats/; rendered '' when absent).
  /** Health-check counter 0..rise+fall-1 (checks/state.ts): shows "going up/down" on the stats page. */
  readonly checkHealth?: number;
  /** Failed checks while the server was UP (CSV `chkfail`). */
  readonly checkFailures?: number;
  /** UP→DOWN transitions (CSV `chkdown`). */
  readonly downTransitions?: number;
  /** Times the balancer or a redispatch picked this server (CSV `lbtot`). */
  readonly lbTotal?: number;
  /** Highest queue length seen (CSV `qmax`). */
  readonly maxQueueLength?: number;
  /** HTTP responses by class [1xx, 2xx, 3xx, 4xx, 5xx, other] (CSV `hrsp_*`). */
  readonly httpResponses?: readonly number[];
  /** The check loop reports the counter after each result, so the server can keep checkHealth/checkFailures. */
  setCheckHealth?(health: number, ok: boolean): void;
}

export interface StateChangeCounts {
  /** Usable active and backup servers left in the proxy after the change. */
  readonly activeLeft: number;
  readonly backupLeft: number;
  /** Sessions still on the server, requeued elsewhere, and left in its queue (1.2.13+ text). */
  readonly sessionsActive: number;
  readonly requeued: number;
  readonly remainingInQueue: number;
}

/** What an engine asks of the runtime to obtain a server connection (spec §7). */
export interface ConnectRequest {
  readonly clientAddress: string;
  readonly clientPort: number;
  /** The local port the client connected to: mapped server ports add their offset to it. */
  readonly frontendPort: number;
  /** Server chosen by a persistence cookie (spec §7.3); undefined = let the balancer choose. */
  readonly direct: ServerRuntime | undefined;
  /**
   * Optional (added by the HTTP engine): a server the balancer already picked for this
   * load-balanced request through `ProxyRuntime.pickServer`. The runtime connects there
   * instead of picking again (retries and redispatch as for any balanced session).
   */
  readonly assigned?: ServerRuntime;
}

export type ConnectResult =
  | {
      readonly ok: true;
      readonly socket: Socket;
      /** undefined when connected to the `dispatch` address. */
      readonly server: ServerRuntime | undefined;
      /** True when the last retry went to another server (`redispatch`, log cookie flag `D`). */
      readonly redispatched: boolean;
      /** Failed attempts before this one. */
      readonly retries: number;
      /** ms waited in a queue (Tw) and spent connecting (Tc). */
      readonly queueMs: number;
      readonly connectMs: number;
      /**
       * Must be called exactly once when this server connection is no longer used for the
       * session (closed, or returned to a keep-alive pool): frees the server's slot and
       * dequeues the next waiting session.
       */
      release(): void;
    }
  | {
      readonly ok: false;
      /** Termination pair for the log: 'SC' refused/error, 'sC' timeout or no server, 'sQ' queue timeout. */
      readonly termination: 'SC' | 'sC' | 'sQ';
      /** Last server tried, if any. */
      readonly server: ServerRuntime | undefined;
      readonly redispatched: boolean;
      readonly retries: number;
      readonly queueMs: number;
    };

export interface PendingConnect {
  /** Client went away: leave the queue / abort the connect attempt; the callback is not called. */
  cancel(): void;
  /** True while waiting in a server or proxy queue (an abort then logs `CQ` rather than `CC`). */
  readonly queued?: boolean;
}

/** Something told when its proxy's soft stop begins (an HTTP session). */
export interface SoftStopWatcher {
  onProxySoftStop(): void;
}

/** A running `listen` section. */
export interface ProxyRuntime {
  readonly config: ProxyConfig;
  readonly servers: readonly ServerRuntime[];
  readonly log: ProxyLogger;
  readonly processLog: ProcessLog;
  /** Sessions currently open on this proxy / in the whole runtime (log counters). */
  readonly currentSessions: number;
  readonly processSessions: number;
  readonly totalSessions: number;
  /** Sessions waiting in the proxy queue. */
  readonly queueLength: number;
  readonly deniedRequests: number;
  readonly deniedResponses: number;
  readonly requestErrors: number;
  countDeniedRequest(): void;
  countDeniedResponse(): void;
  countRequestError(): void;
  /**
   * Finds a server and connects to it, with contimeout per attempt, retries, redispatch and
   * queueing. The callback runs exactly once unless cancelled.
   */
  connect(request: ConnectRequest, done: (result: ConnectResult) => void): PendingConnect;
  /** The server a persistence cookie value designates (spec §7.3, DESIGN.md decision 9). */
  findServerByCookie(value: string): { server: ServerRuntime | undefined; down: boolean };
  /**
   * Optional (added by the HTTP engine): the pick `connect()` would make for this request now
   * (round robin advances as for a real pick), without connecting; undefined when no server is
   * usable. The HTTP engine uses it to reuse a kept-alive server connection when the pick is
   * that connection's server, and otherwise passes the pick as `ConnectRequest.assigned`:
   * a runtime that provides this method must honour `assigned`.
   */
  pickServer?(request: ConnectRequest): ServerRuntime | undefined;
  /**
   * Optional (added by the HTTP engine): true once a soft stop began. HTTP sessions then end
   * keep-alive connections after the current response.
   */
  readonly stopping?: boolean;
  /**
   * Optional (added by the HTTP engine): runs `fn` when a soft stop begins, so that idle
   * keep-alive connections close at once instead of holding the stop until clitimeout.
   * Returns the function that unregisters it.
   */
  onSoftStop?(fn: () => void): () => void;
  /**
   * Optional: the same without a closure per session — `w.onProxySoftStop()` runs when a soft
   * stop begins, until `unwatchSoftStop(w)`.
   */
  watchSoftStop?(w: SoftStopWatcher): void;
  unwatchSoftStop?(w: SoftStopWatcher): void;
  /**
   * Optional (added by the HTTP engine, feeds `httpRequests`/`httpResponses` above and the
   * server's `httpResponses`): called once per request head received, and once per response
   * delivered to the client (the server's status, or the code of a proxy-generated page, with
   * the server that answered if any).
   */
  countHttpRequest?(): void;
  countHttpResponse?(status: number, server: ServerRuntime | undefined): void;
  // Optional stats counters (added for issue 10, src/stats/; rendered '' or derived when absent).
  /** Effective maxconn (CSV frontend `slim`); runtime/proxy.ts already has it. */
  readonly maxconn?: number;
  /** `fullconn`, else maxconn (CSV backend `slim`); runtime/proxy.ts already has it. */
  readonly fullconn?: number;
  /** Listeners closed (CSV frontend status STOP); runtime/proxy.ts already has it. */
  readonly stopped?: boolean;
  /** Highest concurrent session count seen (CSV frontend `smax`). */
  readonly maxSessions?: number;
  /** Bytes from / to clients (CSV frontend `bin`/`bout`); else the sum of the servers'. */
  readonly bytesIn?: number;
  readonly bytesOut?: number;
  /** Highest proxy queue length seen (CSV backend `qmax`). */
  readonly maxQueueLength?: number;
  /** HTTP requests received (CSV `req_tot`) and responses by class [1xx..5xx, other] (`hrsp_*`). */
  readonly httpRequests?: number;
  readonly httpResponses?: readonly number[];
  /** Optional (added by the runtime): present only with `-d`; where engines write their debug lines. */
  readonly debug?: ProxyDebug;
  /** Optional (added by the runtime): the runtime's coarse timeouts, for per-session deadlines without a Node timer each. */
  readonly timeouts?: CoarseTimeouts;
}

/** `-d` output shared by the runtime (accept lines) and the engines (clihdr, srvhdr, closed…; spec §12.7). */
export interface ProxyDebug {
  readonly log: DebugLog;
  /** The id the accept line gave this client socket. */
  sessionId(socket: Socket): number | undefined;
}

/** A mode engine: takes ownership of an accepted client socket (after monitor-net checks). */
export type SessionHandler = (proxy: ProxyRuntime, socket: Socket, acceptTimeMs: number) => void;

/** How the process manager (cli/) builds and drives a runtime. */
export interface RuntimeOptions {
  readonly processLog: ProcessLog;
  /** Global maxconn (config `maxconn`, `-n`; default 2000). */
  readonly globalMaxconn: number;
  /** Default per-proxy maxconn (`-N`; default 2000). */
  readonly defaultProxyMaxconn: number;
  /**
   * Already-bound listening handles to adopt instead of binding (master-worker and reload
   * hand-over), keyed by `bindKey()` ("host:port"). Missing keys are bound normally.
   */
  readonly inheritedHandles?: ReadonlyMap<string, { fd: number }>;
  /** `-d`: debug lines on stdout. */
  readonly debug?: boolean;
  /** Rank of this process among `nbproc` (1..N; 1 when absent): stats `Process_num` and CSV `pid`. */
  readonly processNumber?: number;
}

/** The running process's proxies. No global state: tests start several in one process. */
export interface RuntimeControl {
  /** Binds every listener of every enabled proxy and starts checks. Rejects with the alert text on failure. */
  start(): Promise<void>;
  /**
   * SIGTTOU: stop accepting and keep the sessions running. The listening sockets are closed so
   * that another process can bind the ports (Node cannot shutdown() a listener as legacy did).
   */
  pause(): void;
  /** SIGTTIN: bind and accept again (`Port <p> busy while trying to enable proxy <px>.` if taken). */
  resume(): void;
  /** SIGUSR1: each proxy keeps accepting for its `grace`, then closes its listeners; resolves when the last session ended. */
  softStop(): Promise<void>;
  /** SIGTERM: close everything now. */
  stop(): void;
  /**
   * The fd of every bound listening socket, keyed like `inheritedHandles` (runtime/listener.ts
   * `bindKey(host, port)` = "host:port"), for handing them to another process.
   */
  listeningHandles?(): ReadonlyMap<string, { fd: number }>;
}
