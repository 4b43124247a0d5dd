// The typed, immutable configuration model: what the parser produces from a legacy
// haproxy.cfg and what the runtime is built from. Types only, no behaviour.
// Units are in the names (…Ms = milliseconds). A timeout of 0 means "no timeout".
// Field comments cite the spec section (shared/spec/legacy-haproxy.md) they come from.

/** Where a keyword was written: used to name file and line in runtime messages. */
export interface Place {
  readonly file: string;
  readonly line: number;
}

export type AddressFamily = 4 | 6;

/** One `bind`/`listen` address entry: `[addr]:port[-end]` (spec §3.3). One socket per port. */
export interface BindSpec {
  /** Literal IP to bind: '0.0.0.0' for `*`/empty, '::' for an IPv6 any-address. */
  readonly host: string;
  readonly family: AddressFamily;
  readonly port: number;
  /** Inclusive last port of a range; equals `port` for a single port. */
  readonly portEnd: number;
  readonly place: Place;
}

/**
 * A server/dispatch port (spec §5.4): absolute, or mapped to the port the client
 * connected to plus an offset (`addr`, `addr:`, `addr:+N`, `addr:-N`; `:0` is mapped too).
 */
export type ServerPort =
  | { readonly kind: 'absolute'; readonly port: number }
  | { readonly kind: 'mapped'; readonly offset: number };

/** A resolved destination: server, dispatch. Host names are resolved at parse time. */
export interface ServerAddress {
  readonly host: string;
  readonly family: AddressFamily;
  readonly port: ServerPort;
}

/** `source <addr>[:<port>]` (spec §5.3): local address (and port, 0 = ephemeral) for outgoing connections. */
export interface SourceAddress {
  readonly host: string;
  readonly family: AddressFamily;
  readonly port: number;
}

/** An IPv4 or IPv6 network (`monitor-net`, `forwardfor except`). */
export interface Network {
  readonly address: string;
  readonly family: AddressFamily;
  readonly prefixLength: number;
}

/** Syslog facility codes 0..23 (spec §4 `log`): kern=0 … local7=23. */
export type Facility = number;
/** Syslog levels 0..7: emerg=0 … debug=7. */
export type Level = number;

/**
 * A `log` target (spec §12.1). `udp` is legacy; `stdout`/`stderr` are a modern convenience
 * for foreground runs and containers; `unix` (`log /dev/log …`) is parsed but Node 20 has no
 * unix datagram sockets, so the runtime warns and says what it does instead.
 */
export type LogTarget =
  | {
      readonly kind: 'udp';
      readonly host: string;
      readonly family: AddressFamily;
      readonly port: number;
      readonly facility: Facility;
      readonly maxLevel: Level;
      readonly place: Place;
    }
  | {
      readonly kind: 'stdout' | 'stderr' | 'unix';
      /** The socket path for `unix`, '' otherwise. */
      readonly path: string;
      readonly facility: Facility;
      readonly maxLevel: Level;
      readonly place: Place;
    };

export interface GlobalSettings {
  readonly daemon: boolean;
  readonly quiet: boolean;
  readonly debug: boolean;
  /** Processes to start in daemon mode (spec §4, §13.7). Default 1. */
  readonly nbproc: number;
  /** Global concurrent session limit; undefined = not in the file (default 2000, `-n` wins). */
  readonly maxconn: number | undefined;
  /** Numeric uid/gid to switch to after binding; 0/undefined = unchanged. */
  readonly uid: number | undefined;
  readonly gid: number | undefined;
  /** `user`/`group` names (1.2.17); resolved by the process manager. */
  readonly user: string | undefined;
  readonly group: string | undefined;
  readonly chroot: string | undefined;
  readonly pidfile: string | undefined;
  readonly ulimitN: number | undefined;
  /** Global log servers: used only by proxies that say `log global` (spec §12.1). */
  readonly logs: readonly LogTarget[];
  /** `stats socket <path> [mode <octal>] [level <lvl>]` (modern, issue "stats"). */
  readonly statsSocket: StatsSocket | undefined;
}

export interface StatsSocket {
  readonly path: string;
  /** File mode of the socket, e.g. 0o660; undefined = umask default. */
  readonly mode: number | undefined;
  readonly level: 'user' | 'operator' | 'admin';
  readonly place: Place;
}

export type ProxyMode = 'tcp' | 'http' | 'health';

export type BalanceAlgorithm = 'roundrobin' | 'source';

/** `cookie <name> [rewrite|insert|prefix] [indirect] [nocache] [postonly]` (spec §5.5, §9.4). */
export interface CookieConfig {
  readonly name: string;
  /** 'passive' = no mode word: the cookie is only read to route, never inserted nor modified. */
  readonly mode: 'passive' | 'insert' | 'prefix' | 'rewrite';
  readonly indirect: boolean;
  readonly nocache: boolean;
  readonly postonly: boolean;
}

/** `option httpchk …` (spec §8.2): the exact bytes sent, built at parse time. */
export interface HttpCheckConfig {
  readonly method: string;
  readonly uri: string;
  readonly version: string;
  /** `<method> <uri> <version>\r\n\r\n`, after the tokenizer's escapes. */
  readonly request: string;
}

export interface ServerConfig {
  readonly name: string;
  readonly place: Place;
  readonly address: ServerAddress;
  /** Persistence cookie value; undefined = none. Several servers may share a value. */
  readonly cookie: string | undefined;
  readonly check: boolean;
  /** Check interval, default 2000 ms. */
  readonly interMs: number;
  /** Consecutive successes to go UP (default 2) / failures to go DOWN (default 3). */
  readonly rise: number;
  readonly fall: number;
  /** Check port (`port`); undefined = the server's absolute port. */
  readonly checkPort: number | undefined;
  /** Check address (`addr`, a later HAProxy keyword tsproxy accepts); undefined = the server's. */
  readonly checkAddr: string | undefined;
  readonly backup: boolean;
  /** 1..256, default 1. */
  readonly weight: number;
  /** Per-server concurrent connections; 0 = unlimited (spec §7.6). */
  readonly maxconn: number;
  readonly minconn: number;
  /** Per-server source address; wins over the proxy's `source`. */
  readonly source: SourceAddress | undefined;
}

/**
 * A compiled `req*`/`rsp*` regex rule (spec §9.3). The `i` twins only differ by the
 * regex flag. `cliexp`/`srvexp` are parsed as `reqrep`/`rsprep`.
 */
export interface HeaderRule {
  readonly action: 'replace' | 'delete' | 'deny' | 'allow' | 'pass' | 'tarpit';
  /** The source keyword as written (`reqirep`, `rspdel`, …), for messages. */
  readonly keyword: string;
  readonly regex: RegExp;
  /** For 'replace': the replacement template with `\0`..`\9` back-references and `\xHH` already decoded. */
  readonly replacement: ReplacementPart[] | undefined;
  readonly place: Place;
}

/** A piece of a `reqrep`/`rsprep` replacement: literal text or a capture-group reference. */
export type ReplacementPart = string | { readonly group: number };

export type ErrorCode = 400 | 403 | 408 | 500 | 502 | 503 | 504;

/** `errorloc`/`errorloc302` (302), `errorloc303` (303), or `errorfile` (raw HTTP response bytes). */
export type ErrorOverride =
  | { readonly kind: 'redirect'; readonly status: 302 | 303; readonly url: string }
  | { readonly kind: 'file'; readonly path: string; readonly content: Uint8Array };

export interface CaptureHeader {
  readonly name: string;
  readonly length: number;
}

export interface StatsConfig {
  readonly enabled: boolean;
  /** URI prefix, default `/haproxy?stats`. */
  readonly uri: string;
  /** Default `HAProxy Statistics`. */
  readonly realm: string;
  readonly auth: readonly { readonly user: string; readonly password: string }[];
  /** Proxy names to show; '.' = this proxy; empty = all. */
  readonly scope: readonly string[];
  /** `stats refresh <ms>`; 0 = none. */
  readonly refreshMs: number;
  readonly hideVersion: boolean;
  /** `stats prometheus <uri>` (tsproxy extension): Prometheus text exposition; undefined = off. */
  readonly prometheusUri: string | undefined;
}

/** The boolean `option` flags (spec §5.6). */
export interface ProxyOptions {
  readonly httpclose: boolean;
  readonly forceclose: boolean;
  readonly httplog: boolean;
  readonly tcplog: boolean;
  readonly dontlognull: boolean;
  readonly logasap: boolean;
  readonly persist: boolean;
  readonly redispatch: boolean;
  readonly checkcache: boolean;
  readonly tcpka: boolean;
  readonly clitcpka: boolean;
  readonly srvtcpka: boolean;
  readonly allbackups: boolean;
  readonly abortonclose: boolean;
  readonly sslHelloChk: boolean;
  readonly transparent: boolean;
  /** `option keepalive`: accepted, does nothing (legacy). */
  readonly keepalive: boolean;
}

/** One `listen` section (an instance, a proxy), after `defaults` inheritance (spec §5). */
export interface ProxyConfig {
  readonly name: string;
  /** The `listen` line. */
  readonly place: Place;
  /** True when the name was an address (`listen 0.0.0.0:81`) and was bound (DESIGN.md decision 1). */
  readonly nameIsAddress: boolean;
  readonly binds: readonly BindSpec[];
  readonly mode: ProxyMode;
  readonly enabled: boolean;
  /** Per-proxy maxconn; undefined = the `-N` default (2000). */
  readonly maxconn: number | undefined;
  /** `fullconn` for the dynamic server limit (spec §7.6); undefined = use maxconn. */
  readonly fullconn: number | undefined;
  readonly graceMs: number;
  readonly connectTimeoutMs: number;
  readonly clientTimeoutMs: number;
  readonly serverTimeoutMs: number;
  /** Extra connection attempts after the first (default 3). */
  readonly retries: number;
  /** undefined = no `balance` line. */
  readonly balance: BalanceAlgorithm | undefined;
  readonly dispatch: ServerAddress | undefined;
  readonly source: SourceAddress | undefined;
  readonly servers: readonly ServerConfig[];
  readonly cookie: CookieConfig | undefined;
  readonly options: ProxyOptions;
  readonly httpCheck: HttpCheckConfig | undefined;
  /** `option forwardfor`: undefined = off; `except` = no header for clients in that network. */
  readonly forwardFor: { readonly except: Network | undefined } | undefined;
  /** Effective log targets (own `log` lines, or the global ones after `log global`); at most 2. */
  readonly logs: readonly LogTarget[];
  readonly captureCookie: { readonly prefix: string; readonly length: number } | undefined;
  readonly captureRequestHeaders: readonly CaptureHeader[];
  readonly captureResponseHeaders: readonly CaptureHeader[];
  /** `reqrep`…`reqpass` and `reqi*` in configuration order. */
  readonly requestRules: readonly HeaderRule[];
  readonly responseRules: readonly HeaderRule[];
  /** `reqadd` / `rspadd` lines in configuration order (the wire order is reversed, spec §9.2). */
  readonly requestAdds: readonly string[];
  readonly responseAdds: readonly string[];
  readonly errorOverrides: ReadonlyMap<ErrorCode, ErrorOverride>;
  readonly monitorNets: readonly Network[];
  readonly monitorUri: string | undefined;
  readonly appsession:
    | { readonly cookie: string; readonly length: number; readonly timeoutMs: number }
    | undefined;
  readonly stats: StatsConfig | undefined;
}

export interface Config {
  /** The files read, in order. */
  readonly files: readonly string[];
  readonly global: GlobalSettings;
  /** Every `listen` section in file order, disabled ones included (`enabled: false`). */
  readonly proxies: readonly ProxyConfig[];
}

/** A non-fatal message from the parser, printed as a `[WARNING]` (or alert-but-continue). */
export interface ConfigDiagnostic {
  readonly severity: 'warning' | 'alert';
  /** Already formatted as HAProxy prints it, e.g. `parsing [f.cfg:3] : 'maxconn' already specified. Continuing.` */
  readonly message: string;
  readonly place: Place | undefined;
}

export interface ParseResult {
  readonly config: Config;
  readonly diagnostics: readonly ConfigDiagnostic[];
}
