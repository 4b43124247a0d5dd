// Test support for the health-check work: hand-built config objects and a small but real
// ProxyRuntime/ServerRuntime (state, counts, recorded log lines) for driving the checker
// without the full runtime. Not a mock: it implements the contract's state rules itself.
import { performance } from 'node:perf_hooks';
import type { ProxyConfig, ProxyOptions, ServerConfig } from '../../src/config/model.js';
import type {
  ConnectRequest,
  ConnectResult,
  PendingConnect,
  ProxyRuntime,
  ServerRuntime,
  StateChangeCounts,
} from '../../src/runtime/types.js';
import type { ProcessLog, ProxyLogger, TrafficLogRecord } from '../../src/log/types.js';
import { proxyConfig as sharedProxyConfig, serverConfig as sharedServerConfig } from './config-model.js';

/** A checked server at 127.0.0.1:1 (shared factory, support/config-model.ts). */
export function serverConfig(name: string, over: Partial<ServerConfig> = {}): ServerConfig {
  return sharedServerConfig(name, '127.0.0.1', 1, { check: true, ...over });
}

/** An http proxy with contimeout 5s (shared factory); `over.options`, if any, replaces `options`. */
export function proxyConfig(name: string, servers: ServerConfig[], over: Partial<ProxyConfig> = {}, options: Partial<ProxyOptions> = {}): ProxyConfig {
  return sharedProxyConfig(name, { mode: 'http', balance: 'roundrobin', connectTimeoutMs: 5000, servers, options, ...over });
}

export function httpCheck(method = 'OPTIONS', uri = '/', version = 'HTTP/1.0'): ProxyConfig['httpCheck'] {
  return { method, uri, version, request: `${method} ${uri} ${version}\r\n\r\n` };
}

/** Everything logged, in order. */
export interface RecordedLine {
  readonly via: 'stderr-alert' | 'stderr-warning' | 'stderr-notice' | 'stderr-info' | 'syslog';
  readonly level: number | undefined;
  readonly text: string;
}

export class RecordingProcessLog implements ProcessLog {
  readonly lines: RecordedLine[] = [];
  /** performance.now() of each stderr alert/warning, by text (the last one wins). */
  readonly timesMs = new Map<string, number>();
  alert(message: string): void {
    this.lines.push({ via: 'stderr-alert', level: undefined, text: message });
    this.timesMs.set(message, performance.now());
  }
  warning(message: string): void {
    this.lines.push({ via: 'stderr-warning', level: undefined, text: message });
    this.timesMs.set(message, performance.now());
  }
  notice(message: string): void {
    this.lines.push({ via: 'stderr-notice', level: undefined, text: message });
  }
  info(message: string): void {
    this.lines.push({ via: 'stderr-info', level: undefined, text: message });
  }
}

class RecordingProxyLogger implements ProxyLogger {
  readonly enabled = true;
  constructor(private readonly into: RecordedLine[]) {}
  send(level: number, message: string): void {
    this.into.push({ via: 'syslog', level, text: message });
  }
  logConnect(): void {}
  logTraffic(record: TrafficLogRecord): void {
    void record;
  }
}

export class TestServer implements ServerRuntime {
  state: 'UP' | 'DOWN' = 'UP';
  maintenance = false;
  weight: number;
  currentSessions = 0;
  maxSessions = 0;
  totalSessions = 0;
  queueLength = 0;
  bytesIn = 0;
  bytesOut = 0;
  connectErrors = 0;
  responseErrors = 0;
  retries = 0;
  redispatches = 0;
  lastChangeMs = Date.now();
  downtimeMs = 0;
  checkStatus = '';
  /** Every status set, in order. */
  readonly statuses: string[] = [];
  constructor(
    readonly config: ServerConfig,
    readonly proxy: TestProxy,
    readonly index: number,
  ) {
    this.weight = config.weight;
  }
  get usable(): boolean {
    return this.state === 'UP' && !this.maintenance;
  }
  setCheckStatus(status: string): void {
    this.checkStatus = status;
    this.statuses.push(status);
  }
  setUp(): StateChangeCounts {
    this.state = 'UP';
    this.lastChangeMs = Date.now();
    return this.proxy.counts(this, 0);
  }
  setDown(): StateChangeCounts {
    this.state = 'DOWN';
    this.lastChangeMs = Date.now();
    // No real queue here: whatever waited is counted as requeued.
    const requeued = this.queueLength;
    this.queueLength = 0;
    return this.proxy.counts(this, requeued);
  }
  setMaintenance(on: boolean): void {
    this.maintenance = on;
  }
  setWeight(weight: number): void {
    this.weight = weight;
  }
  addBytes(): void {}
  countResponseError(): void {}
}

export class TestProxy implements ProxyRuntime {
  readonly servers: TestServer[];
  readonly lines: RecordedLine[];
  readonly processLog: RecordingProcessLog;
  readonly log: ProxyLogger;
  currentSessions = 0;
  processSessions = 0;
  totalSessions = 0;
  queueLength = 0;
  deniedRequests = 0;
  deniedResponses = 0;
  requestErrors = 0;
  constructor(readonly config: ProxyConfig, processLog: RecordingProcessLog = new RecordingProcessLog()) {
    this.processLog = processLog;
    this.lines = processLog.lines;
    this.log = new RecordingProxyLogger(this.lines);
    this.servers = config.servers.map((s, i) => new TestServer(s, this, i));
  }
  counts(server: TestServer, requeued: number): StateChangeCounts {
    return {
      activeLeft: this.servers.filter((s) => s.usable && !s.config.backup).length,
      backupLeft: this.servers.filter((s) => s.usable && s.config.backup).length,
      sessionsActive: server.currentSessions,
      requeued,
      remainingInQueue: server.queueLength,
    };
  }
  countDeniedRequest(): void {}
  countDeniedResponse(): void {}
  countRequestError(): void {}
  connect(request: ConnectRequest, done: (result: ConnectResult) => void): PendingConnect {
    void request;
    done({ ok: false, termination: 'sC', server: undefined, redispatched: false, retries: 0, queueMs: 0 });
    return { cancel() {} };
  }
  findServerByCookie(): { server: ServerRuntime | undefined; down: boolean } {
    return { server: undefined, down: false };
  }
  /** Texts logged so far, optionally only one channel. */
  texts(via?: RecordedLine['via']): string[] {
    return this.lines.filter((l) => via === undefined || l.via === via).map((l) => l.text);
  }
}
