// A real UDP syslog receiver for tests: binds 127.0.0.1:0 (or ::1:0), keeps every datagram, and
// waits for a count of them with a bounded timeout.
import { createSocket, type Socket } from 'node:dgram';

export interface SyslogReceiver {
  readonly host: string;
  readonly port: number;
  /** Raw datagrams in arrival order. */
  readonly datagrams: Buffer[];
  /** Datagrams as latin1 text (one char per byte). */
  messages(): string[];
  /** Resolves once at least `count` datagrams arrived; rejects after `timeoutMs` (default 3000). */
  waitFor(count: number, timeoutMs?: number): Promise<string[]>;
  /** Resolves when no datagram arrived for `quietMs` (bounded by `timeoutMs`): for "nothing was logged" checks. */
  settle(quietMs?: number, timeoutMs?: number): Promise<string[]>;
  clear(): void;
  close(): Promise<void>;
}

export async function startSyslogReceiver(host = '127.0.0.1'): Promise<SyslogReceiver> {
  const socket: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const datagrams: Buffer[] = [];
  let waiters: (() => void)[] = [];
  let lastArrival = Date.now();
  socket.on('message', (msg) => {
    datagrams.push(msg);
    lastArrival = Date.now();
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const port = socket.address().port;
  const messages = (): string[] => datagrams.map((d) => d.toString('latin1'));
  return {
    host,
    port,
    datagrams,
    messages,
    waitFor(count: number, timeoutMs = 3000): Promise<string[]> {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => {
          waiters = waiters.filter((w) => w !== check);
          reject(new Error(`syslog receiver: ${datagrams.length} of ${count} datagrams after ${timeoutMs} ms: ${JSON.stringify(messages())}`));
        }, timeoutMs);
        const check = (): void => {
          if (datagrams.length >= count) {
            clearTimeout(deadline);
            resolve(messages());
          } else waiters.push(check);
        };
        check();
      });
    },
    async settle(quietMs = 150, timeoutMs = 3000): Promise<string[]> {
      const start = Date.now();
      for (let i = 0; i < 1000 && Date.now() - start < timeoutMs; i++) {
        await new Promise((r) => setTimeout(r, quietMs / 3));
        if (Date.now() - lastArrival >= quietMs) break;
      }
      return messages();
    },
    clear(): void {
      datagrams.length = 0;
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      });
    },
  };
}
