// Test support for the health-check work: check targets on loopback that record every check
// connection (arrival time, bytes received) and answer as told, plus small waiting helpers.
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** What a target does with a check connection. */
export type TargetBehaviour =
  | { readonly kind: 'accept' } // accept, answer nothing, close when the peer does
  | { readonly kind: 'reply'; readonly bytes: Buffer | string; readonly close: boolean }
  | { readonly kind: 'hang' } // accept and never answer nor close
  | { readonly kind: 'reset' } // accept then reset
  | { readonly kind: 'custom'; readonly onData: (socket: Socket, received: Buffer) => void };

export interface CheckArrival {
  readonly atMs: number;
  /** Bytes received on this connection so far (updated while it lives). */
  received: Buffer;
  readonly localPort: number;
  readonly remoteAddress: string;
}

export class CheckTarget {
  readonly arrivals: CheckArrival[] = [];
  behaviour: TargetBehaviour;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** Connections open right now, and the most seen open at once. */
  openNow = 0;
  maxOpen = 0;

  constructor(behaviour: TargetBehaviour = { kind: 'accept' }) {
    this.behaviour = behaviour;
    this.server = createServer((socket) => this.onConnection(socket));
  }

  async listen(host = '127.0.0.1', port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.port = address.port;
    // A test that fails before registering its cleanup must not keep the process alive.
    this.server.unref();
    return this;
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    this.openNow++;
    this.maxOpen = Math.max(this.maxOpen, this.openNow);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.openNow--;
    });
    socket.on('error', () => {});
    const arrival: CheckArrival = {
      atMs: performance.now(),
      received: Buffer.alloc(0),
      localPort: socket.localPort ?? 0,
      remoteAddress: socket.remoteAddress ?? '',
    };
    this.arrivals.push(arrival);
    const behaviour = this.behaviour;
    if (behaviour.kind === 'reset') {
      socket.resetAndDestroy();
      return;
    }
    socket.on('data', (chunk: Buffer) => {
      arrival.received = Buffer.concat([arrival.received, chunk]);
      if (behaviour.kind === 'reply') {
        socket.write(behaviour.bytes);
        if (behaviour.close) socket.end();
      } else if (behaviour.kind === 'custom') {
        behaviour.onData(socket, arrival.received);
      }
    });
    socket.on('end', () => {
      if (behaviour.kind !== 'hang') socket.end();
    });
  }

  /** Stops accepting (later checks are refused) and drops open connections. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A free loopback port (listen on 0, read it back, close). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no address');
  return address.port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms until true or `timeoutMs` elapsed; returns its last value. */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await sleep(10);
  }
  return condition();
}
