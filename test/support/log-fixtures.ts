// Fixtures for the logging tests: a ProxyConfig (shared factory, support/config-model.ts), log targets,
// and a TrafficLogRecord with every field filled.
import type { LogTarget, ProxyConfig } from '../../src/config/model.js';
import type { TrafficLogRecord } from '../../src/log/types.js';
import { proxyConfig as sharedProxyConfig, type ProxyOverrides } from './config-model.js';

export const LOCAL0 = 16;
export const LOCAL1 = 17;

const place = { file: 'test.cfg', line: 1 };

export function udpTarget(port: number, facility = LOCAL0, maxLevel = 7, host = '127.0.0.1'): LogTarget {
  return { kind: 'udp', host, family: host.includes(':') ? 6 : 4, port, facility, maxLevel, place };
}

export function fdTarget(kind: 'stdout' | 'stderr' | 'unix', facility = LOCAL0, maxLevel = 7, path = ''): LogTarget {
  return { kind, path, facility, maxLevel, place };
}

/** The logging tests' proxy: `webfarm`, mode http, balanced, contimeout 5s, cli/srvtimeout 50s. */
export function proxyConfig(overrides: ProxyOverrides = {}): ProxyConfig {
  return sharedProxyConfig('webfarm', {
    mode: 'http',
    balance: 'roundrobin',
    connectTimeoutMs: 5000,
    clientTimeoutMs: 50000,
    serverTimeoutMs: 50000,
    ...overrides,
  });
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
