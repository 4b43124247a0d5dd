// The listening sockets the process manager holds for hand-over: bound (SO_REUSEADDR, as libuv
// does) but NOT listening, so the holder never accepts; the serving processes receive the fds
// and call listen() on them (`RuntimeOptions.inheritedHandles`). This is how Node's own cluster
// shares a port between processes without SO_REUSEPORT (not available on Node 20).
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { BindSpec, Config } from '../config/model.js';
import { bindKey } from '../runtime/listener.js';
import type { TcpHandle } from './handover.js';


type CreateServerHandle = (
  address: string,
  port: number,
  addressType: number,
  fd: number | undefined,
  flags: number,
) => TcpHandle | number;

// net._createServerHandle is what cluster primaries use to bind without listening.
const createServerHandle = (net as unknown as { _createServerHandle: CreateServerHandle })._createServerHandle;

/** One bound address, keyed as the runtime keys inherited handles (runtime/listener.ts bindKey). */
export interface HeldSocket {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly proxyName: string;
  readonly fd: number;
  readonly handle: TcpHandle;
}

/** One address to bind, with the proxy it belongs to (for the alert text). */
export interface BindTarget {
  readonly key: string;
  readonly host: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly proxyName: string;
}

export interface BindFailure {
  readonly target: BindTarget;
  /** errno name, e.g. EADDRINUSE, EACCES, EADDRNOTAVAIL. */
  readonly code: string;
}

export { bindKey };

/**
 * Every port of every enabled proxy, in configuration order. An address written twice is kept
 * twice: the second bind fails with EADDRINUSE, as it did in legacy.
 */
export function bindTargets(config: Config): BindTarget[] {
  const out: BindTarget[] = [];
  for (const proxy of config.proxies) {
    if (!proxy.enabled) continue;
    for (const spec of proxy.binds) {
      for (const port of portsOf(spec)) {
        out.push({ key: bindKey(spec.host, port), host: spec.host, family: spec.family, port, proxyName: proxy.name });
      }
    }
  }
  return out;
}

function portsOf(spec: BindSpec): number[] {
  const ports: number[] = [];
  for (let p = spec.port; p <= spec.portEnd; p++) ports.push(p);
  return ports;
}

/** Binds one address without listening. */
export function bindOne(target: BindTarget): HeldSocket | BindFailure {
  const result = createServerHandle(target.host, target.port, target.family, undefined, 0);
  if (typeof result === 'number') {
    let code: string;
    try {
      code = getSystemErrorName(result);
    } catch {
      code = `errno ${result}`;
    }
    return { target, code };
  }
  // libuv defers EADDRINUSE from bind() to listen(); a socket whose bind failed is still unbound
  // (port 0), and listening on it would silently pick a random port.
  const name: { port?: number } = {};
  if (result.getsockname(name) !== 0 || (target.port !== 0 && name.port !== target.port)) {
    result.close();
    return { target, code: 'EADDRINUSE' };
  }
  return { key: target.key, host: target.host, port: target.port, proxyName: target.proxyName, fd: result.fd, handle: result };
}

export function isFailure(x: HeldSocket | BindFailure): x is BindFailure {
  return (x as BindFailure).code !== undefined;
}

/** The alert the runtime also prints for a bind failure. */
export function bindAlert(failure: BindFailure): string {
  return `Starting proxy ${failure.target.proxyName}: cannot bind socket [${failure.target.key}]`;
}

export function closeHeld(held: Iterable<HeldSocket>): void {
  for (const socket of held) socket.handle.close();
}

/** The handles by key (what a hand-over offers). */
export function handleMap(held: Iterable<HeldSocket>): Map<string, TcpHandle> {
  const map = new Map<string, TcpHandle>();
  for (const socket of held) map.set(socket.key, socket.handle);
  return map;
}

/** `inheritedHandles` for a runtime in this same process. */
export function handlesOf(held: Iterable<HeldSocket>): Map<string, { fd: number }> {
  const map = new Map<string, { fd: number }>();
  for (const socket of held) map.set(socket.key, { fd: socket.fd });
  return map;
}
