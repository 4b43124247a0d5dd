// Pure formatters for the traffic log lines (spec §12.2–§12.6) in HAProxy 1.2.14's layouts:
// the default `Connect from` line, `option tcplog` and `option httplog`, with the `#XX`
// encoding of the request line and header captures. No I/O; the syslog framing is syslog.ts's.
import type { TrafficLogRecord } from './types.js';
import { acceptDate, type LogClock } from './clock.js';

/** Longest logged request line, after encoding (legacy REQURI_LEN - 1). */
export const MAX_REQUEST_LINE_CHARS = 1023;

const HEX = '0123456789ABCDEF';

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\x00-\x1f"#\x7f-\uffff]/;
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE_CAPTURE = /[\x00-\x1f"#{|}\x7f-\uffff]/;

/** True when `code` must be written `#XX` (spec §12.3): controls, DEL and above, `"`, `#`, and in captures `{|}`. */
function mustEncode(code: number, captures: boolean): boolean {
  if (code < 32 || code >= 127 || code === 0x22 || code === 0x23) return true;
  return captures && (code === 0x7b || code === 0x7c || code === 0x7d);
}

function pushByte(out: string, byte: number): string {
  return out + '#' + HEX[byte >> 4] + HEX[byte & 15];
}

/**
 * `#XX`-encodes a log field. Strings are expected latin1-decoded (one char per wire byte, as
 * the engines read heads); a char above U+00FF is encoded as its UTF-8 bytes. Output stops
 * before `maxChars` is exceeded without splitting an escape (legacy encode_string behaviour).
 */
export function encodeLogField(value: string, captures: boolean, maxChars: number = Infinity): string {
  const n = value.length;
  // fast path: most request lines need no escape at all (a native regex scan beats a JS loop)
  const m = (captures ? NEEDS_ESCAPE_CAPTURE : NEEDS_ESCAPE).exec(value);
  if (m === null) return n <= maxChars ? value : value.slice(0, maxChars);
  let i = m.index;
  if (i > maxChars) return value.slice(0, maxChars);
  let out = value.slice(0, i);
  for (; i < n; i++) {
    const code = value.charCodeAt(i);
    if (!mustEncode(code, captures)) {
      if (out.length + 1 > maxChars) break;
      out += value[i];
    } else if (code <= 0xff) {
      if (out.length + 3 > maxChars) break;
      out = pushByte(out, code);
    } else {
      const bytes = Buffer.from(String.fromCodePoint(value.codePointAt(i) ?? code), 'utf8');
      if (out.length + 3 * bytes.length > maxChars) break;
      for (const b of bytes) out = pushByte(out, b);
      if (code >= 0xd800 && code <= 0xdbff && i + 1 < n) i++; // the low surrogate went with it
    }
  }
  return out;
}

/** `Connect from <cip>:<cport> to <dip>:<dport> (<proxy>/<HTTP|TCP>)` (spec §12.2). */
export function formatConnectLine(
  clientAddress: string,
  clientPort: number,
  localAddress: string,
  localPort: number,
  proxyName: string,
  mode: string,
): string {
  return `Connect from ${clientAddress}:${clientPort} to ${localAddress}:${localPort} (${proxyName}/${mode === 'http' ? 'HTTP' : 'TCP'})`;
}

/**
 * What the httplog line needs from the configuration, built once per proxy: the capture
 * lengths (`capture request|response header … len N`), which also decide whether the `{…}`
 * blocks appear at all.
 */
export interface HttpLogLayout {
  readonly requestCaptureLengths: readonly number[];
  readonly responseCaptureLengths: readonly number[];
}

const NO_CAPTURES: HttpLogLayout = { requestCaptureLengths: [], responseCaptureLengths: [] };

function captureBlock(values: readonly string[] | undefined, lengths: readonly number[]): string {
  let out = ' {';
  for (let i = 0; i < lengths.length; i++) {
    if (i > 0) out += '|';
    const v = values?.[i];
    if (v) out += encodeLogField(v.length > lengths[i] ? v.slice(0, lengths[i]) : v, true);
  }
  return out + '}';
}

function dateOf(acceptTimeMs: number, clock: LogClock | undefined): string {
  return clock ? clock.accept(acceptTimeMs) : acceptDate(new Date(acceptTimeMs));
}

function serverField(name: string | undefined): string {
  return name === undefined ? '<NOSRV>' : name;
}

/**
 * `option httplog`, 1.2.14 layout (spec §12.3):
 * `<cip>:<cport> [<date>] <px> <srv> Tq/Tw/Tc/Tr/Tt <status> <bytes> <ccookie> <scookie> <TCKS>
 *  <srvconn>/<pxconn>/<procconn> <srvqueue>/<pxqueue>[ {<reqhdrs>}][ {<rsphdrs>}] "<request>"`.
 * Without a layout the capture blocks follow the record's arrays.
 */
export function formatHttpLog(r: TrafficLogRecord, layout?: HttpLogLayout, clock?: LogClock): string {
  const lay =
    layout ??
    (r.requestHeaders || r.responseHeaders
      ? {
          requestCaptureLengths: (r.requestHeaders ?? []).map(() => Infinity),
          responseCaptureLengths: (r.responseHeaders ?? []).map(() => Infinity),
        }
      : NO_CAPTURES);
  const plus = r.logasap ? '+' : '';
  let line =
    r.clientAddress + ':' + r.clientPort +
    ' [' + dateOf(r.acceptTimeMs, clock) + '] ' +
    r.proxyName + ' ' + serverField(r.serverName) + ' ' +
    r.tq + '/' + r.tw + '/' + r.tc + '/' + r.tr + '/' + plus + r.tt + ' ' +
    r.status + ' ' + plus + r.bytesFromServer + ' ' +
    (r.capturedRequestCookie ?? '-') + ' ' + (r.capturedResponseCookie ?? '-') + ' ' +
    r.termination + r.cookieFlags + ' ' +
    r.serverConnections + '/' + r.proxyConnections + '/' + r.processConnections + ' ' +
    r.serverQueue + '/' + r.proxyQueue;
  if (lay.requestCaptureLengths.length > 0) line += captureBlock(r.requestHeaders, lay.requestCaptureLengths);
  if (lay.responseCaptureLengths.length > 0) line += captureBlock(r.responseHeaders, lay.responseCaptureLengths);
  line += r.requestLine === undefined ? ' ""' : ' "' + encodeLogField(r.requestLine, false, MAX_REQUEST_LINE_CHARS) + '"';
  return line;
}

/**
 * `option tcplog`, 1.2.14 layout (spec §12.4):
 * `<cip>:<cport> [<date>] <px> <srv> Tw/Tc/Tt <bytes> <TC> <srvconn>/<pxconn>/<procconn> <srvqueue>/<pxqueue>`.
 */
export function formatTcpLog(r: TrafficLogRecord, clock?: LogClock): string {
  const plus = r.logasap ? '+' : '';
  return (
    r.clientAddress + ':' + r.clientPort +
    ' [' + dateOf(r.acceptTimeMs, clock) + '] ' +
    r.proxyName + ' ' + serverField(r.serverName) + ' ' +
    r.tw + '/' + r.tc + '/' + plus + r.tt + ' ' +
    plus + r.bytesFromServer + ' ' +
    r.termination + ' ' +
    r.serverConnections + '/' + r.proxyConnections + '/' + r.processConnections + ' ' +
    r.serverQueue + '/' + r.proxyQueue
  );
}

/** Which traffic line a proxy writes (spec §12.4: httplog wins over tcplog). */
export type TrafficFormat = 'httplog' | 'tcplog' | 'connect';

export function trafficFormatOf(options: { readonly httplog: boolean; readonly tcplog: boolean }): TrafficFormat {
  return options.httplog ? 'httplog' : options.tcplog ? 'tcplog' : 'connect';
}

/** `option dontlognull` (spec §12.5): an end-of-session line is skipped when the client sent nothing; logasap lines are kept. */
export function skippedAsNull(dontlognull: boolean, r: TrafficLogRecord): boolean {
  return dontlognull && !r.logasap && r.bytesFromClient === 0;
}
