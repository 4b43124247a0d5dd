// Real backend servers for runtime tests, on loopback, recording what they receive:
// echo/record servers that announce their name, ones that reset mid-stream, accept and never
// answer, close at once, or refuse (a closed port). Every server is closed by close().
import net from 'node:net';
import type { Socket } from 'node:net';

export interface BackendConnection {
  readonly socket: Socket;
  /** Address the proxy connected from (checks `source`). */
  readonly remoteAddress: string;
  /** Port the proxy connected to (checks mapped ports). */
  readonly localPort: number;
  received: Buffer[];
  bytes: number;
  /** Bytes this backend wrote (the 'source' behaviour counts them once the kernel took them). */
  sent: number;
  /** The proxy half-closed towards us. */
  gotEnd: boolean;
  closed: boolean;
}

export type BackendBehaviour =
  /** Writes `greeting` (if any) on connect, echoes everything, half-closes when the client does. */
  | { kind: 'echo'; greeting?: string }
  /** Records, answers nothing, keeps the connection open until the peer closes. */
  | { kind: 'silent' }
  /** Closes each connection as soon as it is accepted. */
  | { kind: 'close' }
  /** Echoes then resets after `afterBytes` received bytes. */
  | { kind: 'reset'; afterBytes: number }
  /** Sends `bytes` bytes of a deterministic pattern, then ends; records what it gets. */
  | { kind: 'source'; bytes: number }
  /** Sends `chunks` chunks of `chunkBytes` every `intervalMs`, then ends; records what it gets. */
  | { kind: 'drip'; chunks: number; chunkBytes: number; intervalMs: number }
  /** Reads everything, answers `reply(received)` when the client half-closes. */
  | { kind: 'reply-on-end'; reply: (received: Buffer) => string | Buffer };

export interface Backend {
  readonly host: string;
  readonly port: number;
  readonly connections: BackendConnection[];
  /** Resolves when `n` connections have been accepted in total. */
  waitConnections(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The byte at offset i of the 'source' pattern. */
export function patternByte(i: number): number {
  return (i * 31 + (i >>> 8)) & 0xff;
}

export function patternChunk(offset: number, length: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = patternByte(offset + i);
  return b;
}

export function startBackend(behaviour: BackendBehaviour, host = '127.0.0.1', port = 0): Promise<Backend> {
  const connections: BackendConnection[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    const conn: BackendConnection = {
      socket,
      remoteAddress: socket.remoteAddress ?? '',
      localPort: socket.localPort ?? 0,
      received: [],
      bytes: 0,
      sent: 0,
      gotEnd: false,
      closed: false,
    };
    connections.push(conn);
    for (const w of waiters.splice(0)) {
      if (connections.length >= w.n) w.resolve();
      else waiters.push(w);
    }
    socket.on('close', () => {
      conn.closed = true;
      sockets.delete(socket);
    });
    socket.on('end', () => {
      conn.gotEnd = true;
    });
    const record = (d: Buffer) => {
      conn.received.push(d);
      conn.bytes += d.length;
    };
    switch (behaviour.kind) {
      case 'echo':
        if (behaviour.greeting !== undefined) socket.write(behaviour.greeting);
        socket.on('data', (d: Buffer) => {
          record(d);
          if (!socket.write(d)) {
            socket.pause();
            socket.once('drain', () => socket.resume());
          }
        });
        socket.on('end', () => socket.end());
        break;
      case 'silent':
        socket.on('data', record);
        break;
      case 'close':
        socket.destroy();
        break;
      case 'reset':
        socket.on('data', (d: Buffer) => {
          record(d);
          if (conn.bytes >= behaviour.afterBytes) socket.resetAndDestroy();
          else socket.write(d);
        });
        break;
      case 'source': {
        socket.on('data', record);
        let sent = 0;
        const pump = () => {
          while (sent < behaviour.bytes) {
            const n = Math.min(65536, behaviour.bytes - sent);
            const ok = socket.write(patternChunk(sent, n), () => (conn.sent += n));
            sent += n;
            if (!ok) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end();
        };
        pump();
        break;
      }
      case 'drip': {
        socket.on('data', record);
        let n = 0;
        const timer = setInterval(() => {
          if (socket.destroyed) return clearInterval(timer);
          socket.write(patternChunk(n * behaviour.chunkBytes, behaviour.chunkBytes));
          if (++n >= behaviour.chunks) {
            clearInterval(timer);
            socket.end();
          }
        }, behaviour.intervalMs);
        socket.on('close', () => clearInterval(timer));
        break;
      }
      case 'reply-on-end':
        socket.on('data', record);
        socket.on('end', () => socket.end(behaviour.reply(Buffer.concat(conn.received))));
        break;
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      const a = server.address() as net.AddressInfo;
      resolve({
        host,
        port: a.port,
        connections,
        waitConnections(n: number, timeoutMs = 5000) {
          if (connections.length >= n) return Promise.resolve();
          return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`backend: ${connections.length}/${n} connections after ${timeoutMs} ms`)), timeoutMs);
            waiters.push({
              n,
              resolve: () => {
                clearTimeout(t);
                res();
              },
            });
          });
        },
        close() {
          for (const s of sockets) s.destroy();
          return new Promise((res) => server.close(() => res()));
        },
      });
    });
  });
}

/**
 * A loopback port whose accept queue is full, so further connection attempts hang until they
 * time out (a connect-timeout target without firewall rules). A python3 process listens with
 * backlog 0 and never accepts; two local connections fill the queue. Stopped by PID.
 */
export interface Blackhole {
  readonly port: number;
  close(): Promise<void>;
}

export async function startBlackhole(): Promise<Blackhole> {
  const { spawn } = await import('node:child_process');
  const child = spawn(
    'python3',
    [
      '-c',
      'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('blackhole did not start')), 5000);
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(t);
      resolve(Number(d.toString().trim()));
    });
    child.once('exit', () => reject(new Error('blackhole exited')));
  });
  const fillers: Socket[] = [];
  // fill the accept queue: with backlog 0 Linux queues one connection (sometimes two)
  for (let i = 0; i < 3; i++) {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    fillers.push(s);
    await new Promise<void>((r) => {
      const t = setTimeout(r, 300);
      s.once('connect', () => {
        clearTimeout(t);
        r();
      });
    });
  }
  return {
    port,
    close() {
      for (const s of fillers) s.destroy();
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
