// Strict validation and framing of HTTP/1.x heads split by head.ts (DESIGN.md decision 5,
// notes/ecosystem.md §3): request line and status line syntax, header-line syntax (token
// names, no whitespace before the colon, no obs-fold, no control characters), at most 100
// header lines, and unambiguous body framing (Content-Length / Transfer-Encoding rules).
// A purpose-built scanner replaces http-parser-js here: see docs/http.md "Parsing" for why.

/** DESIGN.md decision 13: at most 100 header lines in a request. */
export const MAX_REQUEST_HEADER_LINES = 100;

/** How a message body is delimited. */
export type Framing =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  /** Responses only: the body runs until the server closes. */
  | { readonly kind: 'close' };

export const NO_BODY: Framing = { kind: 'none' };
const CHUNKED: Framing = { kind: 'chunked' };
const UNTIL_CLOSE: Framing = { kind: 'close' };

/** The `Connection` tokens that matter to us (RFC 9112 §9). */
export interface ConnectionInfo {
  readonly close: boolean;
  readonly keepAlive: boolean;
  readonly upgrade: boolean;
  /** Every token, lower-cased: header names to drop as hop-by-hop. */
  readonly tokens: readonly string[];
}

export interface RequestHead {
  readonly method: string;
  readonly uri: string;
  readonly versionMinor: 0 | 1;
  /** The request line as received. */
  readonly requestLine: string;
  /** Header lines as received (latin1, no line end), in order. */
  readonly headers: string[];
  readonly framing: Framing;
  readonly connection: ConnectionInfo;
  /** `Upgrade` header present and `Connection: upgrade`: a tunnel if the server says 101. */
  readonly upgrade: boolean;
  readonly expectContinue: boolean;
}

export interface ResponseHead {
  readonly versionMinor: 0 | 1;
  readonly status: number;
  readonly statusLine: string;
  readonly headers: string[];
  readonly connection: ConnectionInfo;
  /** Content-Length / Transfer-Encoding as sent; the body framing also depends on the request. */
  readonly declared: Framing;
}

export type ParseResult<T> = { readonly ok: true; readonly head: T } | { readonly ok: false; readonly reason: string };

// RFC 9110 tchar
const TCHAR = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9!#$%&'*+\-.^_`|~]/.test(ch)) TCHAR[c] = 1;
}
// field-vchar / SP / HTAB / obs-text: everything but CTLs (except HTAB) and DEL
const VCHAR = new Uint8Array(256);
for (let c = 0; c < 256; c++) VCHAR[c] = c === 0x09 || (c >= 0x20 && c !== 0x7f) ? 1 : 0;
// request-target: visible ASCII only (RFC 3986 characters are a subset; raw bytes >= 0x80 are
// refused as strict parsers downstream do), no space, no CTL
const URICHAR = new Uint8Array(256);
for (let c = 0; c < 256; c++) URICHAR[c] = c > 0x20 && c < 0x7f ? 1 : 0;

function isToken(s: string, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) if (TCHAR[s.charCodeAt(i)] !== 1) return false;
  return true;
}

/** Index of the ':' of a header line, or -1. */
export function colonOf(line: string): number {
  return line.indexOf(':');
}

/** Lower-cased header name of a (validated) header line. */
export function headerName(line: string): string {
  const c = line.indexOf(':');
  return (c < 0 ? line : line.slice(0, c)).toLowerCase();
}

/** Header value without surrounding optional whitespace. */
export function headerValue(line: string): string {
  const c = line.indexOf(':');
  if (c < 0) return '';
  let a = c + 1;
  let b = line.length;
  while (a < b && (line.charCodeAt(a) === 0x20 || line.charCodeAt(a) === 0x09)) a++;
  while (b > a && (line.charCodeAt(b - 1) === 0x20 || line.charCodeAt(b - 1) === 0x09)) b--;
  return line.slice(a, b);
}

/** True if the header line's name equals `lowerName` (case-insensitive, decision 4). */
export function isHeader(line: string, lowerName: string): boolean {
  const n = lowerName.length;
  if (line.length <= n || line.charCodeAt(n) !== 0x3a) return false;
  for (let i = 0; i < n; i++) {
    let c = line.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lowerName.charCodeAt(i)) return false;
  }
  return true;
}

/** A valid header line (token name, colon, field-vchar/SP/HTAB/obs-text value): the fast path. */
const HEADER_LINE_OK = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\x00-\x08\x0a-\x1f\x7f]*$/;

/** Validates one header line; returns a reason or undefined. */
function checkHeaderLine(line: string): string | undefined {
  if (HEADER_LINE_OK.test(line)) return undefined;
  const first = line.charCodeAt(0);
  if (first === 0x20 || first === 0x09) return 'obs-fold continuation line';
  const c = line.indexOf(':');
  if (c < 0) return 'header line without colon';
  if (c === 0) return 'empty header name';
  for (let i = 0; i < c; i++) {
    if (TCHAR[line.charCodeAt(i)] !== 1) {
      const ch = line.charCodeAt(i);
      return ch === 0x20 || ch === 0x09 ? 'whitespace before colon' : 'invalid character in header name';
    }
  }
  for (let i = c + 1; i < line.length; i++) {
    if (VCHAR[line.charCodeAt(i)] !== 1) return 'control character in header value';
  }
  return undefined;
}

function splitList(value: string, out: string[]): void {
  if (value.indexOf(',') < 0) {
    const t = value.trim();
    if (t !== '') out.push(t.toLowerCase());
    return;
  }
  for (const part of value.split(',')) {
    const t = part.trim();
    if (t !== '') out.push(t.toLowerCase());
  }
}

interface FramingHeaders {
  readonly contentLength: number | undefined;
  /** Several Content-Length lines, a list value or odd spacing: forwarded as one canonical line (RFC 9110 §8.6). */
  readonly contentLengthRepeated: boolean;
  readonly codings: readonly string[] | undefined;
  readonly connection: ConnectionInfo;
  readonly upgradeHeader: boolean;
  readonly expectContinue: boolean;
}

const CL_RE = /^[0-9]{1,16}$/;
/** The text after `Content-Length:` in its usual spelling. */
const CL_CANONICAL_RE = /^ ?[0-9]+$/;

/** No Connection header: shared by every head without one (never modified). */
const NO_CONNECTION_TOKENS: ConnectionInfo = Object.freeze({ close: false, keepAlive: false, upgrade: false, tokens: Object.freeze([]) as readonly string[] });

/**
 * True if the value of header line `line` (name already matched, colon at the name's end) is
 * `lowerToken` alone, any case, with optional whitespace around it.
 */
function isHeaderValue(line: string, lowerToken: string): boolean {
  let a = line.indexOf(':') + 1;
  let b = line.length;
  while (a < b && (line.charCodeAt(a) === 0x20 || line.charCodeAt(a) === 0x09)) a++;
  while (b > a && (line.charCodeAt(b - 1) === 0x20 || line.charCodeAt(b - 1) === 0x09)) b--;
  if (b - a !== lowerToken.length) return false;
  for (let i = 0; i < lowerToken.length; i++) {
    let c = line.charCodeAt(a + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lowerToken.charCodeAt(i)) return false;
  }
  return true;
}

/** Collects and checks the framing headers; a string is the rejection reason. */
function framingHeaders(headers: readonly string[]): FramingHeaders | string {
  let contentLength: number | undefined;
  let contentLengthRepeated = false;
  let codings: string[] | undefined;
  let tokens: string[] | undefined;
  let upgradeHeader = false;
  let expectContinue = false;
  for (const line of headers) {
    // lines are validated (checkHeaderLine): the colon's index is the name's length, which
    // rules out all but one of the names we care about
    const colon = line.indexOf(':');
    if (colon !== 14 && colon !== 17 && colon !== 10 && colon !== 7 && colon !== 6) continue;
    if (isHeader(line, 'content-length')) {
      const v = headerValue(line);
      // the usual `Content-Length: digits`, first of its kind: no list to split
      if (contentLength === undefined && CL_RE.test(v) && (line.length === 15 + v.length || (line.length === 16 + v.length && line.charCodeAt(15) === 0x20))) {
        const n = Number(v);
        if (n > Number.MAX_SAFE_INTEGER) return 'Content-Length too large';
        contentLength = n;
        continue;
      }
      const parts = v.split(',');
      // anything but `Name: digits` (repeats, lists, tabs, odd spacing) is forwarded canonical
      if (contentLength !== undefined || parts.length > 1 || !CL_CANONICAL_RE.test(line.slice(15))) contentLengthRepeated = true;
      for (const p of parts) {
        const t = p.trim();
        if (!CL_RE.test(t)) return 'malformed Content-Length';
        const n = Number(t);
        if (n > Number.MAX_SAFE_INTEGER) return 'Content-Length too large';
        if (contentLength !== undefined && contentLength !== n) return 'conflicting Content-Length';
        contentLength = n;
      }
    } else if (isHeader(line, 'transfer-encoding')) {
      codings ??= [];
      const v = headerValue(line);
      if (v === '') return 'empty Transfer-Encoding';
      splitList(v, codings);
    } else if (isHeader(line, 'connection')) {
      tokens ??= [];
      // the usual single token, compared in place: no value, trimmed or lower-cased copy
      if (isHeaderValue(line, 'keep-alive')) tokens.push('keep-alive');
      else if (isHeaderValue(line, 'close')) tokens.push('close');
      else splitList(headerValue(line), tokens);
    } else if (isHeader(line, 'upgrade')) {
      upgradeHeader = true;
    } else if (isHeader(line, 'expect')) {
      if (headerValue(line).toLowerCase() === '100-continue') expectContinue = true;
    }
  }
  return {
    contentLength,
    contentLengthRepeated,
    codings,
    connection:
      tokens === undefined
        ? NO_CONNECTION_TOKENS
        : {
            close: tokens.includes('close'),
            keepAlive: tokens.includes('keep-alive'),
            upgrade: tokens.includes('upgrade'),
            tokens,
          },
    upgradeHeader,
    expectContinue,
  };
}

/** Replaces repeated identical Content-Length values by one `Content-Length: N` line, in place. */
function collapseContentLength(headers: string[], length: number): void {
  let first = true;
  for (let i = 0; i < headers.length; i++) {
    if (!isHeader(headers[i]!, 'content-length')) continue;
    if (first) {
      headers[i] = `Content-Length: ${length}`;
      first = false;
    } else {
      headers.splice(i, 1);
      i--;
    }
  }
}

/** True if the coding list ends with a single `chunked` (RFC 9112 §6.3). */
function codingsChunked(codings: readonly string[]): 'chunked' | 'not-final' | 'bad' {
  for (let i = 0; i < codings.length; i++) {
    const c = codings[i]!;
    const semi = c.indexOf(';');
    const name = (semi < 0 ? c : c.slice(0, semi)).trim();
    if (!isToken(name, 0, name.length)) return 'bad';
    if (name === 'chunked' && i !== codings.length - 1) return 'bad';
  }
  return codings[codings.length - 1] === 'chunked' ? 'chunked' : 'not-final';
}

function parseVersion(s: string): 0 | 1 | undefined {
  if (s === 'HTTP/1.1') return 1;
  if (s === 'HTTP/1.0') return 0;
  return undefined;
}

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const AUTHORITY_FORM = /^[^/?#@\s]+:[0-9]{1,5}$/;

/** RFC 9112 §3.2: origin-form, absolute-form, authority-form (CONNECT) or `*` (OPTIONS). */
function validTargetForm(method: string, target: string): boolean {
  if (method === 'CONNECT') return AUTHORITY_FORM.test(target);
  if (target.charCodeAt(0) === 0x2f) return true;
  if (target === '*') return method === 'OPTIONS';
  return ABSOLUTE_FORM.test(target);
}

/** Validates a request head (lines from head.ts, lines[0] = request line). */
export function parseRequestHead(lines: string[]): ParseResult<RequestHead> {
  const requestLine = lines[0] ?? '';
  const sp1 = requestLine.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0) return { ok: false, reason: 'malformed request line' };
  if (!isToken(requestLine, 0, sp1)) return { ok: false, reason: 'invalid method' };
  if (sp2 === sp1 + 1) return { ok: false, reason: 'empty request target' };
  for (let i = sp1 + 1; i < sp2; i++) {
    if (URICHAR[requestLine.charCodeAt(i)] !== 1) return { ok: false, reason: 'invalid request target' };
  }
  if (!validTargetForm(requestLine.slice(0, sp1), requestLine.slice(sp1 + 1, sp2))) {
    return { ok: false, reason: 'invalid request target form' };
  }
  const versionMinor = parseVersion(requestLine.slice(sp2 + 1));
  if (versionMinor === undefined) return { ok: false, reason: 'unsupported HTTP version' };
  if (lines.length - 1 > MAX_REQUEST_HEADER_LINES) return { ok: false, reason: 'too many header lines' };
  const headers = lines.slice(1);
  for (const line of headers) {
    const bad = checkHeaderLine(line);
    if (bad !== undefined) return { ok: false, reason: bad };
  }
  const f = framingHeaders(headers);
  if (typeof f === 'string') return { ok: false, reason: f };
  let framing: Framing = NO_BODY;
  if (f.codings !== undefined) {
    if (f.contentLength !== undefined) return { ok: false, reason: 'Content-Length with Transfer-Encoding' };
    if (versionMinor === 0) return { ok: false, reason: 'Transfer-Encoding in an HTTP/1.0 request' };
    if (codingsChunked(f.codings) !== 'chunked') return { ok: false, reason: 'Transfer-Encoding not ending in chunked' };
    framing = CHUNKED;
  } else if (f.contentLength !== undefined && f.contentLength > 0) {
    framing = { kind: 'length', length: f.contentLength };
  }
  if (f.contentLengthRepeated && f.contentLength !== undefined) collapseContentLength(headers, f.contentLength);
  const method = requestLine.slice(0, sp1);
  return {
    ok: true,
    head: {
      method,
      uri: requestLine.slice(sp1 + 1, sp2),
      versionMinor,
      requestLine,
      headers,
      framing,
      connection: f.connection,
      upgrade: f.upgradeHeader && f.connection.upgrade,
      expectContinue: f.expectContinue,
    },
  };
}

/** Validates a response head. Anything that is not HTTP/1.x with a 3-digit status is refused (decision 7). */
export function parseResponseHead(lines: string[]): ParseResult<ResponseHead> {
  const statusLine = lines[0] ?? '';
  if (statusLine.length < 12 || statusLine.charCodeAt(8) !== 0x20) return { ok: false, reason: 'malformed status line' };
  const versionMinor = parseVersion(statusLine.slice(0, 8));
  if (versionMinor === undefined) return { ok: false, reason: 'unsupported HTTP version' };
  const code = statusLine.slice(9, 12);
  if (!/^[1-9][0-9][0-9]$/.test(code)) return { ok: false, reason: 'malformed status code' };
  if (statusLine.length > 12 && statusLine.charCodeAt(12) !== 0x20) return { ok: false, reason: 'malformed status line' };
  for (let i = 12; i < statusLine.length; i++) {
    if (VCHAR[statusLine.charCodeAt(i)] !== 1) return { ok: false, reason: 'control character in reason' };
  }
  const headers = lines.slice(1);
  for (const line of headers) {
    const bad = checkHeaderLine(line);
    if (bad !== undefined) return { ok: false, reason: bad };
  }
  const f = framingHeaders(headers);
  if (typeof f === 'string') return { ok: false, reason: f };
  let declared: Framing = UNTIL_CLOSE;
  if (f.codings !== undefined) {
    const c = codingsChunked(f.codings);
    if (c === 'bad') return { ok: false, reason: 'invalid Transfer-Encoding' };
    // RFC 9112 §6.3: TE wins over CL; a non-chunked final coding means "until close".
    declared = c === 'chunked' ? CHUNKED : UNTIL_CLOSE;
  } else if (f.contentLength !== undefined) {
    declared = f.contentLength === 0 ? NO_BODY : { kind: 'length', length: f.contentLength };
  }
  if (f.codings !== undefined && f.contentLength !== undefined) {
    // drop the Content-Length the server should not have sent (RFC 9112 §6.3 point 3)
    for (let i = headers.length - 1; i >= 0; i--) if (isHeader(headers[i]!, 'content-length')) headers.splice(i, 1);
  } else if (f.contentLengthRepeated && f.contentLength !== undefined) {
    collapseContentLength(headers, f.contentLength);
  }
  return {
    ok: true,
    head: { versionMinor, status: Number(code), statusLine, headers, connection: f.connection, declared },
  };
}

/** The response body framing given the request (HEAD, 1xx, 204 and 304 never have a body). */
export function responseFraming(method: string, res: ResponseHead): Framing {
  if (method === 'HEAD' || res.status < 200 || res.status === 204 || res.status === 304) return NO_BODY;
  return res.declared;
}

/** RFC 9112 §9.3: does this message let the connection persist? */
export function wantsKeepAlive(versionMinor: 0 | 1, conn: ConnectionInfo): boolean {
  if (conn.close) return false;
  return versionMinor === 1 || conn.keepAlive;
}
