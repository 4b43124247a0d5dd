// The stats page inside a proxy (spec §11.4): the HTTP engine's interceptor that answers
// `GET <stats uri>…` (HTML, or CSV with `;csv`) and `GET <stats prometheus uri>` locally, after
// the deny rules and before balancing, logged with server `<STATS>` and termination `PR`.
// Requests of proxies without `stats` cost one property test.
import type { ProxyConfig, StatsConfig } from '../config/model.js';
import type { HttpInterceptor, InterceptReply, InterceptedRequest } from '../http/intercept.js';
import type { ProxyRuntime } from '../runtime/types.js';
import { compileAuth } from './auth.js';
import { renderCsv } from './csv.js';
import type { StatsEnvironment } from './env.js';
import { renderHtml } from './html.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js';
import { collectRows } from './rows.js';

/** The 401 page, byte for byte as 1.2.14 sent it (spec §10.1; no Content-Type in 1.2.14). */
export function unauthorizedResponse(realm: string): Buffer {
  return Buffer.from(
    'HTTP/1.0 401 Unauthorized\r\nCache-Control: no-cache\r\nConnection: close\r\n' +
      `WWW-Authenticate: Basic realm="${realm}"\r\n\r\n` +
      '<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n',
    'latin1',
  );
}

/**
 * Head of every stats answer: the legacy one plus `Content-Type` (as 1.2.15+ added it; 1.2.14 sent
 * none and an extra CRLF, which browsers then had to sniff). Closed after the body, no length.
 */
export function okHead(contentType: string, refreshSeconds: number): string {
  const refresh = refreshSeconds > 0 ? `Refresh: ${refreshSeconds}\r\n` : '';
  return `HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: ${contentType}\r\n${refresh}\r\n`;
}

interface CompiledStats {
  readonly config: StatsConfig;
  readonly page: boolean;
  readonly authorized: ((headers: readonly string[]) => boolean) | undefined;
  readonly unauthorized: InterceptReply;
  readonly refreshSeconds: number;
}

function compile(sc: StatsConfig): CompiledStats {
  return {
    config: sc,
    page: sc.enabled,
    authorized: sc.auth.length > 0 ? compileAuth(sc.auth) : undefined,
    unauthorized: { response: unauthorizedResponse(sc.realm), status: 401, serverName: '<STATS>', termination: 'PR' },
    refreshSeconds: Math.floor(sc.refreshMs / 1000),
  };
}

const reply = (response: string): InterceptReply => ({
  response: Buffer.from(response, 'utf8'),
  status: 200,
  serverName: '<STATS>',
  termination: 'PR',
});

/** What a request asks of the stats: nothing, the page (HTML or CSV) or the Prometheus text. */
export type StatsTarget =
  | { readonly kind: 'page'; readonly csv: boolean; readonly norefresh: boolean; readonly upOnly: boolean }
  | { readonly kind: 'prometheus' };

/** Legacy: only GET, the URI starting with the prefix; options are `;word`s after it. */
export function matchTarget(sc: StatsConfig, method: string, uri: string): StatsTarget | undefined {
  if (method !== 'GET') return undefined;
  const prom = sc.prometheusUri;
  if (prom !== undefined && uri.startsWith(prom) && (uri.length === prom.length || uri[prom.length] === '?')) {
    return { kind: 'prometheus' };
  }
  if (!sc.enabled || !uri.startsWith(sc.uri)) return undefined;
  const rest = uri.slice(sc.uri.length);
  return {
    kind: 'page',
    csv: rest.includes(';csv'),
    norefresh: rest.includes(';norefresh'),
    upOnly: rest.includes(';up'),
  };
}

/** The legacy 500 page (spec §10.1), should building a report ever fail: a reply, never a crash. */
const INTERNAL_ERROR: InterceptReply = {
  response: Buffer.from(
    'HTTP/1.0 500 Server Error\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n<html><body><h1>500 Server Error</h1>\nAn internal server error occured.\n</body></html>\n',
    'latin1',
  ),
  status: 500,
  serverName: '<STATS>',
  termination: 'PR',
};

export function createStatsInterceptor(env: StatsEnvironment): HttpInterceptor {
  const compiled = new WeakMap<ProxyConfig, CompiledStats>();
  return (proxy: ProxyRuntime, request: InterceptedRequest): InterceptReply | undefined => {
    const sc = proxy.config.stats;
    if (sc === undefined) return undefined;
    const target = matchTarget(sc, request.method, request.uri);
    if (target === undefined) return undefined;
    try {
      return answer(env, compiled, proxy, sc, target, request);
    } catch {
      return INTERNAL_ERROR;
    }
  };
}

function answer(
  env: StatsEnvironment,
  compiled: WeakMap<ProxyConfig, CompiledStats>,
  proxy: ProxyRuntime,
  sc: StatsConfig,
  target: StatsTarget,
  request: InterceptedRequest,
): InterceptReply {
  let c = compiled.get(proxy.config);
  if (c === undefined) {
    c = compile(sc);
    compiled.set(proxy.config, c);
  }
  if (c.authorized !== undefined && !c.authorized(request.headers)) return c.unauthorized;
  const nowMs = Date.now();
  const rowOptions = {
    processNumber: env.processNumber,
    nowMs,
    scope: sc.scope,
    self: proxy,
    upOnly: target.kind === 'page' && target.upOnly,
  };
  const rows = collectRows(env.proxies(), rowOptions);
  if (target.kind === 'prometheus') {
    return reply(
      okHead(PROMETHEUS_CONTENT_TYPE, 0) +
        renderPrometheus(rows, {
          version: env.version,
          processNumber: env.processNumber,
          nbproc: env.nbproc,
          startedMs: env.startedMs,
          nowMs,
          currentConnections: env.processSessions(),
          maxConnections: env.globalMaxconn,
        }),
    );
  }
  const refresh = target.norefresh ? 0 : c.refreshSeconds;
  if (target.csv) return reply(okHead('text/plain', refresh) + renderCsv(rows));
  return reply(
    okHead('text/html', refresh) +
      renderHtml(rows, {
        version: sc.hideVersion ? undefined : env.version,
        pid: env.pid,
        processNumber: env.processNumber,
        nbproc: env.nbproc,
        uptimeSeconds: (nowMs - env.startedMs) / 1000,
        maxConnections: env.globalMaxconn,
        currentConnections: env.processSessions(),
        uri: sc.uri,
        refreshSeconds: c.refreshSeconds,
        norefresh: target.norefresh,
        generatedAt: new Date(nowMs),
      }),
  );
}
