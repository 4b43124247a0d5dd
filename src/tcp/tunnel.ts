// The two-way byte pipe of an established session (spec §6): both directions with
// backpressure (a side whose peer cannot take more is paused, so nothing buffers without
// bound), half-closes passed through, per-side inactivity timeouts, byte counts, and the
// termination pair of the data phase ('--', 'CD', 'SD', 'cD', 'sD').
//
// Hot path: one tunnel per session, so its socket handlers are module-level functions shared by
// every tunnel (each socket carries its Side under a symbol), and its inactivity timeouts are
// entries of the runtime's coarse timeouts (runtime/timeouts.ts), not a Node timer per socket.
import type { ProxySocket as Socket } from '../io/socket.js';
import { RawSocket } from '../io/raw-socket.js';
import type { CoarseTimeouts, Expiring } from '../runtime/timeouts.js';

export type TunnelTermination = '--' | 'CD' | 'SD' | 'cD' | 'sD';

const SIDE = Symbol('tsproxy.tunnelSide');

interface TunnelSocket extends Socket {
  [SIDE]?: Side;
}

/** One endpoint: the socket, its peer, its inactivity deadline. */
class Side implements Expiring {
  /** We still expect bytes from this socket. */
  readOpen = true;
  /** Reading stopped because the peer's write buffer is full. */
  pausedByPeer = false;
  /** Our writes to this socket wait for 'drain'. */
  writePending = false;
  deadlineMs = 0;
  timeoutSlot = -1;
  timeoutIndex = 0;
  closed = false;
  peer!: Side;
  constructor(
    readonly tunnel: Tunnel,
    readonly socket: TunnelSocket,
    readonly timeoutMs: number,
    readonly isClient: boolean,
  ) {}

  /** Inactivity matters only while we wait on this side: to read from it, or for it to take our bytes. */
  get waiting(): boolean {
    return (this.readOpen && !this.pausedByPeer) || this.writePending;
  }

  expired(): void {
    this.tunnel.abort(this.isClient ? 'cD' : 'sD');
  }
}

function onData(this: TunnelSocket, chunk: Buffer): void {
  const from = this[SIDE];
  if (from !== undefined) from.tunnel.data(from, chunk);
}

function onDrain(this: TunnelSocket): void {
  const to = this[SIDE];
  if (to !== undefined) to.tunnel.drained(to);
}

function onEnd(this: TunnelSocket): void {
  const from = this[SIDE];
  if (from !== undefined) from.tunnel.ended(from);
}

function onError(this: TunnelSocket): void {
  const side = this[SIDE];
  if (side !== undefined) side.tunnel.errored(side);
}

function onClose(this: TunnelSocket): void {
  const side = this[SIDE];
  if (side !== undefined) side.tunnel.closed(side);
}

function attach(side: Side): void {
  const s = side.socket;
  s[SIDE] = side;
  s.on('data', onData);
  s.on('drain', onDrain);
  s.on('end', onEnd);
  s.on('error', onError);
  s.on('close', onClose);
}

/** Who a tunnel reports to (the session): no callback closures per tunnel. */
export interface TunnelOwner {
  /** Once, when the tunnel is over (both sides destroyed). */
  tunnelEnded(termination: TunnelTermination): void;
  /** Bytes read from the client or the server, as they arrive. */
  tunnelBytes?(fromClient: number, fromServer: number): void;
  /** Each socket's close, in order (`-d` clicls/srvcls lines). */
  tunnelSocketClosed?(side: 'client' | 'server'): void;
}

export class Tunnel {
  bytesFromClient = 0;
  bytesFromServer = 0;
  private readonly client: Side;
  private readonly server: Side;
  private finished = false;
  private termination: TunnelTermination = '--';

  constructor(
    clientSocket: Socket,
    serverSocket: Socket,
    clientTimeoutMs: number,
    serverTimeoutMs: number,
    private readonly timeouts: CoarseTimeouts,
    private readonly owner: TunnelOwner,
    /** Report each socket's close to the owner (`-d`). */
    private readonly reportCloses = false,
  ) {
    this.client = new Side(this, clientSocket, clientTimeoutMs, true);
    this.server = new Side(this, serverSocket, serverTimeoutMs, false);
    this.client.peer = this.server;
    this.server.peer = this.client;
    // both ends RawSockets: reads into the shared buffer (each chunk is written on at once; a
    // RawSocket's write copies what the kernel does not take now)
    if (clientSocket instanceof RawSocket && serverSocket instanceof RawSocket) {
      clientSocket.shareReads();
      serverSocket.shareReads();
    }
    attach(this.client);
    attach(this.server);
    this.arm(this.client);
    this.arm(this.server);
    clientSocket.resume();
    serverSocket.resume();
  }

  /** Bytes read from `from`: counted, relayed to its peer with backpressure. */
  data(from: Side, chunk: Buffer): void {
    const n = chunk.length;
    if (from.isClient) this.bytesFromClient += n;
    else this.bytesFromServer += n;
    if (from.isClient) this.owner.tunnelBytes?.(n, 0);
    else this.owner.tunnelBytes?.(0, n);
    if (from.deadlineMs !== 0) this.timeouts.refresh(from, from.timeoutMs);
    const to = from.peer;
    if (to.closed) return;
    // bytes handed to the other side are activity there too: a download whose client never
    // sends anything must not hit clitimeout while it flows
    if (to.deadlineMs !== 0) this.timeouts.refresh(to, to.timeoutMs);
    if (!to.socket.write(chunk)) {
      // backpressure: stop reading here until the other side drained
      to.writePending = true;
      from.pausedByPeer = true;
      from.socket.pause();
      this.arm(from);
      this.arm(to);
    }
  }

  /** `to` took what we had written: read again from its peer. */
  drained(to: Side): void {
    const from = to.peer;
    to.writePending = false;
    if (to.deadlineMs !== 0) this.timeouts.refresh(to, to.timeoutMs);
    if (from.pausedByPeer) {
      from.pausedByPeer = false;
      if (!from.closed) from.socket.resume();
    }
    this.arm(from);
    this.arm(to);
  }

  /** Half-close: pass the FIN on once what we already wrote is flushed. */
  ended(from: Side): void {
    from.readOpen = false;
    const to = from.peer;
    if (!to.readOpen && from.socket.writableLength === 0 && to.socket.writableLength === 0) {
      // both FINs read and every byte handed to the kernel: closing both sockets now sends the
      // last FIN as a shutdown() would (nothing is left unread, so no reset), without the extra
      // shutdown and poll round of the second direction
      this.abort(this.termination);
      return;
    }
    this.arm(from);
    if (!to.closed) to.socket.end();
  }

  errored(side: Side): void {
    this.abort(side.isClient ? 'CD' : 'SD');
  }

  closed(side: Side): void {
    side.closed = true;
    side.readOpen = false;
    side.writePending = false;
    this.disarm(side);
    if (this.reportCloses) this.owner.tunnelSocketClosed?.(side.isClient ? 'client' : 'server');
    if (this.finished) return;
    // a close without the FIN we read (and without an error event) is an abort too
    if (!side.socket.readableEnded) this.abort(side.isClient ? 'CD' : 'SD');
    else if (side.peer.closed) this.abort(this.termination);
  }

  private arm(side: Side): void {
    if (side.timeoutMs <= 0 || this.finished) return;
    if (side.waiting && !side.closed) {
      if (side.deadlineMs === 0) this.timeouts.arm(side, side.timeoutMs);
    } else this.disarm(side);
  }

  private disarm(side: Side): void {
    if (side.deadlineMs !== 0) this.timeouts.disarm(side);
  }

  /** Closes both sides now (stop(), errors, timeouts). */
  abort(termination: TunnelTermination): void {
    if (this.finished) return;
    this.finished = true;
    this.termination = termination;
    this.disarm(this.client);
    this.disarm(this.server);
    this.client.socket.destroy();
    this.server.socket.destroy();
    this.owner.tunnelEnded(termination);
  }
}
