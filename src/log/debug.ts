// `-d` debug output on stdout in the legacy shape (spec §12.7): `%08x:<px>.accept(%04x)=%04x from
// [<ip>:<port>]`, `clihdr`/`srvhdr` header lines, `clicls`/`srvcls`/`closed`. Pure formatters plus a
// tiny writer the engines hold one of per runtime.
//
// Numbers: the session id is a per-runtime counter starting at 0 (legacy: the process's total
// session count). The fds are the kernel's when Node exposes them (libuv stream handles carry
// `fd` on Unix), else -1; -1 prints `ffff` as legacy printed an unset server fd.
import { writeSync } from 'node:fs';
import { logBytes } from './syslog.js';

function hex4(fd: number): string {
  return (fd & 0xffff).toString(16).padStart(4, '0');
}

function hex8(id: number): string {
  return (id >>> 0).toString(16).padStart(8, '0');
}

/** `00000000:webfarm.accept(0003)=0006 from [127.0.0.1:43232]` */
export function debugAcceptLine(sessionId: number, proxyName: string, listenerFd: number, clientFd: number, clientAddress: string, clientPort: number): string {
  return `${hex8(sessionId)}:${proxyName}.accept(${hex4(listenerFd)})=${hex4(clientFd)} from [${clientAddress}:${clientPort}]\n`;
}

export type DebugHeaderSide = 'clihdr' | 'srvhdr';
export type DebugCloseEvent = 'clicls' | 'srvcls' | 'closed';

/** `00000000:webfarm.clihdr[0006:ffff]: GET /URI1 HTTP/1.0` (the line without its CRLF). */
export function debugHeaderLine(side: DebugHeaderSide, sessionId: number, proxyName: string, clientFd: number, serverFd: number, headerLine: string): string {
  return `${hex8(sessionId)}:${proxyName}.${side}[${hex4(clientFd)}:${hex4(serverFd)}]: ${headerLine}\n`;
}

/** `00000000:webfarm.closed[0006:0007]` */
export function debugCloseLine(event: DebugCloseEvent, sessionId: number, proxyName: string, clientFd: number, serverFd: number): string {
  return `${hex8(sessionId)}:${proxyName}.${event}[${hex4(clientFd)}:${hex4(serverFd)}]\n`;
}

/** The kernel fd behind a net.Socket / net.Server when libuv exposes it, else -1. */
export function handleFd(socketOrServer: object | undefined): number {
  const handle = (socketOrServer as { _handle?: { fd?: unknown } } | undefined)?._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/**
 * One per runtime when `-d` is on: numbers sessions and writes synchronously to stdout (or a
 * sink given by tests), so debug lines interleave with nothing and survive an exit.
 */
export class DebugLog {
  private nextId = 0;
  constructor(private readonly sink: (line: string) => void = writeStdout) {}

  /** Allocates the next session id (0, 1, 2, …). */
  newSession(): number {
    return this.nextId++;
  }

  accept(sessionId: number, proxyName: string, listenerFd: number, clientFd: number, clientAddress: string, clientPort: number): void {
    this.sink(debugAcceptLine(sessionId, proxyName, listenerFd, clientFd, clientAddress, clientPort));
  }

  header(side: DebugHeaderSide, sessionId: number, proxyName: string, clientFd: number, serverFd: number, headerLine: string): void {
    this.sink(debugHeaderLine(side, sessionId, proxyName, clientFd, serverFd, headerLine));
  }

  close(event: DebugCloseEvent, sessionId: number, proxyName: string, clientFd: number, serverFd: number): void {
    this.sink(debugCloseLine(event, sessionId, proxyName, clientFd, serverFd));
  }
}

function writeStdout(line: string): void {
  try {
    writeSync(1, logBytes(line));
  } catch {
    /* stdout closed: debug output is best effort */
  }
}
