// Builds Config / ProxyConfig / ServerConfig objects for runtime tests without the parser:
// the built-in defaults of spec §5 with overrides.
import type {
  BindSpec,
  Config,
  GlobalSettings,
  ProxyConfig,
  ProxyOptions,
  ServerAddress,
  ServerConfig,
} from '../../src/config/model.js';
import type { ProcessLog } from '../../src/log/types.js';
import type { RuntimeOptions } from '../../src/runtime/types.js';

const place = { file: 'test.cfg', line: 1 };

export function bind(host: string, port: number, portEnd = port): BindSpec {
  return { host, family: host.includes(':') ? 6 : 4, port, portEnd, place };
}

export function addr(host: string, port?: number | { offset: number }): ServerAddress {
  return {
    host,
    family: host.includes(':') ? 6 : 4,
    port:
      port === undefined
        ? { kind: 'mapped', offset: 0 }
        : typeof port === 'number'
          ? { kind: 'absolute', port }
          : { kind: 'mapped', offset: port.offset },
  };
}

export function server(name: string, host: string, port?: number | { offset: number }, o: Partial<ServerConfig> = {}): ServerConfig {
  return {
    name,
    place,
    address: addr(host, port),
    cookie: undefined,
    check: false,
    interMs: 2000,
    rise: 2,
    fall: 3,
    checkPort: undefined,
    checkAddr: undefined,
    backup: false,
    weight: 1,
    maxconn: 0,
    minconn: 0,
    source: undefined,
    ...o,
  };
}

export const noOptions: ProxyOptions = {
  httpclose: false,
  forceclose: false,
  httplog: false,
  tcplog: false,
  dontlognull: false,
  logasap: false,
  persist: false,
  redispatch: false,
  checkcache: false,
  tcpka: false,
  clitcpka: false,
  srvtcpka: false,
  allbackups: false,
  abortonclose: false,
  sslHelloChk: false,
  transparent: false,
  keepalive: false,
};

export type ProxyOverrides = Partial<Omit<ProxyConfig, 'options'>> & { options?: Partial<ProxyOptions> };

export function proxy(name: string, o: ProxyOverrides = {}): ProxyConfig {
  const { options, ...rest } = o;
  return {
    name,
    place,
    nameIsAddress: false,
    binds: [],
    mode: 'tcp',
    enabled: true,
    maxconn: undefined,
    fullconn: undefined,
    graceMs: 0,
    connectTimeoutMs: 0,
    clientTimeoutMs: 0,
    serverTimeoutMs: 0,
    retries: 3,
    balance: 'roundrobin',
    dispatch: undefined,
    source: undefined,
    servers: [],
    cookie: undefined,
    httpCheck: undefined,
    forwardFor: undefined,
    logs: [],
    captureCookie: undefined,
    captureRequestHeaders: [],
    captureResponseHeaders: [],
    requestRules: [],
    responseRules: [],
    requestAdds: [],
    responseAdds: [],
    errorOverrides: new Map(),
    monitorNets: [],
    monitorUri: undefined,
    appsession: undefined,
    stats: undefined,
    ...rest,
    options: { ...noOptions, ...options },
  };
}

export const defaultGlobal: GlobalSettings = {
  daemon: false,
  quiet: false,
  debug: false,
  nbproc: 1,
  maxconn: undefined,
  uid: undefined,
  gid: undefined,
  user: undefined,
  group: undefined,
  chroot: undefined,
  pidfile: undefined,
  ulimitN: undefined,
  logs: [],
  statsSocket: undefined,
};

export function config(proxies: ProxyConfig[], global: Partial<GlobalSettings> = {}): Config {
  return { files: ['test.cfg'], global: { ...defaultGlobal, ...global }, proxies };
}

/** A ProcessLog that records what it is told. */
export class RecordingProcessLog implements ProcessLog {
  readonly lines: { level: string; message: string }[] = [];
  alert(message: string): void {
    this.lines.push({ level: 'alert', message });
  }
  warning(message: string): void {
    this.lines.push({ level: 'warning', message });
  }
  notice(message: string): void {
    this.lines.push({ level: 'notice', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  messages(): string[] {
    return this.lines.map((l) => l.message);
  }
}

export function runtimeOptions(o: Partial<RuntimeOptions> = {}): RuntimeOptions & { processLog: RecordingProcessLog } {
  return {
    processLog: new RecordingProcessLog(),
    globalMaxconn: 2000,
    defaultProxyMaxconn: 2000,
    ...o,
  } as RuntimeOptions & { processLog: RecordingProcessLog };
}
