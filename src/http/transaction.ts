// One HTTP exchange (request + response) on a client connection: its state while it runs and
// the log record it leaves (spec §12.3). Owned and driven by session.ts.
import type { ProxySocket as Socket } from '../io/socket.js';
import type { TrafficLogRecord } from '../log/types.js';
import type { PendingConnect, ProxyRuntime, ServerRuntime } from '../runtime/types.js';
import type { RequestAnalysis } from './analyse.js';
import type { ChunkedDecoder } from './chunked.js';
import type { CompiledProxy } from './compiled.js';
import type { Framing, RequestHead, ResponseHead } from './parser.js';

export interface ServerConn {
  readonly socket: Socket;
  readonly server: ServerRuntime | undefined;
  readonly release: () => void;
  released: boolean;
  /** The transaction using it; undefined while kept idle for reuse. */
  tx: Transaction | undefined;
  /** Requests already carried: > 0 means a reused keep-alive connection. */
  uses: number;
  /** Date.now() when it was last kept idle. */
  idleSinceMs: number;
  ended: boolean;
  /** `-d` only: the kernel fd, read at connect (a closed socket has none). */
  debugFd?: number;
}

export type TxPhase = 'head' | 'connecting' | 'sending' | 'tunnel' | 'done';

export class Transaction {
  phase: TxPhase = 'head';
  /** Start of this request: accept, or its first byte on a keep-alive connection. */
  startMs: number;
  /** Wall clock of the request start for the log line. */
  logStartMs: number;
  headMs = -1;
  connectedMs = -1;
  resHeadMs = -1;
  tw = -1;
  tc = -1;
  head: RequestHead | undefined;
  analysis: RequestAnalysis<ServerRuntime> | undefined;
  method = '';
  // request body
  reqFraming: Framing = { kind: 'none' };
  reqRemaining = 0;
  reqChunked: ChunkedDecoder | undefined;
  reqDone = false;
  // server side
  pending: PendingConnect | undefined;
  conn: ServerConn | undefined;
  serverName: string | undefined;
  direct = false;
  redispatched = false;
  // response
  resBuf: Buffer | undefined;
  res: ResponseHead | undefined;
  resFraming: Framing = { kind: 'none' };
  resRemaining = 0;
  resChunked: ChunkedDecoder | undefined;
  resDone = false;
  resHeadBytes = 0;
  // log
  status = -1;
  bytesFromServer = 0;
  bytesFromClient = 0;
  termination = '--';
  reqFlag = 'N';
  resFlag = 'N';
  requestLine: string | undefined;
  reqCaptures: string[] | undefined;
  resCaptures: string[] | undefined;
  capturedReqCookie: string | undefined;
  capturedResCookie: string | undefined;
  logged = false;
  /** When the transaction ended (its log may be emitted later, at close). */
  endMs = -1;
  bytesCounted = false;
  tarpitTimer: NodeJS.Timeout | undefined;

  constructor(startMs: number) {
    this.startMs = startMs;
    this.logStartMs = startMs;
  }
}

/**
 * The log record of a transaction (spec §12.3): timers from the request start, counters as
 * they are now (after the session's own decrement when logged at close).
 */
export function trafficRecord(
  tx: Transaction,
  proxy: ProxyRuntime,
  px: CompiledProxy,
  clientAddress: string,
  clientPort: number,
  logasap: boolean,
): TrafficLogRecord {
  const now = tx.endMs >= 0 ? tx.endMs : Date.now();
  const server = tx.conn?.server ?? proxy.servers.find((s) => s.config.name === tx.serverName);
  const tq = tx.headMs < 0 ? -1 : tx.headMs - tx.startMs;
  const tr = tx.resHeadMs < 0 || tx.connectedMs < 0 ? -1 : tx.resHeadMs - tx.connectedMs;
  const cookieFlags = px.cookieFlagsLogged ? tx.reqFlag + tx.resFlag : '--';
  const captureSlots = (n: number, v: string[] | undefined): readonly string[] | undefined =>
    n === 0 ? undefined : (v ?? new Array<string>(n).fill(''));
  return {
    proxyName: proxy.config.name,
    mode: 'http',
    clientAddress,
    clientPort,
    acceptTimeMs: tx.logStartMs,
    serverName: tx.serverName,
    tq,
    tw: tx.headMs < 0 ? -1 : tx.tw,
    tc: tx.tc,
    tr,
    tt: (logasap ? tx.resHeadMs : now) - tx.startMs,
    status: tx.status,
    // proxy-generated pages count 0; logasap counts the head
    bytesFromServer: logasap ? tx.resHeadBytes : tx.status >= 0 && tx.res === undefined ? 0 : tx.bytesFromServer,
    bytesFromClient: tx.bytesFromClient,
    capturedRequestCookie: tx.capturedReqCookie,
    capturedResponseCookie: tx.capturedResCookie,
    termination: tx.termination,
    cookieFlags,
    serverConnections: server?.currentSessions ?? 0,
    proxyConnections: proxy.currentSessions,
    processConnections: proxy.processSessions,
    serverQueue: server?.queueLength ?? 0,
    proxyQueue: proxy.queueLength,
    requestHeaders: captureSlots(px.requestCaptures.length, tx.reqCaptures),
    responseHeaders: captureSlots(px.responseCaptures.length, tx.resCaptures),
    requestLine: tx.requestLine,
    logasap,
  };
}
