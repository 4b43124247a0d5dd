// One listening socket (one address and port of a `bind`/`listen` entry). Binds or adopts an
// inherited fd, hands accepted sockets to the runtime, exposes its fd for hand-over.
//
// Accepted sockets are created paused (pauseOnConnect): nothing is read from a client until
// the runtime admits it. That is how maxconn "stops accepting" on Node 20, which has
// no way to stop a listening socket's accept loop while keeping it bound: server.close()
// unbinds, server.maxConnections destroys the excess connections, and readStop() is a no-op on
// a listening handle (libuv only polls it through its accept watcher). So connections beyond
// the limit are accepted by libuv but held, unread, as the kernel backlog would hold them.
import net from 'node:net';
import type { ProxySocket as Socket } from '../io/socket.js';
import { acceptRaw, rawSocketsEnabled } from '../io/raw-socket.js';

/** The key of a listening address in RuntimeOptions.inheritedHandles and Runtime.listeningHandles(). */
export function bindKey(host: string, port: number): string {
  return `${host}:${port}`;
}

export class Listener {
  readonly key: string;
  private readonly server: net.Server;
  private listening = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly backlog: number,
    private readonly onConnection: (socket: Socket) => void,
    private readonly onAcceptError: (err: Error) => void,
  ) {
    this.key = bindKey(host, port);
    // TCP_NODELAY is set once on the listening socket (start()): Linux copies it to every accepted
    // socket, where `noDelay: true` here would cost a setsockopt per connection
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection);
    this.server.on('error', (err) => {
      if (this.listening) onAcceptError(err);
    });
  }

  /** Binds (or adopts `inheritedFd`); calls back with the bind error, if any. */
  start(inheritedFd: number | undefined, done: (err: Error | undefined) => void): void {
    const onError = (err: Error) => {
      this.server.removeListener('listening', onListening);
      done(err);
    };
    const onListening = () => {
      this.server.removeListener('error', onError);
      this.listening = true;
      const h = (this.server as unknown as { _handle?: { setNoDelay?: (on: boolean) => number } | null })._handle;
      h?.setNoDelay?.(true);
      // accepted connections become RawSockets (io/raw-socket.ts) unless node:net is asked for
      if (rawSocketsEnabled) acceptRaw(this.server as unknown as { _handle?: unknown }, true, this.onConnection, this.onAcceptError);
      done(undefined);
    };
    this.server.once('error', onError);
    this.server.once('listening', onListening);
    // Node 20 ignores `backlog` in the options object for an fd: it must be the second argument
    if (inheritedFd !== undefined) this.server.listen({ fd: inheritedFd }, this.backlog);
    else this.server.listen({ host: this.host, port: this.port, backlog: this.backlog });
  }

  /** The listening fd (Unix), for passing to another process; undefined when not bound. */
  get fd(): number | undefined {
    const h = (this.server as unknown as { _handle?: { fd?: number } | null })._handle;
    return h !== null && h !== undefined && typeof h.fd === 'number' && h.fd >= 0 ? h.fd : undefined;
  }

  /** The bound port (useful with port 0 in tests). */
  get boundPort(): number {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.port : this.port;
  }

  get isListening(): boolean {
    return this.listening;
  }

  /** Unbinds. Sessions already accepted are not touched. */
  close(): void {
    if (!this.listening) return;
    this.listening = false;
    this.server.close();
  }
}
