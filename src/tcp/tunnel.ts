// The two-way byte pipe of an established session (spec §6): both directions with
// backpressure (a side whose peer cannot take more is paused, so nothing buffers without
// bound), half-closes passed through, per-side inactivity timeouts, byte counts, and the
// termination pair of the data phase ('--', 'CD', 'SD', 'cD', 'sD').
import type { Socket } from 'node:net';

export type TunnelTermination = '--' | 'CD' | 'SD' | 'cD' | 'sD';

/** One direction's endpoint state. */
class Side {
  /** We still expect bytes from this socket. */
  readOpen = true;
  /** Reading stopped because the peer's write buffer is full. */
  pausedByPeer = false;
  /** Our writes to this socket wait for 'drain'. */
  writePending = false;
  timer: NodeJS.Timeout | undefined = undefined;
  closed = false;
  constructor(
    readonly socket: Socket,
    readonly timeoutMs: number,
  ) {}

  /** Inactivity matters only while we wait on this side: to read from it, or for it to take our bytes. */
  get waiting(): boolean {
    return (this.readOpen && !this.pausedByPeer) || this.writePending;
  }
}

export class Tunnel {
  bytesFromClient = 0;
  bytesFromServer = 0;
  private readonly client: Side;
  private readonly server: Side;
  private ended = false;
  private termination: TunnelTermination = '--';

  constructor(
    clientSocket: Socket,
    serverSocket: Socket,
    clientTimeoutMs: number,
    serverTimeoutMs: number,
    private readonly onEnd: (termination: TunnelTermination) => void,
    private readonly onBytes?: (fromClient: number, fromServer: number) => void,
    /** Each socket's close, in order (`-d` clicls/srvcls lines). */
    private readonly onSocketClosed?: (side: 'client' | 'server') => void,
  ) {
    this.client = new Side(clientSocket, clientTimeoutMs);
    this.server = new Side(serverSocket, serverTimeoutMs);
    this.wire(this.client, this.server, true);
    this.wire(this.server, this.client, false);
    this.arm(this.client);
    this.arm(this.server);
    clientSocket.resume();
    serverSocket.resume();
  }

  private wire(from: Side, to: Side, fromClient: boolean): void {
    const src = from.socket;
    const dst = to.socket;
    src.on('data', (chunk: Buffer) => {
      const n = chunk.length;
      if (fromClient) this.bytesFromClient += n;
      else this.bytesFromServer += n;
      if (this.onBytes !== undefined) {
        if (fromClient) this.onBytes(n, 0);
        else this.onBytes(0, n);
      }
      if (from.timer !== undefined) from.timer.refresh();
      if (to.closed) return;
      // bytes handed to the other side are activity there too: a download whose client never
      // sends anything must not hit clitimeout while it flows
      if (to.timer !== undefined) to.timer.refresh();
      if (!dst.write(chunk)) {
        // backpressure: stop reading here until the other side drained
        to.writePending = true;
        from.pausedByPeer = true;
        src.pause();
        this.arm(from);
        this.arm(to);
      }
    });
    dst.on('drain', () => {
      to.writePending = false;
      if (to.timer !== undefined) to.timer.refresh();
      if (from.pausedByPeer) {
        from.pausedByPeer = false;
        if (!from.closed) src.resume();
      }
      this.arm(from);
      this.arm(to);
    });
    src.on('end', () => {
      // half-close: pass the FIN on once what we already wrote is flushed
      from.readOpen = false;
      this.arm(from);
      if (!to.closed) dst.end();
    });
    src.on('error', () => {
      this.finish(fromClient ? 'CD' : 'SD');
    });
    src.on('close', () => {
      from.closed = true;
      from.readOpen = false;
      from.writePending = false;
      this.disarm(from);
      if (this.onSocketClosed !== undefined) this.onSocketClosed(fromClient ? 'client' : 'server');
      if (this.ended) return;
      // a close without the FIN we read (and without an error event) is an abort too
      if (!src.readableEnded) this.finish(fromClient ? 'CD' : 'SD');
      else if (to.closed) this.finish(this.termination);
    });
  }

  private arm(side: Side): void {
    if (side.timeoutMs <= 0 || this.ended) return;
    if (side.waiting && !side.closed) {
      if (side.timer === undefined) {
        side.timer = setTimeout(() => this.onTimeout(side), side.timeoutMs);
      }
    } else this.disarm(side);
  }

  private disarm(side: Side): void {
    if (side.timer !== undefined) {
      clearTimeout(side.timer);
      side.timer = undefined;
    }
  }

  private onTimeout(side: Side): void {
    side.timer = undefined;
    this.finish(side === this.client ? 'cD' : 'sD');
  }

  /** Closes both sides now (stop(), errors). */
  abort(termination: TunnelTermination): void {
    this.finish(termination);
  }

  private finish(termination: TunnelTermination): void {
    if (this.ended) return;
    this.ended = true;
    this.termination = termination;
    this.disarm(this.client);
    this.disarm(this.server);
    this.client.socket.destroy();
    this.server.socket.destroy();
    this.onEnd(termination);
  }
}
