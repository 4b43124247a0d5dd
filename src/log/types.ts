// Contracts between the engines (tcp/, http/, checks/, runtime/, cli/) and the log module.
// Engines fill plain records; log/ owns every byte of formatting and transport.
import type { Level } from '../config/model.js';

/** Syslog levels (spec §12.1). */
export const LOG_EMERG = 0;
export const LOG_ALERT = 1;
export const LOG_CRIT = 2;
export const LOG_ERR = 3;
export const LOG_WARNING = 4;
export const LOG_NOTICE = 5;
export const LOG_INFO = 6;
export const LOG_DEBUG = 7;

/**
 * Everything a traffic log line needs (spec §12.3, §12.4), for one TCP session or one HTTP
 * request. Timers are milliseconds from accept (or from the start of this request on a
 * keep-alive connection), -1 when the event did not happen.
 */
export interface TrafficLogRecord {
  readonly proxyName: string;
  readonly mode: 'tcp' | 'http';
  readonly clientAddress: string;
  readonly clientPort: number;
  /** Wall-clock ms (Date.now()) of the accept, or of the request's first byte on keep-alive. */
  readonly acceptTimeMs: number;
  /** Server name; undefined logs `<NOSRV>`; the stats page logs '<STATS>'. */
  readonly serverName: string | undefined;
  /** Tq: end of request head (http only). */
  readonly tq: number;
  /** Tw: time spent in queues. */
  readonly tw: number;
  /** Tc: connect time. */
  readonly tc: number;
  /** Tr: server response head time (http only). */
  readonly tr: number;
  /** Tt: total. */
  readonly tt: number;
  /** HTTP status, or -1. */
  readonly status: number;
  /** Bytes from the server to the client (proxy-generated pages count 0). */
  readonly bytesFromServer: number;
  /** Bytes the client sent (dontlognull: 0 = not logged). */
  readonly bytesFromClient: number;
  /** `capture cookie` results, undefined = `-`. */
  readonly capturedRequestCookie: string | undefined;
  readonly capturedResponseCookie: string | undefined;
  /** Termination cause and session state, e.g. 'CD', 'sC', '--' (spec §12.5.1). */
  readonly termination: string;
  /** Request cookie flag and response set-cookie flag, e.g. 'NI', 'VN', '--'. */
  readonly cookieFlags: string;
  /** Counters sampled when the line is emitted (spec §12.3). */
  readonly serverConnections: number;
  readonly proxyConnections: number;
  readonly processConnections: number;
  readonly serverQueue: number;
  readonly proxyQueue: number;
  /** Captured header values, in declaration order (`capture request header`), '' when absent. */
  readonly requestHeaders: readonly string[] | undefined;
  readonly responseHeaders: readonly string[] | undefined;
  /** First request line before rewriting; undefined = never received (`""`). */
  readonly requestLine: string | undefined;
  /** True for an `option logasap` line (Tt and bytes get a '+'). */
  readonly logasap: boolean;
}

/** The per-proxy log: syslog targets of one `listen` section, formats chosen by its options. */
export interface ProxyLogger {
  /** False when the proxy has no log target: callers may skip building records. */
  readonly enabled: boolean;
  /** Sends a free-text message (server state, proxy start/stop) to the proxy's targets. */
  send(level: Level, message: string): void;
  /** The default `Connect from …` line, emitted at accept time when neither tcplog nor httplog is set. */
  logConnect(clientAddress: string, clientPort: number, localAddress: string, localPort: number): void;
  /** An end-of-session (or logasap) traffic line, honouring dontlognull. */
  logTraffic(record: TrafficLogRecord): void;
}

/**
 * The process log (startup, alerts, warnings, signals, state changes) — rendered on stderr as
 * HAProxy's `[ALERT] DDD/HHMMSS (PID) : msg` lines, or as pino JSON when asked.
 */
export interface ProcessLog {
  alert(message: string): void;
  warning(message: string): void;
  notice(message: string): void;
  info(message: string): void;
}
