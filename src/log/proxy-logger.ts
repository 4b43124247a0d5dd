// The per-proxy log (spec §12): built once from a `listen` section's ProxyConfig — targets
// resolved, `<PRI>` prefixes and the traffic format chosen at config time — then sends free text,
// `Connect from` lines and tcplog/httplog lines to its (at most two) targets.
import { writeSync } from 'node:fs';
import type { LogTarget, ProxyConfig, Level } from '../config/model.js';
import type { ProcessLog, ProxyLogger, TrafficLogRecord } from './types.js';
import { LOG_INFO } from './types.js';
import { LogClock } from './clock.js';
import {
  formatConnectLine,
  formatHttpLog,
  formatTcpLog,
  skippedAsNull,
  trafficFormatOf,
  type HttpLogLayout,
  type TrafficFormat,
} from './formats.js';
import { SyslogSender, frameSyslog, logBytes, priPrefixes, resolveTag, syslogTagPart, type UdpDestination } from './syslog.js';
import { legacyStderrLine } from './stderr.js';

export interface ClosableProxyLogger extends ProxyLogger {
  /** Which traffic line this proxy writes: httplog, tcplog, or the default `Connect from` line. */
  readonly format?: TrafficFormat;
  /** Releases the sockets this logger owns (not a shared sender's). Idempotent. */
  close(): void;
}

export interface ProxyLoggerOptions {
  /** A sender shared by the runtime's proxies (one UDP socket per family); else the logger owns one. */
  readonly sender?: SyslogSender;
  /** Where the one-time `log /dev/log` fallback warning goes; else stderr in HAProxy's format. */
  readonly processLog?: ProcessLog;
  /** Syslog tag (program name); default $TSPROXY_SYSLOG_TAG or `tsproxy`. */
  readonly tag?: string;
  readonly pid?: number;
  /** Clock for the syslog header (tests); default Date.now. */
  readonly now?: () => number;
}

/** Where `log /dev/log` (and any unix socket path) goes instead: Node 20 cannot send unix datagrams. */
export const UNIX_FALLBACK_HOST = '127.0.0.1';
export const UNIX_FALLBACK_PORT = 514;

export function unixFallbackWarning(proxyName: string, path: string): string {
  return (
    `log ${path} for proxy ${proxyName} : unix datagram sockets are not available in Node.js, ` +
    `sending these logs to ${UNIX_FALLBACK_HOST}:${UNIX_FALLBACK_PORT} over UDP instead ` +
    `(enable imudp in rsyslog, see docs/logging.md).`
  );
}

interface UdpSink {
  readonly kind: 'udp';
  readonly maxLevel: Level;
  readonly prefixes: readonly string[];
  readonly dest: UdpDestination;
}

interface FdSink {
  readonly kind: 'fd';
  readonly maxLevel: Level;
  readonly fd: 1 | 2;
}

type Sink = UdpSink | FdSink;

/** A logger that logs nothing (proxies without `log`, and what callers may use in tests). */
export const NULL_PROXY_LOGGER: ClosableProxyLogger = {
  enabled: false,
  format: 'connect',
  send() {},
  logConnect() {},
  logTraffic() {},
  close() {},
};

/** What a logger needs from a `listen` section; a ProxyConfig is one. */
export type LoggerSpec = Pick<ProxyConfig, 'name' | 'mode' | 'logs' | 'captureRequestHeaders' | 'captureResponseHeaders'> & {
  readonly options: Pick<ProxyConfig['options'], 'httplog' | 'tcplog' | 'dontlognull'>;
};

class SyslogProxyLogger implements ClosableProxyLogger {
  readonly enabled = true;
  readonly format: TrafficFormat;
  private readonly sinks: readonly Sink[];
  private readonly sender: SyslogSender;
  private readonly ownsSender: boolean;
  private readonly tagPart: string;
  private readonly clock = new LogClock();
  private readonly now: () => number;
  private readonly layout: HttpLogLayout;
  private readonly dontlognull: boolean;
  private readonly proxyName: string;
  private readonly mode: string;

  constructor(config: LoggerSpec, options: ProxyLoggerOptions) {
    this.sender = options.sender ?? new SyslogSender();
    this.ownsSender = options.sender === undefined;
    this.tagPart = syslogTagPart(resolveTag(options.tag), options.pid ?? process.pid);
    this.now = options.now ?? Date.now;
    this.format = trafficFormatOf(config.options);
    this.dontlognull = config.options.dontlognull;
    this.proxyName = config.name;
    this.mode = config.mode;
    this.layout = {
      requestCaptureLengths: config.captureRequestHeaders.map((c) => c.length),
      responseCaptureLengths: config.captureResponseHeaders.map((c) => c.length),
    };
    this.sinks = config.logs.map((t) => this.sinkFor(config.name, t, options.processLog));
  }

  send(level: Level, message: string): void {
    if (!(level >= 0 && level <= 7)) return;
    const sinks = this.sinks;
    let header: string | undefined;
    for (let i = 0; i < sinks.length; i++) {
      const sink = sinks[i];
      if (level > sink.maxLevel) continue;
      if (sink.kind === 'udp') {
        header ??= this.clock.syslog(this.now()) + ' ' + this.tagPart;
        this.sender.send(sink.dest, frameSyslog(sink.prefixes[level], header, message));
      } else {
        writeFd(sink.fd, message);
      }
    }
  }

  logConnect(clientAddress: string, clientPort: number, localAddress: string, localPort: number): void {
    if (this.format !== 'connect') return;
    this.send(LOG_INFO, formatConnectLine(clientAddress, clientPort, localAddress, localPort, this.proxyName, this.mode));
  }

  logTraffic(record: TrafficLogRecord): void {
    if (this.format === 'connect' || skippedAsNull(this.dontlognull, record)) return;
    // modern rule: httplog on a TCP session falls back to tcplog (legacy printed an empty HTTP line)
    const line =
      this.format === 'httplog' && record.mode === 'http'
        ? formatHttpLog(record, this.layout, this.clock)
        : formatTcpLog(record, this.clock);
    this.send(LOG_INFO, line);
  }

  close(): void {
    if (this.ownsSender) this.sender.close();
  }

  /** Sender counters, for tests and the stats page. */
  stats(): ReturnType<SyslogSender['stats']> {
    return this.sender.stats();
  }

  private sinkFor(proxyName: string, target: LogTarget, processLog: ProcessLog | undefined): Sink {
    switch (target.kind) {
      case 'udp':
        return {
          kind: 'udp',
          maxLevel: target.maxLevel,
          prefixes: priPrefixes(target.facility),
          dest: this.sender.destination(target.host, target.port, target.family),
        };
      case 'stdout':
      case 'stderr':
        return { kind: 'fd', maxLevel: target.maxLevel, fd: target.kind === 'stdout' ? 1 : 2 };
      case 'unix': {
        const warning = unixFallbackWarning(proxyName, target.path);
        if (processLog) processLog.warning(warning);
        else writeFd(2, legacyStderrLine('WARNING', warning).slice(0, -1));
        return {
          kind: 'udp',
          maxLevel: target.maxLevel,
          prefixes: priPrefixes(target.facility),
          dest: this.sender.destination(UNIX_FALLBACK_HOST, UNIX_FALLBACK_PORT, 4),
        };
      }
    }
  }
}

/**
 * `log stdout` / `log stderr`: the message alone, one write per line, like modern HAProxy's
 * `format raw` (the reader — journald, docker — adds its own timestamp). Synchronous so lines
 * are not reordered or lost at exit; a closed or full descriptor drops the line.
 */
function writeFd(fd: 1 | 2, message: string): void {
  try {
    writeSync(fd, logBytes(message.endsWith('\n') ? message : message + '\n'));
  } catch {
    /* EPIPE, EBADF (daemon closed stdio), EAGAIN: dropped, never thrown into traffic code */
  }
}

export function createProxyLogger(config: LoggerSpec, options: ProxyLoggerOptions = {}): ClosableProxyLogger {
  if (config.logs.length === 0) return NULL_PROXY_LOGGER;
  return new SyslogProxyLogger(config, options);
}

/**
 * A logger over the `global` section's `log` targets, for the few messages legacy sent there
 * rather than to a proxy's (1.2.13.1+: `Some proxies refused to pause, performing soft stop now.`).
 * Only `send` is meaningful.
 */
export function createGlobalLogger(logs: readonly LogTarget[], options: ProxyLoggerOptions = {}): ClosableProxyLogger {
  return createProxyLogger(
    {
      name: 'global',
      mode: 'tcp',
      logs,
      captureRequestHeaders: [],
      captureResponseHeaders: [],
      options: { httplog: false, tcplog: false, dontlognull: false },
    },
    options,
  );
}
