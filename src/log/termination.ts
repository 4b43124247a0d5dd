// The termination and cookie flag characters of tcplog/httplog lines (spec §12.5.1): the
// vocabulary the TCP and HTTP engines set at the point an event happens, and the table
// docs/logging.md is written from. Pure data, no behaviour beyond lookups.

/** 1st character: the first event that ended the session. */
export type TerminationCause = '-' | 'C' | 'S' | 'P' | 'R' | 'I' | 'c' | 's';
/** 2nd character: what the session was doing when it ended. */
export type SessionState = '-' | 'R' | 'Q' | 'C' | 'H' | 'D' | 'L';
/** 3rd character: the persistence cookie the client presented. */
export type RequestCookieFlag = '-' | 'N' | 'I' | 'D' | 'V';
/** 4th character: what happened to the server's Set-Cookie. */
export type ResponseCookieFlag = '-' | 'N' | 'I' | 'P' | 'D' | 'R';

export type TerminationPair = `${TerminationCause}${SessionState}`;
export type CookieFlagPair = `${RequestCookieFlag}${ResponseCookieFlag}`;

/** Named pairs, so engine code reads `Term.CLIENT_ABORT_DATA` rather than a bare 'CD'. */
export const Term = {
  /** Normal end. */
  NORMAL: '--',
  /** Client closed or errored before a complete request head (http). */
  CLIENT_ABORT_REQUEST: 'CR',
  /** clitimeout before a complete request head: 408. */
  CLIENT_TIMEOUT_REQUEST: 'cR',
  /** Client went away while queued for a server. */
  CLIENT_ABORT_QUEUE: 'CQ',
  /** Client went away while the server connection was being established (abortonclose). */
  CLIENT_ABORT_CONNECT: 'CC',
  /** Client went away while waiting for the response head. */
  CLIENT_ABORT_HEADERS: 'CH',
  /** Client closed or errored during the data phase. */
  CLIENT_ABORT_DATA: 'CD',
  /** clitimeout during the data phase. */
  CLIENT_TIMEOUT_DATA: 'cD',
  /** Queue timeout (contimeout spent in a queue): 503. */
  SERVER_TIMEOUT_QUEUE: 'sQ',
  /** Connection refused / error on every attempt: 503. */
  SERVER_ERROR_CONNECT: 'SC',
  /** contimeout on the last attempt, or no server available: 503. */
  SERVER_TIMEOUT_CONNECT: 'sC',
  /** Server closed, errored or answered garbage before a complete response head: 502. */
  SERVER_ERROR_HEADERS: 'SH',
  /** srvtimeout before the response head: 504. */
  SERVER_TIMEOUT_HEADERS: 'sH',
  /** Server closed or errored during the data phase. */
  SERVER_ABORT_DATA: 'SD',
  /** srvtimeout during the data phase. */
  SERVER_TIMEOUT_DATA: 'sD',
  /** Request denied by a rule (403), or invalid request (400), or the stats page. */
  PROXY_DENY_REQUEST: 'PR',
  /** Response blocked by a rule or by checkcache: 502. */
  PROXY_BLOCK_RESPONSE: 'PH',
  /** Proxy limit (maxconn, fd) while connecting. */
  PROXY_LIMIT_CONNECT: 'PC',
  /** Local resource exhausted (sockets, ports) while connecting. */
  RESOURCE_CONNECT: 'RC',
  /** Internal error while connecting. */
  INTERNAL_CONNECT: 'IC',
} as const satisfies Record<string, TerminationPair>;

/** Named cookie flag characters. */
export const CookieFlag = {
  NA: '-',
  /** 3rd char: no cookie / 4th char: no Set-Cookie seen nor inserted. */
  NONE: 'N',
  /** 3rd char: cookie matches no server / 4th char: Set-Cookie inserted by the proxy. */
  INVALID: 'I',
  INSERTED: 'I',
  /** 3rd char: cookie of a DOWN server, or redispatched / 4th char: server's cookie deleted. */
  DOWN: 'D',
  DELETED: 'D',
  /** 3rd char: valid cookie, server used. */
  VALID: 'V',
  /** 4th char: server's cookie passed untouched. */
  PASSED: 'P',
  /** 4th char: server's cookie rewritten or prefixed (or deleted then replaced in insert mode). */
  REWRITTEN: 'R',
} as const;

export interface TerminationInfo {
  readonly pair: TerminationPair;
  readonly meaning: string;
  /** The HTTP status that goes with it in mode http, or undefined when it varies / none is sent. */
  readonly httpStatus: number | undefined;
}

/** Every pair the engines produce, in the order docs/logging.md lists them. */
export const TERMINATION_TABLE: readonly TerminationInfo[] = [
  { pair: '--', meaning: 'normal end of the session (or of the request on keep-alive)', httpStatus: undefined },
  { pair: 'CR', meaning: 'the client closed or errored before sending a complete request head', httpStatus: undefined },
  { pair: 'cR', meaning: 'clitimeout expired before a complete request head arrived', httpStatus: 408 },
  { pair: 'CQ', meaning: 'the client went away while the session waited in a server or proxy queue', httpStatus: undefined },
  { pair: 'sQ', meaning: 'the session waited in a queue for longer than contimeout', httpStatus: 503 },
  { pair: 'CC', meaning: 'the client went away while the server connection was being established (option abortonclose)', httpStatus: undefined },
  { pair: 'SC', meaning: 'the server refused the connection or it failed, on every retry', httpStatus: 503 },
  { pair: 'sC', meaning: 'contimeout expired on the last connection attempt, or no server was available', httpStatus: 503 },
  { pair: 'PC', meaning: 'a proxy limit (maxconn, file descriptors) prevented the connection', httpStatus: 503 },
  { pair: 'RC', meaning: 'a local resource (source port, socket) was exhausted while connecting', httpStatus: 503 },
  { pair: 'IC', meaning: 'an internal error occurred while connecting', httpStatus: 500 },
  { pair: 'CH', meaning: 'the client went away while the response head was awaited', httpStatus: undefined },
  { pair: 'SH', meaning: 'the server closed, errored or answered something that is not HTTP before a complete response head', httpStatus: 502 },
  { pair: 'sH', meaning: 'srvtimeout expired before the response head arrived', httpStatus: 504 },
  { pair: 'PR', meaning: 'the proxy refused the request: denied by a rule (403), invalid (400), or served the stats page', httpStatus: 403 },
  { pair: 'PH', meaning: 'the proxy blocked the response: denied by a rule, or a cacheable response carrying a cookie (checkcache)', httpStatus: 502 },
  { pair: 'CD', meaning: 'the client closed or errored during the data phase', httpStatus: undefined },
  { pair: 'cD', meaning: 'clitimeout expired during the data phase', httpStatus: undefined },
  { pair: 'SD', meaning: 'the server closed or errored during the data phase', httpStatus: undefined },
  { pair: 'sD', meaning: 'srvtimeout expired during the data phase', httpStatus: undefined },
];

const byPair: ReadonlyMap<string, TerminationInfo> = new Map(TERMINATION_TABLE.map((t) => [t.pair, t]));

export function terminationInfo(pair: string): TerminationInfo | undefined {
  return byPair.get(pair);
}

export const CAUSE_MEANINGS: Readonly<Record<TerminationCause, string>> = {
  '-': 'normal end',
  C: 'the client aborted or errored',
  S: 'the server aborted, refused or errored',
  P: 'the proxy decided (deny, block, limit, stats page)',
  R: 'a local resource was exhausted',
  I: 'an internal error',
  c: 'clitimeout expired',
  s: 'srvtimeout or contimeout expired, or no server was available',
};

export const STATE_MEANINGS: Readonly<Record<SessionState, string>> = {
  '-': 'normal end, nothing pending',
  R: 'waiting for or reading the request head (http)',
  Q: 'waiting in a queue for a server',
  C: 'connecting to a server',
  H: 'waiting for or processing the response head (http)',
  D: 'data phase',
  L: 'sending the last data (defined, never produced)',
};

export const REQUEST_COOKIE_MEANINGS: Readonly<Record<RequestCookieFlag, string>> = {
  '-': 'persistence not configured with a mode word (n/a)',
  N: 'no persistence cookie in the request',
  I: 'the cookie matches no server',
  D: 'the cookie designates a DOWN server (the request was redispatched)',
  V: 'valid cookie, its server was used',
};

export const RESPONSE_COOKIE_MEANINGS: Readonly<Record<ResponseCookieFlag, string>> = {
  '-': 'persistence not configured with a mode word (n/a)',
  N: 'no Set-Cookie seen and none inserted',
  I: 'Set-Cookie inserted by the proxy',
  P: "the server's cookie passed untouched",
  D: "the server's cookie deleted",
  R: "the server's cookie rewritten or prefixed (or deleted then replaced in insert mode)",
};
