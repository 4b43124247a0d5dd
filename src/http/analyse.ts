// The request and response analysers of one transaction, pure (spec §9.2–§9.9, DESIGN.md
// decisions 3, 4, 10, 11, 15): header captures, hop-by-hop handling, httpclose, req*/rsp* rules,
// persistence cookies, forwardfor, checkcache, and the inserted lines in legacy wire order.
// Input: parsed heads and per-proxy constants; output: the head lines to forward and the facts
// the session needs (deny, direct server, flags, captures). No I/O.
import type { CompiledProxy, HeaderCapture } from './compiled.js';
import {
  CACHE_CONTROL_PRIVATE,
  captureSetCookie,
  flagAfterInsert,
  newRequestCookieState,
  processRequestCookie,
  processSetCookie,
  shouldInsertCookie,
  type CookieLookup,
  type RequestCookieState,
  type ResponseCookieFlag,
} from './cookie.js';
import { headerName, headerValue, isHeader, type RequestHead, type ResponseHead } from './parser.js';
import { applyRules, newRuleState } from './rules.js';

/** Connection tokens that are never taken as names of headers to drop. */
const KEPT_TOKENS = new Set(['close', 'keep-alive', 'upgrade']);
/** Headers a `Connection` token may not remove: framing and routing stay under our control. */
const PROTECTED = new Set(['connection', 'content-length', 'transfer-encoding', 'host', 'upgrade']);

function captureHeaders(lines: readonly string[], captures: readonly HeaderCapture[], from: number): string[] | undefined {
  if (captures.length === 0) return undefined;
  const out = captures.map(() => '');
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    for (let k = 0; k < captures.length; k++) {
      const c = captures[k]!;
      // last occurrence wins (legacy)
      if (isHeader(line, c.name)) out[k] = headerValue(line).slice(0, c.length);
    }
  }
  return out;
}

/**
 * Hop-by-hop handling (RFC 9110 §7.6.1): headers named in `Connection` are dropped and the
 * Connection line keeps only close/keep-alive/upgrade. Done before our own headers are added,
 * so a client cannot have them stripped by naming them (notes/ecosystem.md §3.1 item 6).
 */
/** Connection names a header to drop (a token other than close/keep-alive/upgrade). */
function namesHopByHop(tokens: readonly string[]): boolean {
  for (const t of tokens) if (!KEPT_TOKENS.has(t)) return true;
  return false;
}

function dropConnectionListed(lines: string[], tokens: readonly string[]): string[] {
  // the usual case (no token, or only close/keep-alive/upgrade): nothing to drop, nothing built
  if (!namesHopByHop(tokens)) return lines;
  const drop = new Set<string>();
  for (const t of tokens) if (!KEPT_TOKENS.has(t) && !PROTECTED.has(t)) drop.add(t);
  const out: string[] = [lines[0]!];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const name = headerName(line);
    if (drop.has(name)) continue;
    if (name === 'connection') {
      const kept = headerValue(line)
        .split(',')
        .map((t) => t.trim())
        .filter((t) => KEPT_TOKENS.has(t.toLowerCase()));
      if (kept.length === 0) continue;
      out.push(`${line.slice(0, line.indexOf(':'))}: ${kept.join(', ')}`);
      continue;
    }
    out.push(line);
  }
  return out;
}

export interface RequestContext<S> {
  /** Client address as logged (IPv4-mapped shown as IPv4). */
  readonly clientAddress: string;
  /** `X-Forwarded-For: <clientAddress>`, built once per connection by the caller (optional). */
  readonly forwardedForLine?: string;
  readonly persist: boolean;
  readonly lookup: CookieLookup<S>;
  /** appsession lookup by key (first `len` chars), undefined when appsession is off. */
  readonly appsessionLookup: ((key: string) => S | undefined) | undefined;
}

export interface RequestAnalysis<S> {
  /** Head lines to forward, request line first (rewritten), inserted lines included. */
  readonly lines: string[];
  readonly denied: boolean;
  readonly tarpit: boolean;
  readonly cookie: RequestCookieState<S>;
  /** `capture request header` values, undefined when none is configured. */
  readonly captures: string[] | undefined;
  /** Method of the forwarded request line (after rules). */
  readonly method: string;
  /** Legacy POST detection: the request begins with exactly `POST `. */
  readonly isPost: boolean;
  /** The forwarded request asks the server to close (httpclose or the client's own close). */
  readonly serverClose: boolean;
}

export function analyseRequest<S>(px: CompiledProxy, head: RequestHead, ctx: RequestContext<S>): RequestAnalysis<S> {
  const cfg = px.config;
  const captures = captureHeaders(head.headers, px.requestCaptures, 0);
  // the head's own lines (request line first), rebuilt only when hop-by-hop headers are dropped
  const headers = head.headers;
  const tokens = head.connection.tokens;
  const lines = namesHopByHop(tokens) ? dropConnectionListed([head.requestLine, ...headers], tokens) : undefined;
  const count = lines !== undefined ? lines.length : headers.length + 1;
  const state = newRuleState();
  const cookie = newRequestCookieState<S>();
  const rules = cfg.requestRules;
  // decision: keep `Connection: Upgrade` intact under httpclose (notes/ecosystem.md §3.1 item 8)
  const closeHeaders = px.httpclose && !head.upgrade;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let line: string | null = lines !== undefined ? lines[i]! : i === 0 ? head.requestLine : headers[i - 1]!;
    if (i > 0 && closeHeaders && isHeader(line, 'connection')) continue; // deleted, rules not applied
    if (rules.length > 0) {
      const original: string = line;
      line = applyRules(line, rules, state);
      if (line === null) {
        if (i > 0) continue;
        line = original; // a request line cannot be deleted, only rewritten
      }
    }
    if (i > 0 && !state.denied && px.scanRequestCookies && isHeader(line, 'cookie')) {
      const colon = line.indexOf(':');
      const value = line.slice(colon + 1);
      if (ctx.appsessionLookup !== undefined && cfg.appsession !== undefined && cookie.server === undefined) {
        const found = appsessionFromCookie(value, cfg.appsession.cookie, cfg.appsession.length, ctx.appsessionLookup);
        if (found !== undefined) cookie.server = found;
      }
      const nv = processRequestCookie(value, px.cookie, ctx.persist, px.captureCookie, ctx.lookup, cookie);
      if (nv === null) continue;
      if (nv !== value) line = line.slice(0, colon + 1) + nv;
    }
    out.push(line);
  }
  if (ctx.appsessionLookup !== undefined && cfg.appsession !== undefined && cookie.server === undefined) {
    const found = appsessionFromUri(head.requestLine, cfg.appsession.cookie, cfg.appsession.length, ctx.appsessionLookup);
    if (found !== undefined) cookie.server = found;
  }
  // insertions in legacy wire order (decision 11)
  if (closeHeaders) out.push('Connection: close');
  if (px.forwardForClient !== undefined && px.forwardForClient(ctx.clientAddress)) {
    out.push(ctx.forwardedForLine ?? `X-Forwarded-For: ${ctx.clientAddress}`);
  }
  for (const add of px.requestAddsWire) out.push(add);
  const first = out[0] ?? '';
  const sp = first.indexOf(' ');
  return {
    lines: out,
    denied: state.denied,
    tarpit: state.tarpit,
    cookie,
    captures,
    method: sp < 0 ? first : first.slice(0, sp),
    isPost: head.requestLine.startsWith('POST '),
    serverClose: closeHeaders || head.connection.close,
  };
}

function appsessionFromCookie<S>(value: string, name: string, len: number, lookup: (k: string) => S | undefined): S | undefined {
  for (const part of value.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const v = part.slice(eq + 1).trim();
    if (v === '') continue;
    const s = lookup(v.slice(0, len));
    if (s !== undefined) return s;
  }
  return undefined;
}

function appsessionFromUri<S>(requestLine: string, name: string, len: number, lookup: (k: string) => S | undefined): S | undefined {
  if (!requestLine.startsWith('GET ') && !requestLine.startsWith('POST ')) return undefined;
  const needle = `;${name}=`;
  const at = requestLine.indexOf(needle);
  if (at < 0) return undefined;
  const rest = requestLine.slice(at + needle.length);
  const end = rest.search(/[ ?&;]/);
  const v = end < 0 ? rest : rest.slice(0, end);
  return v === '' ? undefined : lookup(v.slice(0, len));
}

export interface ResponseContext {
  readonly isPost: boolean;
  /** A server object answered (not dispatch). */
  readonly serverKnown: boolean;
  readonly serverCookie: string | undefined;
  /** Set-Cookie line to insert for this server (from CompiledProxy). */
  readonly setCookieLine: string | undefined;
  /** The request carried a valid cookie for this server and was not redispatched. */
  readonly direct: boolean;
  /** 101 answer to an upgrade: `Connection` is left alone even under httpclose. */
  readonly upgrade: boolean;
}

export interface ResponseAnalysis {
  readonly lines: string[];
  /** rspdeny matched: the client gets 502 (`PH`). */
  readonly denied: boolean;
  /** checkcache blocked a cacheable response carrying a cookie: 502 (`PH`) + alert. */
  readonly cacheBlocked: boolean;
  readonly setCookieFlag: ResponseCookieFlag;
  readonly capturedCookie: string | undefined;
  readonly captures: string[] | undefined;
  /** Appsession keys learnt from the server's Set-Cookie (first `len` chars). */
  readonly appsessionKeys: string[];
}

const CACHEABLE_STATUS = new Set([200, 203, 206, 300, 301, 410]);

export function analyseResponse(px: CompiledProxy, head: ResponseHead, ctx: ResponseContext): ResponseAnalysis {
  const cfg = px.config;
  const captures = captureHeaders(head.headers, px.responseCaptures, 0);
  const state = newRuleState();
  const rules = cfg.responseRules;
  const closeHeaders = px.httpclose && !ctx.upgrade;
  const checkcache = cfg.options.checkcache;
  let cacheable = checkcache && CACHEABLE_STATUS.has(head.status) && !ctx.isPost;
  let cookieCacheable = cacheable;
  let setCookieSeen = false;
  let flag: ResponseCookieFlag = 'N';
  let capturedCookie: string | undefined;
  const appsessionKeys: string[] = [];
  const out: string[] = [];
  const lines = [head.statusLine, ...head.headers];
  for (let i = 0; i < lines.length; i++) {
    let line: string | null = lines[i]!;
    if (i > 0 && closeHeaders && isHeader(line, 'connection')) continue;
    if (rules.length > 0) {
      const original: string = line;
      line = applyRules(line, rules, state);
      if (line === null) {
        if (i > 0) continue;
        line = original; // a status line cannot be deleted, only rewritten
      }
    }
    if (i === 0 || state.denied) {
      out.push(line);
      continue;
    }
    if (cacheable && checkcache) {
      if (isHeader(line, 'pragma')) {
        if (headerValue(line).toLowerCase() === 'no-cache') cacheable = cookieCacheable = false;
      } else if (isHeader(line, 'cache-control')) {
        const d = headerValue(line).split(',')[0]!.trim().toLowerCase();
        if (d === 'no-cache' || d === 'private' || d === 'no-store' || d === 'max-age=0' || d === 's-maxage=0') {
          cacheable = cookieCacheable = false;
        } else if (d.startsWith('no-cache="set-cookie"')) {
          cookieCacheable = false;
        } else if (d === 'public') {
          cookieCacheable = true;
        }
      }
    }
    if (isHeader(line, 'set-cookie')) {
      setCookieSeen = true;
      const colon = line.indexOf(':');
      const value = line.slice(colon + 1);
      if (px.captureCookie !== undefined && capturedCookie === undefined) {
        capturedCookie = captureSetCookie(value, px.captureCookie);
      }
      if (cfg.appsession !== undefined) {
        const m = /^\s*([^=;\s]+)\s*=\s*([^;]*)/.exec(value);
        if (m !== null && m[1] === cfg.appsession.cookie && m[2]!.trim() !== '') {
          appsessionKeys.push(m[2]!.trim().slice(0, cfg.appsession.length));
        }
      }
      if (px.cookie !== undefined) {
        const r = processSetCookie(value, px.cookie, {
          serverKnown: ctx.serverKnown,
          serverCookie: ctx.serverCookie,
          direct: ctx.direct,
        });
        if (r.flag !== undefined) flag = r.flag;
        if (r.value === null) continue;
        if (r.value !== value) line = line.slice(0, colon + 1) + r.value;
      }
    }
    out.push(line);
  }
  const cacheBlocked = checkcache && cacheable && cookieCacheable && setCookieSeen;
  // insertions in legacy wire order (decision 11)
  if (closeHeaders) out.push('Connection: close');
  for (const add of px.responseAddsWire) out.push(add);
  if (
    px.cookie !== undefined &&
    ctx.setCookieLine !== undefined &&
    shouldInsertCookie(px.cookie, ctx.serverKnown, ctx.direct, ctx.isPost)
  ) {
    out.push(ctx.setCookieLine);
    if (px.cookie.nocache) out.push(CACHE_CONTROL_PRIVATE);
    flag = flagAfterInsert(flag);
  }
  return {
    lines: out,
    denied: state.denied,
    cacheBlocked,
    setCookieFlag: flag,
    capturedCookie,
    captures,
    appsessionKeys,
  };
}
