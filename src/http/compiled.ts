// Per-proxy HTTP constants, built once per ProxyConfig (DESIGN.md "config time, not request
// time"): inserted header lines in legacy wire order, Set-Cookie line per server, error pages,
// lower-cased capture names, the forwardfor exception matcher. Cached in a WeakMap keyed by the
// immutable config object, so a reload (new Config) builds new constants.
import ipaddr from 'ipaddr.js';
import type { CookieConfig, ErrorCode, Network, ProxyConfig, ServerConfig } from '../config/model.js';
import { cookieFlagsLogged, insertedSetCookieLine, type CookieCapture } from './cookie.js';
import { buildErrorPages } from './errors.js';

export interface HeaderCapture {
  /** Lower-cased header name. */
  readonly name: string;
  readonly length: number;
}

export interface CompiledProxy {
  readonly config: ProxyConfig;
  readonly cookie: CookieConfig | undefined;
  /** Log the two cookie flag characters (a mode word is configured). */
  readonly cookieFlagsLogged: boolean;
  readonly captureCookie: CookieCapture | undefined;
  readonly requestCaptures: readonly HeaderCapture[];
  readonly responseCaptures: readonly HeaderCapture[];
  /** Request header lines must be scanned for cookies (persistence, capture or appsession). */
  readonly scanRequestCookies: boolean;
  /** `reqadd` lines in wire order (reversed, spec §9.2). */
  readonly requestAddsWire: readonly string[];
  /** `rspadd` lines in wire order (reversed, spec §9.4). */
  readonly responseAddsWire: readonly string[];
  readonly errorPages: ReadonlyMap<ErrorCode, Buffer>;
  /** `option forwardfor` is on and this client gets the header. */
  readonly forwardForClient: ((clientAddress: string) => boolean) | undefined;
  /** ` <uri> ` as searched right after the method (spec §11.2), undefined = no monitor-uri. */
  readonly monitorUriNeedle: string | undefined;
  readonly httpclose: boolean;
  /** The Set-Cookie line inserted for a server (built once per server). */
  setCookieLine(server: ServerConfig): string;
}

const cache = new WeakMap<ProxyConfig, CompiledProxy>();

/** The client address as legacy prints it: IPv4-mapped IPv6 shown as IPv4. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function networkMatcher(net: Network): (address: string) => boolean {
  const range = ipaddr.parse(net.address);
  return (address: string) => {
    try {
      const a = ipaddr.process(address);
      if (a.kind() !== range.kind()) return false;
      return a.match(range, net.prefixLength);
    } catch {
      return false;
    }
  };
}

export function compileProxy(config: ProxyConfig): CompiledProxy {
  const hit = cache.get(config);
  if (hit !== undefined) return hit;
  const cookie = config.cookie;
  const setCookieLines = new WeakMap<ServerConfig, string>();
  for (const s of config.servers) {
    if (cookie !== undefined) setCookieLines.set(s, insertedSetCookieLine(cookie.name, s.cookie));
  }
  let forwardForClient: ((a: string) => boolean) | undefined;
  if (config.forwardFor !== undefined) {
    const except = config.forwardFor.except;
    if (except === undefined) forwardForClient = () => true;
    else {
      const inside = networkMatcher(except);
      forwardForClient = (a) => !inside(a);
    }
  }
  const compiled: CompiledProxy = {
    config,
    cookie,
    cookieFlagsLogged: cookieFlagsLogged(cookie),
    captureCookie: config.captureCookie,
    requestCaptures: config.captureRequestHeaders.map((c) => ({ name: c.name.toLowerCase(), length: c.length })),
    responseCaptures: config.captureResponseHeaders.map((c) => ({ name: c.name.toLowerCase(), length: c.length })),
    scanRequestCookies: cookie !== undefined || config.captureCookie !== undefined || config.appsession !== undefined,
    requestAddsWire: [...config.requestAdds].reverse(),
    responseAddsWire: [...config.responseAdds].reverse(),
    errorPages: buildErrorPages(config.errorOverrides),
    forwardForClient,
    monitorUriNeedle: config.monitorUri === undefined ? undefined : ` ${config.monitorUri} `,
    httpclose: config.options.httpclose || config.options.forceclose,
    setCookieLine(server: ServerConfig): string {
      let line = setCookieLines.get(server);
      if (line === undefined) {
        line = insertedSetCookieLine(cookie?.name ?? '', server.cookie);
        setCookieLines.set(server, line);
      }
      return line;
    },
  };
  cache.set(config, compiled);
  return compiled;
}
