// Persistence cookie logic (spec §7.3, §9.4, §9.9; observed-legacy.md "Cookie insert/prefix"):
// pure functions over header values. Request side: find our cookie, choose the server, strip
// the `A~` prefix, hide our cookie from the server (insert+indirect), capture a cookie for the
// log. Response side: delete/rewrite/prefix the server's own Set-Cookie for our name, build the
// Set-Cookie line we insert. No sockets, no runtime: the caller passes a lookup function.
import type { CookieConfig } from '../config/model.js';

/** Request cookie flag for the log (spec §12.5.1, 3rd char). */
export type RequestCookieFlag = 'N' | 'I' | 'D' | 'V';
/** Response Set-Cookie flag (4th char). */
export type ResponseCookieFlag = 'N' | 'I' | 'P' | 'D' | 'R';

/** What a cookie value designates: the runtime's findServerByCookie has this shape. */
export type CookieLookup<S> = (value: string) => { readonly server: S | undefined; readonly down: boolean };

/** Mutable per-request cookie state filled while the Cookie lines are processed. */
export interface RequestCookieState<S> {
  flag: RequestCookieFlag;
  /** Server chosen by a valid cookie (session "direct"). */
  server: S | undefined;
  /** `capture cookie` result, `NAME=value` truncated. */
  captured: string | undefined;
}

export function newRequestCookieState<S>(): RequestCookieState<S> {
  return { flag: 'N', server: undefined, captured: undefined };
}

/** Capture settings (`capture cookie <prefix> len <n>`). */
export interface CookieCapture {
  readonly prefix: string;
  readonly length: number;
}

/** One `name[=value]` item of a Cookie header value, by offsets in that value. */
interface Item {
  nameStart: number;
  nameEnd: number;
  valueStart: number;
  valueEnd: number;
  name: string;
  value: string;
  /** Replacement text for the whole item (prefix stripping), or undefined. */
  rewritten: string | undefined;
  remove: boolean;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Splits a Cookie header value on `;` and `,` (legacy splits on both). */
function splitCookies(v: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  const n = v.length;
  while (i < n) {
    while (i < n && (isSpace(v.charCodeAt(i)) || v[i] === ';' || v[i] === ',')) i++;
    if (i >= n) break;
    const nameStart = i;
    while (i < n && v[i] !== '=' && v[i] !== ';' && v[i] !== ',') i++;
    let nameEnd = i;
    while (nameEnd > nameStart && isSpace(v.charCodeAt(nameEnd - 1))) nameEnd--;
    let valueStart = i;
    let valueEnd = i;
    if (i < n && v[i] === '=') {
      i++;
      while (i < n && isSpace(v.charCodeAt(i))) i++;
      valueStart = i;
      while (i < n && v[i] !== ';' && v[i] !== ',') i++;
      valueEnd = i;
      while (valueEnd > valueStart && isSpace(v.charCodeAt(valueEnd - 1))) valueEnd--;
    } else {
      valueStart = valueEnd = nameEnd;
    }
    items.push({
      nameStart,
      nameEnd,
      valueStart,
      valueEnd,
      name: v.slice(nameStart, nameEnd),
      value: v.slice(valueStart, valueEnd),
      rewritten: undefined,
      remove: false,
    });
  }
  return items;
}

function itemEnd(it: Item): number {
  return Math.max(it.nameEnd, it.valueEnd);
}

/**
 * Processes the value of one request `Cookie` header (the text after the colon, spacing kept).
 * Returns the new value, or null when the whole line must be deleted. `cfg` undefined = no
 * persistence cookie configured (only captures run).
 */
export function processRequestCookie<S>(
  value: string,
  cfg: CookieConfig | undefined,
  persist: boolean,
  capture: CookieCapture | undefined,
  lookup: CookieLookup<S>,
  state: RequestCookieState<S>,
): string | null {
  const items = splitCookies(value);
  let changed = false;
  const hide = cfg !== undefined && cfg.mode === 'insert' && cfg.indirect;
  let removing = false;
  for (const it of items) {
    const isAttr = it.name.charCodeAt(0) === 0x24; // '$': RFC 2109 attribute
    if (capture !== undefined && state.captured === undefined && !isAttr) {
      const text = value.slice(it.nameStart, itemEnd(it));
      if (text.startsWith(capture.prefix)) state.captured = text.slice(0, capture.length);
    }
    if (isAttr) {
      // attributes following a removed cookie go with it
      if (removing) {
        it.remove = true;
        changed = true;
      }
      continue;
    }
    removing = false;
    if (cfg === undefined || it.name !== cfg.name) continue;
    let v = it.value;
    if (cfg.mode === 'prefix') {
      const tilde = v.indexOf('~');
      if (tilde >= 0) {
        // legacy: the prefix is stripped whether or not it designates a server
        it.rewritten = `${it.name}=${v.slice(tilde + 1)}`;
        changed = true;
        v = v.slice(0, tilde);
      }
    }
    if (v === '') {
      // decision: empty values are always invalid (1.2.13+); legacy left them in place
      state.flag = 'I';
      continue;
    }
    const r = lookup(v);
    // lookups may return the DOWN server itself (down: true) or only the fact (server undefined)
    if (r.server !== undefined && (!r.down || persist)) {
      state.server = r.server;
      state.flag = 'V';
    } else if (r.down) {
      state.flag = 'D';
    } else {
      state.flag = 'I';
    }
    if (hide) {
      it.remove = true;
      removing = true;
      changed = true;
    }
  }
  if (!changed) return value;
  const kept = items.filter((it) => !it.remove);
  if (!kept.some((it) => it.name.charCodeAt(0) !== 0x24)) return null;
  // Rebuild from the original text: leading space, each kept item up to the next kept item
  // (separators kept as written), trailing text only when the last item is kept.
  let out = value.slice(0, items[0]!.nameStart);
  for (let k = 0; k < kept.length; k++) {
    const it = kept[k]!;
    const idx = items.indexOf(it);
    const next = items[idx + 1];
    const body = it.rewritten ?? value.slice(it.nameStart, itemEnd(it));
    out += body;
    if (k + 1 < kept.length) {
      // keep the separator written after this item (a removed item may follow it)
      out += value.slice(itemEnd(it), next!.nameStart);
    } else if (next === undefined) {
      out += value.slice(itemEnd(it));
    }
  }
  return out;
}

/** Context of the response side for one transaction. */
export interface ResponseCookieContext {
  /** A server object answered (false for dispatch/transparent). */
  readonly serverKnown: boolean;
  /** That server's cookie value, undefined if it has none. */
  readonly serverCookie: string | undefined;
  /** The request carried a valid cookie for this server (and was not redispatched). */
  readonly direct: boolean;
}

export interface SetCookieResult {
  /** New value for the line, or null to delete the line. */
  readonly value: string | null;
  readonly flag: ResponseCookieFlag | undefined;
}

/**
 * Processes the value of one response `Set-Cookie` header: only its first `name=value` is
 * examined (spec §9.4). `flag` is undefined when the cookie is not ours.
 */
export function processSetCookie(value: string, cfg: CookieConfig, ctx: ResponseCookieContext): SetCookieResult {
  let i = 0;
  while (i < value.length && isSpace(value.charCodeAt(i))) i++;
  const eq = value.indexOf('=', i);
  const semi = value.indexOf(';', i);
  if (eq < 0 || (semi >= 0 && semi < eq)) return { value, flag: undefined };
  const name = value.slice(i, eq).trimEnd();
  if (name !== cfg.name) return { value, flag: undefined };
  if (cfg.mode === 'insert' && ctx.serverKnown) return { value: null, flag: 'D' };
  if (cfg.indirect && ctx.direct) return { value: null, flag: 'D' };
  if (ctx.serverKnown && ctx.serverCookie !== undefined) {
    let vs = eq + 1;
    while (vs < value.length && isSpace(value.charCodeAt(vs))) vs++;
    const ve = semi < 0 ? value.length : semi;
    if (cfg.mode === 'rewrite') {
      return { value: value.slice(0, vs) + ctx.serverCookie + value.slice(ve), flag: 'R' };
    }
    if (cfg.mode === 'prefix') {
      return { value: value.slice(0, vs) + ctx.serverCookie + '~' + value.slice(vs), flag: 'R' };
    }
  }
  return { value, flag: 'P' };
}

/** The first cookie of a Set-Cookie value if it starts with the capture prefix. */
export function captureSetCookie(value: string, capture: CookieCapture): string | undefined {
  let i = 0;
  while (i < value.length && isSpace(value.charCodeAt(i))) i++;
  const semi = value.indexOf(';', i);
  const first = value.slice(i, semi < 0 ? value.length : semi).trimEnd();
  return first.startsWith(capture.prefix) ? first.slice(0, capture.length) : undefined;
}

/**
 * The Set-Cookie line inserted for a server (spec §9.4): `NAME=VALUE; path=/`, or for a server
 * without cookie the 1.2.13+ deletion form. Built once per server at config time.
 */
export function insertedSetCookieLine(cookieName: string, serverCookie: string | undefined): string {
  if (serverCookie === undefined) return `Set-Cookie: ${cookieName}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/`;
  return `Set-Cookie: ${cookieName}=${serverCookie}; path=/`;
}

/** `Cache-control: private`, added after the inserted cookie with `nocache` (lower-case c, legacy). */
export const CACHE_CONTROL_PRIVATE = 'Cache-control: private';

/** Should the proxy insert its cookie in this response? (spec §9.4 "Insertion") */
export function shouldInsertCookie(cfg: CookieConfig, serverKnown: boolean, direct: boolean, isPost: boolean): boolean {
  return cfg.mode === 'insert' && serverKnown && !direct && (!cfg.postonly || isPost);
}

/** The response flag after an insertion: deleted-then-replaced reads `R`. */
export function flagAfterInsert(flag: ResponseCookieFlag): ResponseCookieFlag {
  return flag === 'D' || flag === 'R' ? 'R' : 'I';
}

/** Cookie flags are logged only when a mode word is configured (spec §12.3 `<TCKS>`). */
export function cookieFlagsLogged(cfg: CookieConfig | undefined): boolean {
  return cfg !== undefined && (cfg.mode !== 'passive' || cfg.indirect);
}
