// What the runtime starts for statistics: the HTTP interceptor (only when some proxy has a
// `stats` section, so others pay nothing) and the runtime socket of `global` `stats socket`.
import type { Config } from '../config/model.js';
import type { HttpInterceptor } from '../http/intercept.js';
import type { ProcessLog } from '../log/types.js';
import type { ProxyRuntime } from '../runtime/types.js';
import { packageVersion, type StatsEnvironment } from './env.js';
import { createStatsInterceptor } from './intercept.js';
import { StatsSocketServer } from './socket.js';

export interface StatsService {
  /** For createHttpSessionHandler({ intercept }); undefined when no proxy declares `stats`. */
  readonly intercept: HttpInterceptor | undefined;
  readonly environment: StatsEnvironment;
  /** Binds the `stats socket` if configured; rejects with the alert text. */
  startSocket(): Promise<void>;
  /** The socket paths listened on (empty when none). */
  socketPaths(): string[];
  /** Closes the socket (runtime stop or soft stop). Idempotent. */
  close(): void;
}

export interface StatsServiceOptions {
  readonly proxies: () => readonly ProxyRuntime[];
  readonly processSessions: () => number;
  readonly globalMaxconn: number;
  readonly processLog: ProcessLog;
  /** 1-based number of this process among `nbproc` (1 when unknown). */
  readonly processNumber?: number;
}

export function createStatsService(config: Config, o: StatsServiceOptions): StatsService {
  const environment: StatsEnvironment = {
    proxies: o.proxies,
    processSessions: o.processSessions,
    globalMaxconn: o.globalMaxconn,
    nbproc: Math.max(1, config.global.nbproc),
    processNumber: o.processNumber ?? 1,
    pid: process.pid,
    startedMs: Date.now(),
    version: packageVersion(),
  };
  const wanted = config.proxies.some((p) => p.enabled && p.mode === 'http' && p.stats !== undefined);
  const spec = config.global.statsSocket;
  let socket: StatsSocketServer | undefined;
  let closed = false;
  return {
    intercept: wanted ? createStatsInterceptor(environment) : undefined,
    environment,
    async startSocket() {
      if (spec === undefined || closed || socket !== undefined) return;
      socket = new StatsSocketServer(spec, environment, o.processLog);
      await socket.start();
    },
    socketPaths() {
      return socket?.paths ?? [];
    },
    close() {
      closed = true;
      socket?.close();
    },
  };
}
