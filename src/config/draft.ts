// The mutable proxy being parsed (a `defaults` or `listen` section), the built-in defaults,
// the copy a `listen` line takes from the last `defaults` (spec §5), and the final freeze
// into the immutable ProxyConfig.
import type {
  BalanceAlgorithm,
  BindSpec,
  CaptureHeader,
  ErrorCode,
  ErrorOverride,
  HeaderRule,
  HttpCheckConfig,
  LogTarget,
  Network,
  Place,
  ProxyConfig,
  ProxyMode,
  ProxyOptions,
  ServerAddress,
  ServerConfig,
  SourceAddress,
  StatsConfig,
} from './model.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface StatsDraft {
  enabled: boolean;
  uri: string;
  realm: string;
  auth: { user: string; password: string }[];
  scope: string[];
  refreshMs: number;
  hideVersion: boolean;
  prometheusUri: string | undefined;
}

export interface ProxyDraft {
  name: string;
  place: Place;
  isDefaults: boolean;
  nameIsAddress: boolean;
  /** A nameless `listen <addr>:<port>`: bound only if the section gives no other address. */
  nameBinds: BindSpec[] | undefined;
  binds: BindSpec[];
  mode: ProxyMode;
  enabled: boolean;
  maxconn: number | undefined;
  fullconn: number | undefined;
  graceMs: number;
  connectTimeoutMs: number;
  clientTimeoutMs: number;
  serverTimeoutMs: number;
  retries: number;
  balance: BalanceAlgorithm | undefined;
  dispatch: ServerAddress | undefined;
  source: SourceAddress | undefined;
  servers: ServerConfig[];
  cookieName: string | undefined;
  // legacy: the cookie mode words are option bits, OR-ed into the inherited ones.
  cookieRewrite: boolean;
  cookieInsert: boolean;
  cookiePrefix: boolean;
  cookieIndirect: boolean;
  cookieNocache: boolean;
  cookiePostonly: boolean;
  options: Mutable<ProxyOptions>;
  httpCheck: HttpCheckConfig | undefined;
  forwardFor: { readonly except: Network | undefined } | undefined;
  logs: LogTarget[];
  captureCookie: { readonly prefix: string; readonly length: number } | undefined;
  captureRequestHeaders: CaptureHeader[];
  captureResponseHeaders: CaptureHeader[];
  requestRules: HeaderRule[];
  responseRules: HeaderRule[];
  requestAdds: string[];
  responseAdds: string[];
  errorOverrides: Map<ErrorCode, ErrorOverride>;
  monitorNets: Network[];
  monitorUri: string | undefined;
  appsession: { readonly cookie: string; readonly length: number; readonly timeoutMs: number } | undefined;
  stats: StatsDraft | undefined;
  /** Keywords already met in this very section (the first `stats` line drops inherited settings, …). */
  seen: Set<string>;
  /** The defaults this proxy was copied from (for the "already specified" timeout quirk). */
  parent: ProxyDraft | undefined;
}

export function noOptions(): Mutable<ProxyOptions> {
  return {
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
}

/** What each `defaults` line resets to (spec §5): mode tcp, retries 3, no timeouts, enabled. */
export function builtinDefaults(place: Place): ProxyDraft {
  return {
    name: '',
    place,
    isDefaults: true,
    nameIsAddress: false,
    nameBinds: undefined,
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
    balance: undefined,
    dispatch: undefined,
    source: undefined,
    servers: [],
    cookieName: undefined,
    cookieRewrite: false,
    cookieInsert: false,
    cookiePrefix: false,
    cookieIndirect: false,
    cookieNocache: false,
    cookiePostonly: false,
    options: noOptions(),
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
    seen: new Set(),
    parent: undefined,
  };
}

function copyStats(s: StatsDraft | undefined): StatsDraft | undefined {
  return s ? { ...s, auth: s.auth.map((a) => ({ ...a })), scope: [...s.scope] } : undefined;
}

/**
 * A new `listen` section: inherits what legacy copied from `defaults` at the `listen` line
 * (spec §5). Servers, dispatch, binds, header rules and captures, appsession start empty.
 */
export function inheritProxy(defaults: ProxyDraft, name: string, place: Place): ProxyDraft {
  return {
    ...builtinDefaults(place),
    name,
    isDefaults: false,
    mode: defaults.mode,
    enabled: defaults.enabled,
    maxconn: defaults.maxconn,
    fullconn: defaults.fullconn,
    graceMs: defaults.graceMs,
    connectTimeoutMs: defaults.connectTimeoutMs,
    clientTimeoutMs: defaults.clientTimeoutMs,
    serverTimeoutMs: defaults.serverTimeoutMs,
    retries: defaults.retries,
    balance: defaults.balance,
    source: defaults.source,
    cookieName: defaults.cookieName,
    cookieRewrite: defaults.cookieRewrite,
    cookieInsert: defaults.cookieInsert,
    cookiePrefix: defaults.cookiePrefix,
    cookieIndirect: defaults.cookieIndirect,
    cookieNocache: defaults.cookieNocache,
    cookiePostonly: defaults.cookiePostonly,
    options: { ...defaults.options },
    httpCheck: defaults.httpCheck,
    forwardFor: defaults.forwardFor,
    logs: [...defaults.logs],
    captureCookie: defaults.captureCookie,
    errorOverrides: new Map(defaults.errorOverrides),
    monitorNets: [...defaults.monitorNets],
    monitorUri: defaults.monitorUri,
    stats: copyStats(defaults.stats),
    parent: defaults,
  };
}

function freezeStats(s: StatsDraft | undefined): StatsConfig | undefined {
  if (!s) return undefined;
  return Object.freeze({
    ...s,
    auth: Object.freeze(s.auth.map((a) => Object.freeze({ ...a }))),
    scope: Object.freeze([...s.scope]),
  });
}

/** The immutable ProxyConfig of a finished `listen` section. */
export function freezeProxy(d: ProxyDraft): ProxyConfig {
  const cookie =
    d.cookieName === undefined
      ? undefined
      : Object.freeze({
          name: d.cookieName,
          mode: d.cookieInsert ? 'insert' : d.cookiePrefix ? 'prefix' : d.cookieRewrite ? 'rewrite' : 'passive',
          indirect: d.cookieIndirect,
          nocache: d.cookieNocache,
          postonly: d.cookiePostonly,
        } as const);
  return Object.freeze({
    name: d.name,
    place: d.place,
    nameIsAddress: d.nameIsAddress,
    binds: Object.freeze([...d.binds]),
    mode: d.mode,
    enabled: d.enabled,
    maxconn: d.maxconn,
    fullconn: d.fullconn,
    graceMs: d.graceMs,
    connectTimeoutMs: d.connectTimeoutMs,
    clientTimeoutMs: d.clientTimeoutMs,
    serverTimeoutMs: d.serverTimeoutMs,
    retries: d.retries,
    balance: d.balance,
    dispatch: d.dispatch,
    source: d.source,
    servers: Object.freeze([...d.servers]),
    cookie,
    options: Object.freeze({ ...d.options }),
    httpCheck: d.httpCheck,
    forwardFor: d.forwardFor,
    logs: Object.freeze([...d.logs]),
    captureCookie: d.captureCookie,
    captureRequestHeaders: Object.freeze([...d.captureRequestHeaders]),
    captureResponseHeaders: Object.freeze([...d.captureResponseHeaders]),
    requestRules: Object.freeze([...d.requestRules]),
    responseRules: Object.freeze([...d.responseRules]),
    requestAdds: Object.freeze([...d.requestAdds]),
    responseAdds: Object.freeze([...d.responseAdds]),
    errorOverrides: new Map(d.errorOverrides),
    monitorNets: Object.freeze([...d.monitorNets]),
    monitorUri: d.monitorUri,
    appsession: d.appsession,
    stats: freezeStats(d.stats),
  });
}
