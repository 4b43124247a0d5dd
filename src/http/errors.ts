// Proxy-generated responses, byte-exact (spec §10.1 1.2.14 variant: HTTP/1.0, no Content-Type,
// no Content-Length; §10.2 errorloc redirects; §11.1/§11.2 monitor replies). Built once per
// proxy from its `errorloc`/`errorloc302`/`errorloc303`/`errorfile` overrides.
import type { ErrorCode, ErrorOverride } from '../config/model.js';

const TEXTS: Record<ErrorCode, readonly [string, string]> = {
  400: ['400 Bad request', 'Your browser sent an invalid request.'],
  403: ['403 Forbidden', 'Request forbidden by administrative rules.'],
  408: ['408 Request Time-out', "Your browser didn't send a complete request in time."],
  500: ['500 Server Error', 'An internal server error occured.'], // sic (legacy)
  502: ['502 Bad Gateway', 'The server returned an invalid or incomplete response.'],
  503: ['503 Service Unavailable', 'No server is available to handle this request.'],
  504: ['504 Gateway Time-out', "The server didn't respond in time."],
};

export const ERROR_CODES: readonly ErrorCode[] = [400, 403, 408, 500, 502, 503, 504];

/** The built-in page for `code`. */
export function builtinErrorPage(code: ErrorCode): Buffer {
  const [status, text] = TEXTS[code];
  return Buffer.from(
    `HTTP/1.0 ${status}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n` +
      `<html><body><h1>${status}</h1>\n${text}\n</body></html>\n`,
    'latin1',
  );
}

/** The bytes for an override (spec §10.2; errorfile is sent as written). */
export function overridePage(o: ErrorOverride): Buffer {
  if (o.kind === 'file') return Buffer.from(o.content);
  const status = o.status === 302 ? '302 Found' : '303 See Other';
  return Buffer.from(
    `HTTP/1.0 ${status}\r\nCache-Control: no-cache\r\nConnection: close\r\nLocation: ${o.url}\r\n\r\n`,
    'latin1',
  );
}

/** All seven pages of a proxy, overrides applied. */
export function buildErrorPages(overrides: ReadonlyMap<ErrorCode, ErrorOverride>): ReadonlyMap<ErrorCode, Buffer> {
  const pages = new Map<ErrorCode, Buffer>();
  for (const code of ERROR_CODES) {
    const o = overrides.get(code);
    pages.set(code, o === undefined ? builtinErrorPage(code) : overridePage(o));
  }
  return pages;
}

/** monitor-net answer in http mode (spec §11.1). */
export const MONITOR_NET_HTTP_REPLY = Buffer.from('HTTP/1.0 200 OK\r\n\r\n', 'latin1');

/** monitor-uri answer (spec §11.2, 1.2.15 bytes). */
export const MONITOR_URI_REPLY = Buffer.from(
  'HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n' +
    '<html><body><h1>200 OK</h1>\nHAProxy: service ready.\n</body></html>\n',
  'latin1',
);
