// Fixtures for the logging tests: a complete ProxyConfig with overridable fields, log targets,
// and a TrafficLogRecord with every field filled.
import type { LogTarget, ProxyConfig, ProxyOptions } from '../../src/config/model.js';
import type { TrafficLogRecord } from '../../src/log/types.js';

export const LOCAL0 = 16;
export const LOCAL1 = 17;

const place = { file: 'test.cfg', line: 1 };

export function udpTarget(port: number, facility = LOCAL0, maxLevel = 7, host = '127.0.0.1'): LogTarget {
  return { kind: 'udp', host, family: host.includes(':') ? 6 : 4, port, facility, maxLevel, place };
}

export function fdTarget(kind: 'stdout' | 'stderr' | 'unix', facility = LOCAL0, maxLevel = 7, path = ''): LogTarget {
  return { kind, path, facility, maxLevel, place };
}

const noOptions: ProxyOptions = {
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

export function proxyConfig(
  overrides: Partial<Omit<ProxyConfig, 'options'>> & { options?: Partial<ProxyOptions> } = {},
): ProxyConfig {
  const { options, ...rest } = overrides;
  return {
    name: 'webfarm',
    place,
    nameIsAddress: false,
    binds: [],
    mode: 'http',
    enabled: true,
    maxconn: undefined,
    fullconn: undefined,
    graceMs: 0,
    connectTimeoutMs: 5000,
    clientTimeoutMs: 50000,
    serverTimeoutMs: 50000,
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

/** 25 Nov 2026 14:42:53.123 in the test's local time zone (tests set TZ=UTC). */
export const ACCEPT_MS = Date.UTC(2026, 10, 25, 14, 42, 53, 123);

export function record(overrides: Partial<TrafficLogRecord> = {}): TrafficLogRecord {
  return {
    proxyName: 'webfarm',
    mode: 'http',
    clientAddress: '127.0.0.1',
    clientPort: 40000,
    acceptTimeMs: ACCEPT_MS,
    serverName: 'webA',
    tq: 0,
    tw: 0,
    tc: 0,
    tr: 2,
    tt: 3,
    status: 200,
    bytesFromServer: 78,
    bytesFromClient: 40,
    capturedRequestCookie: undefined,
    capturedResponseCookie: undefined,
    termination: '--',
    cookieFlags: 'NN',
    serverConnections: 0,
    proxyConnections: 0,
    processConnections: 0,
    serverQueue: 0,
    proxyQueue: 0,
    requestHeaders: undefined,
    responseHeaders: undefined,
    requestLine: 'GET /URI1 HTTP/1.0',
    logasap: false,
    ...overrides,
  };
}
