// The one factory for Config / ProxyConfig / ServerConfig objects in tests that build them without
// writing configuration text. Nothing is restated here: the defaults are what the real parser
// (parseConfigText) gives a minimal `listen` section, `server` line and `global` section, so they
// follow src/config. Tests that mean "this configuration file" should parse text instead.
import type {
  BindSpec,
  Config,
  GlobalSettings,
  ProxyConfig,
  ProxyOptions,
  ServerAddress,
  ServerConfig,
} from '../../src/config/model.js';
import { parseConfigText } from '../../src/config/parser.js';

export const FILE = 'test.cfg';
const place = { file: FILE, line: 1 };

// (a section must balance or dispatch to pass the parser's checks: `balance` is reset below)
const parsed = parseConfigText('listen base 127.0.0.1:1\n    balance roundrobin\n    server s 127.0.0.1:1\n', FILE).config;

/** The `global` section's defaults (no `global` section at all). */
export const DEFAULT_GLOBAL: GlobalSettings = parsed.global;

/** A `listen` section's defaults: mode tcp, retries 3, no timeouts, no balance, every option off. */
export const DEFAULT_PROXY: ProxyConfig = { ...parsed.proxies[0]!, binds: [], servers: [], balance: undefined };

/** Every `option` off. */
export const NO_OPTIONS: ProxyOptions = DEFAULT_PROXY.options;

/** A `server` line's defaults (address 127.0.0.1:1). */
export const DEFAULT_SERVER: ServerConfig = { ...parsed.proxies[0]!.servers[0]!, place };

export type ProxyOverrides = Partial<Omit<ProxyConfig, 'options'>> & { options?: Partial<ProxyOptions> };

/** A proxy with the parser's defaults, then `overrides` (options merged one by one). */
export function proxyConfig(name: string, overrides: ProxyOverrides = {}): ProxyConfig {
  const { options, ...rest } = overrides;
  return { ...DEFAULT_PROXY, name, errorOverrides: new Map(), ...rest, options: { ...NO_OPTIONS, ...options } };
}

export function serverAddress(host: string, port?: number | { offset: number }): ServerAddress {
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

/** A server with the parser's defaults at `host[:port]` (no port = the client's port, `{ offset }` = `:+N`). */
export function serverConfig(name: string, host = '127.0.0.1', port?: number | { offset: number }, overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { ...DEFAULT_SERVER, name, address: serverAddress(host, port), ...overrides };
}

export function bindSpec(host: string, port: number, portEnd = port): BindSpec {
  return { host, family: host.includes(':') ? 6 : 4, port, portEnd, place };
}

export function configOf(proxies: ProxyConfig[], global: Partial<GlobalSettings> = {}): Config {
  return { files: [FILE], global: { ...DEFAULT_GLOBAL, ...global }, proxies };
}
