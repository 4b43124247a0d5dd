// Address syntax of the legacy grammar (spec §3.3, §5.4): listen/bind lists with ranges,
// server and dispatch addresses with mapped ports, source addresses, networks, log targets.
// Host names are resolved once, at parse time, through the injected resolver.
import { spawnSync } from 'node:child_process';
import { isIP } from 'node:net';
import type { AddressFamily, BindSpec, Network, ServerAddress, ServerPort, SourceAddress } from './model.js';
import type { HostResolver, LineContext } from './values.js';

const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;

/** The system resolver, synchronously (the parser is synchronous): a short child process. */
export function systemResolver(): HostResolver {
  const cache = new Map<string, { address: string; family: AddressFamily } | undefined>();
  return (name) => {
    if (cache.has(name)) return cache.get(name);
    let answer: { address: string; family: AddressFamily } | undefined;
    const r = spawnSync(
      process.execPath,
      ['-e', "require('dns').lookup(process.argv[1],(e,a,f)=>{if(e)process.exit(2);process.stdout.write(f+' '+a)})", name],
      { encoding: 'utf8', timeout: 10000 },
    );
    if (r.status === 0) {
      const [fam, addr] = r.stdout.split(' ');
      if (addr && (fam === '4' || fam === '6')) answer = { address: addr, family: fam === '4' ? 4 : 6 };
    }
    cache.set(name, answer);
    return answer;
  };
}

interface Host {
  readonly host: string;
  readonly family: AddressFamily;
}

/**
 * Resolves the address part of `addr:port`: '' and `*` are the IPv4 any-address, an IP
 * literal is taken as is, anything else must be a host name the resolver knows.
 */
function resolveHostPart(ctx: LineContext, text: string, whole: string): Host {
  if (text === '' || text === '*') return { host: '0.0.0.0', family: 4 };
  let literal = text;
  if (literal.startsWith('[') && literal.endsWith(']')) literal = literal.slice(1, -1);
  const fam = isIP(literal);
  if (fam === 4 || fam === 6) return { host: literal, family: fam };
  if (literal !== text || !HOSTNAME.test(text)) ctx.fail(`Invalid server address: '${whole}'`);
  const r = ctx.resolveHost(text);
  // legacy: an unknown name became 0.0.0.0 after an alert; tsproxy refuses it (see docs/compatibility.md).
  if (!r) ctx.fail(`Invalid server name: '${text}' (host name not resolved).`);
  return { host: r.address, family: r.family };
}

/**
 * Splits `addr:port` at the port separator. `[v6]:port` uses the brackets; otherwise, as
 * legacy did, the last colon (so `:::80` is `::` port 80). Returns undefined without a colon.
 */
function splitHostPort(text: string): { host: string; port: string } | undefined {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    const rest = text.slice(close + 1);
    if (rest === '') return { host: text.slice(0, close + 1), port: '' };
    if (!rest.startsWith(':')) return undefined;
    return { host: text.slice(0, close + 1), port: rest.slice(1) };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  return { host: text.slice(0, colon), port: text.slice(colon + 1) };
}

const PORT = /^[0-9]+$/;

/** A decimal port number as written (may be out of range: callers check), or undefined. */
function portNumber(text: string): number | undefined {
  return PORT.test(text) ? Number(text) : undefined;
}

/**
 * `[addr]:port[-end][,[addr]:port[-end]]…` (spec §3.3). Every entry of the list is taken
 * (legacy lost all but the last two: DESIGN.md decision 2).
 */
export function parseBindList(ctx: LineContext, text: string): BindSpec[] {
  const out: BindSpec[] = [];
  for (const entry of text.split(',')) {
    const hp = splitHostPort(entry);
    if (!hp) {
      if (entry === '') ctx.fail(`Invalid server address: '${text}' (empty entry in the address list).`);
      ctx.fail(`Missing port number: '${entry}'`);
    }
    const dash = hp.port.indexOf('-');
    const firstText = dash < 0 ? hp.port : hp.port.slice(0, dash);
    const lastText = dash < 0 ? hp.port : hp.port.slice(dash + 1);
    if (firstText === '') ctx.fail(`Missing port number: '${entry}'`);
    const first = portNumber(firstText);
    const last = portNumber(lastText);
    if (first === undefined || last === undefined) ctx.fail(`Invalid port '${hp.port}' specified for address '${entry}'.`);
    if (first < 1 || first > 65535) ctx.fail(`Invalid port '${firstText}' specified for address '${entry}'.`);
    if (last < 1 || last > 65535) ctx.fail(`Invalid port '${lastText}' specified for address '${entry}'.`);
    if (last < first) ctx.fail(`Invalid port range '${hp.port}' specified for address '${entry}': the end is below the start.`);
    const host = resolveHostPart(ctx, hp.host, entry);
    out.push({ host: host.host, family: host.family, port: first, portEnd: last, place: ctx.place });
  }
  return out;
}

/** True when a word looks like an address list rather than a proxy name (contains a colon). */
export function looksLikeAddress(word: string): boolean {
  return word.includes(':');
}

/**
 * A server or dispatch address `addr[:port]` (spec §5.4). No port, an empty port, `+N`,
 * `-N` and (departing from legacy's absolute 0, as its manual says) `0` are mapped ports.
 */
export function parseServerAddress(ctx: LineContext, text: string): ServerAddress {
  let hostText = text;
  let portText = '';
  // An unbracketed word with several colons is legacy's IPv6 form: split at the last one.
  if (text.includes(':')) {
    const hp = splitHostPort(text);
    if (!hp) ctx.fail(`Invalid server address: '${text}'`);
    hostText = hp.host;
    portText = hp.port;
  } else if (text.startsWith('[')) {
    const hp = splitHostPort(text);
    if (!hp) ctx.fail(`Invalid server address: '${text}'`);
    hostText = hp.host;
  }
  let port: ServerPort;
  if (portText === '') port = { kind: 'mapped', offset: 0 };
  else if (portText.startsWith('+') || portText.startsWith('-')) {
    const v = portNumber(portText.slice(1));
    if (v === undefined || v > 65535) ctx.fail(`Invalid port offset '${portText}' in address '${text}'.`);
    port = { kind: 'mapped', offset: portText.startsWith('-') ? -v : v };
  } else {
    const v = portNumber(portText);
    if (v === undefined || v > 65535) ctx.fail(`Invalid port '${portText}' specified for address '${text}'.`);
    port = v === 0 ? { kind: 'mapped', offset: 0 } : { kind: 'absolute', port: v };
  }
  const host = resolveHostPart(ctx, hostText, text);
  return { host: host.host, family: host.family, port };
}

/** `source <addr>[:<port>]`: `*`, empty or 0.0.0.0 = system choice; port 0 = ephemeral. */
export function parseSourceAddress(ctx: LineContext, text: string): SourceAddress {
  let hostText = text;
  let port = 0;
  if (text.includes(':') || text.startsWith('[')) {
    const hp = splitHostPort(text);
    if (!hp) ctx.fail(`Invalid source address: '${text}'`);
    hostText = hp.host;
    if (hp.port !== '') {
      const v = portNumber(hp.port);
      if (v === undefined || v > 65535) ctx.fail(`Invalid port '${hp.port}' specified for address '${text}'.`);
      port = v;
    }
  }
  const host = resolveHostPart(ctx, hostText, text);
  return { host: host.host, family: host.family, port };
}

/** `addr[:port]` of a log server; port defaults to 514. */
export function parseLogAddress(ctx: LineContext, text: string): { host: string; family: AddressFamily; port: number } {
  const src = parseSourceAddress(ctx, text);
  return { host: src.host, family: src.family, port: src.port === 0 ? 514 : src.port };
}

function maskLength(mask: string): number | undefined {
  if (isIP(mask) !== 4) return undefined;
  const bits = mask.split('.').reduce((acc, p) => (acc << 8) | Number(p), 0) >>> 0;
  // A dotted mask must be contiguous ones then zeros.
  const inverted = ~bits >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  let len = 0;
  for (let b = bits; b !== 0; b = (b << 1) >>> 0) len++;
  return len;
}

/** `addr[/mask]` with a dotted or CIDR mask; default /32 (/128 for IPv6). */
export function parseNetwork(ctx: LineContext, text: string): Network {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const mask = slash < 0 ? '' : text.slice(slash + 1);
  const kw = ctx.args[0] === 'option' ? 'option forwardfor except' : ctx.args[0];
  const fam = isIP(addr);
  if (fam !== 4 && fam !== 6) ctx.fail(`'${kw}' expects address[/mask]; '${addr}' is not an IP address.`);
  const max = fam === 4 ? 32 : 128;
  let len: number | undefined = max;
  if (slash >= 0) {
    if (/^[0-9]+$/.test(mask)) len = Number(mask) <= max ? Number(mask) : undefined;
    else len = fam === 4 ? maskLength(mask) : undefined;
  }
  if (len === undefined) ctx.fail(`'${kw}' expects address[/mask]; invalid mask '${mask}' in '${text}'.`);
  return { address: addr, family: fam, prefixLength: len };
}
