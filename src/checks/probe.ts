// One health check on the wire (spec §8.1–8.3): connect to the check address, optionally send the
// check request, judge the first read, and report once. The scheduler owns timing; this module
// owns exactly one socket per probe and never outlives its timeout.
import { connect, type Socket } from 'node:net';
import { buildSslClientHello, httpCheckReplyOk, sslHelloReplyOk } from './replies.js';

export type CheckKind = 'tcp' | 'http' | 'ssl';

/** Where a check connects, from where, and what it sends. Built once per server at start. */
export interface ProbeSpec {
  readonly kind: CheckKind;
  readonly host: string;
  readonly port: number;
  /** Server `source`, else the proxy's; undefined = let the kernel choose. */
  readonly localAddress: string | undefined;
  /** 0 = ephemeral. */
  readonly localPort: number;
  /** `option httpchk` request bytes (kind 'http' only). */
  readonly httpRequest: Buffer | undefined;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** Stats-style result code: L4OK, L4CON, L4TOUT, L6OK, L6RSP, L6TOUT, L7OK, L7STS, L7RSP, L7TOUT, SOCKERR. */
  readonly status: string;
  /** True when the check was cut by its timeout (legacy: the next check then starts one `inter` later). */
  readonly timedOut: boolean;
}

export interface Probe {
  /** Drops the probe without reporting (scheduler stop). */
  abort(): void;
}

/**
 * Runs one check; `done` is called exactly once (unless aborted), at the latest after `timeoutMs`.
 * legacy: a plain check succeeds as soon as the connection is established and closes it without a
 * byte; httpchk/ssl-hello-chk send their request at once and judge only the first read.
 */
export function startProbe(spec: ProbeSpec, timeoutMs: number, done: (result: ProbeResult) => void): Probe {
  let finished = false;
  let connected = false;
  const socket: Socket = connect({
    host: spec.host,
    port: spec.port,
    ...(spec.localAddress !== undefined ? { localAddress: spec.localAddress } : {}),
    ...(spec.localPort > 0 ? { localPort: spec.localPort } : {}),
  });
  const layer = spec.kind === 'http' ? 'L7' : spec.kind === 'ssl' ? 'L6' : 'L4';

  const finish = (ok: boolean, status: string, timedOut: boolean) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.destroy();
    done({ ok, status, timedOut });
  };
  // Timers run before pending I/O in Node's loop: after a stall the timeout would fire ahead of
  // an answer that already arrived. Deciding in setImmediate lets that I/O be read first.
  const timer = setTimeout(() => setImmediate(() => finish(false, connected ? `${layer}TOUT` : 'L4TOUT', true)), timeoutMs);

  socket.once('connect', () => {
    connected = true;
    if (spec.kind === 'tcp') return finish(true, 'L4OK', false);
    socket.setNoDelay(true);
    socket.write(spec.kind === 'http' ? (spec.httpRequest ?? Buffer.alloc(0)) : buildSslClientHello(Math.floor(Date.now() / 1000)));
  });
  socket.once('data', (firstRead: Buffer) => {
    if (spec.kind === 'http') {
      if (httpCheckReplyOk(firstRead)) return finish(true, 'L7OK', false);
      // A status line of the right shape with a bad status is L7STS; anything else is not HTTP.
      return finish(false, firstRead.length >= 13 && firstRead.subarray(0, 7).toString('latin1') === 'HTTP/1.' ? 'L7STS' : 'L7RSP', false);
    }
    const ok = sslHelloReplyOk(firstRead);
    finish(ok, ok ? 'L6OK' : 'L6RSP', false);
  });
  // Closed before answering: refused/reset before connect is a layer-4 failure, after it a bad reply.
  socket.once('end', () => finish(false, `${layer}RSP`, false));
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (!connected) return finish(false, err.code === 'ETIMEDOUT' ? 'L4TOUT' : 'L4CON', false);
    finish(false, spec.kind === 'tcp' ? 'SOCKERR' : `${layer}RSP`, false);
  });
  socket.once('close', () => finish(false, connected ? `${layer}RSP` : 'L4CON', false));

  return {
    abort() {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
    },
  };
}
