// Server selection decisions (spec §7.1-§7.6, DESIGN.md decisions 8 and 9) as pure functions
// over a minimal view of the servers, so they can be table-tested. The runtime keeps the
// state (map, cursor, counters) and calls these.
import type { ServerPort } from '../config/model.js';
import { buildServerMap } from './server-map.js';
import { sourceHash } from './source-hash.js';

/** What selection needs to know about a server. */
export interface LbServer {
  readonly index: number;
  readonly backup: boolean;
  readonly weight: number;
  /** UP and not in maintenance. */
  readonly usable: boolean;
  readonly cookie: string | undefined;
  /** Not in maintenance (a DOWN server can still be chosen by a cookie with `option persist`). */
  readonly maintenance: boolean;
}

/**
 * The servers that take load-balanced traffic: every usable active server; if there is none,
 * the first usable backup only, or every usable backup with `option allbackups`.
 * `exclude` counts as down (the server a redispatch leaves, DESIGN.md decision 8), and so does
 * a server whose weight was set to 0 at run time (it keeps only its cookie clients).
 */
export function eligibleServers<S extends LbServer>(servers: readonly S[], allBackups: boolean, exclude?: S): S[] {
  const active: S[] = [];
  for (const s of servers) if (!s.backup && s.usable && s.weight > 0 && s !== exclude) active.push(s);
  if (active.length > 0) return active;
  const backups: S[] = [];
  for (const s of servers) {
    if (s.backup && s.usable && s.weight > 0 && s !== exclude) {
      backups.push(s);
      if (!allBackups) break;
    }
  }
  return backups;
}

/** The round-robin map of eligible servers: entries are servers, repeated by weight. */
export function serverMap<S extends LbServer>(eligible: readonly S[]): S[] {
  const positions = buildServerMap(eligible.map((s) => (s.weight > 0 ? s.weight : 1)));
  return positions.map((p) => eligible[p]!);
}

/**
 * Walks the map from `cursor` to the first server that `hasSlot` accepts (1.2.13: servers at
 * their maxconn are skipped). Returns the server and the cursor after it, or undefined when
 * every server in the map is full.
 */
export function pickRoundRobin<S>(
  map: readonly S[],
  cursor: number,
  hasSlot: (s: S) => boolean,
): { server: S; cursor: number } | undefined {
  const n = map.length;
  if (n === 0) return undefined;
  let pos = ((cursor % n) + n) % n;
  for (let i = 0; i < n; i++) {
    const s = map[pos]!;
    pos = pos + 1 === n ? 0 : pos + 1;
    if (hasSlot(s)) return { server: s, cursor: pos };
  }
  return undefined;
}

/** `balance source`: the server for this client address (one eligible server is used directly). */
export function pickBySource<S>(map: readonly S[], eligible: readonly S[], clientAddress: string): S | undefined {
  if (eligible.length === 0) return undefined;
  if (eligible.length === 1) return eligible[0];
  return map[sourceHash(clientAddress) % map.length];
}

/**
 * Persistence cookie → server (spec §7.3): the first server, in declaration order and backups
 * included, whose cookie equals `value` and which is usable (or any such server not in
 * maintenance with `option persist`). `down` reports that only unusable servers matched
 * (log flag `D`). An empty value is invalid (1.2.13+).
 */
export function findServerByCookie<S extends LbServer>(
  servers: readonly S[],
  value: string,
  persist: boolean,
): { server: S | undefined; down: boolean } {
  if (value === '') return { server: undefined, down: false };
  let down = false;
  for (const s of servers) {
    if (s.cookie === undefined || s.cookie !== value) continue;
    if (s.usable || (persist && !s.maintenance)) return { server: s, down: false };
    down = true;
  }
  return { server: undefined, down };
}

/** Normalised per-server limits: maxconn 0 = unlimited; minconn alone acts as maxconn. */
export function effectiveLimits(maxconn: number, minconn: number): { maxconn: number; minconn: number } {
  let max = maxconn;
  let min = minconn;
  if (max <= 0 && min > 0) max = min;
  if (min <= 0 || min > max) min = max;
  return { maxconn: max, minconn: min };
}

/**
 * The dynamic per-server limit (spec §7.6): `max(minconn, maxconn * proxySessions / fullconn)`
 * capped at maxconn; 0 = unlimited. `fullconn` is the proxy's fullconn, else its maxconn.
 */
export function dynamicMaxconn(maxconn: number, minconn: number, proxySessions: number, fullconn: number): number {
  if (maxconn <= 0) return 0;
  if (minconn >= maxconn || fullconn <= 0) return maxconn;
  if (proxySessions >= fullconn) return maxconn;
  const dyn = Math.floor((proxySessions * maxconn) / fullconn);
  return Math.max(minconn, Math.min(maxconn, dyn));
}

/**
 * The destination port of a server or dispatch address (spec §3.3, §5.4): an absolute port,
 * or the port the client connected to plus an offset. Returns 0 when the result is out of range.
 */
export function destinationPort(port: ServerPort, frontendPort: number): number {
  if (port.kind === 'absolute') return port.port;
  const p = frontendPort + port.offset;
  return p >= 1 && p <= 65535 ? p : 0;
}
