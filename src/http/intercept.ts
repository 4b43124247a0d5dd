// The hook through which another module (the stats page) answers a request locally instead of
// forwarding it. Called after the deny rules and monitor-uri, before balancing (spec §11.4).
import type { ProxyRuntime } from '../runtime/types.js';

export interface InterceptedRequest {
  readonly method: string;
  readonly uri: string;
  readonly versionMinor: 0 | 1;
  /** Header lines as received (latin1, no line ends). */
  readonly headers: readonly string[];
  readonly clientAddress: string;
}

export interface InterceptReply {
  /** The complete response bytes; the connection is closed after them. */
  readonly response: Buffer;
  /** Status logged (e.g. 200 or 401). */
  readonly status: number;
  /** Server name logged, e.g. '<STATS>'. */
  readonly serverName: string | undefined;
  /** Termination pair logged, legacy stats use 'PR'. */
  readonly termination: string;
}

/** Returns a reply to answer locally, or undefined to let the request through. */
export type HttpInterceptor = (proxy: ProxyRuntime, request: InterceptedRequest) => InterceptReply | undefined;
