// The socket contract the proxy engines are written against: the part of node:net's Socket they
// use. Both net.Socket (tests, hostnames, the fallback path) and RawSocket (io/raw-socket.ts, the
// hot path) satisfy it, so an engine never knows which one it drives.
import type { EventEmitter } from 'node:events';

export interface ProxySocket extends EventEmitter {
  write(data: Uint8Array | string, cb?: (err?: Error | null) => void): boolean;
  end(data?: Uint8Array | string): this;
  destroy(err?: Error): this;
  destroySoon(): void;
  resetAndDestroy(): this;
  pause(): this;
  resume(): this;
  isPaused(): boolean;
  setTimeout(ms: number, cb?: () => void): this;
  setNoDelay(on?: boolean): this;
  setKeepAlive(on?: boolean, initialDelayMs?: number): this;
  cork(): void;
  uncork(): void;
  ref(): this;
  unref(): this;
  address(): unknown;
  readonly timeout?: number | undefined;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly remoteFamily?: string | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly writableLength: number;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  readonly readableEnded: boolean;
  readonly pending: boolean;
}
