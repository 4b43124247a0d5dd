// The stateful balancer of one proxy: caches the eligible servers and their round-robin map
// (rebuilt when a server changes state or weight) and keeps the rotation cursor. The
// decisions themselves are the pure functions of select.ts.
import type { BalanceAlgorithm } from '../config/model.js';
import { eligibleServers, pickBySource, pickRoundRobin, serverMap, type LbServer } from './select.js';

export class Balancer<S extends LbServer> {
  private eligible: S[] = [];
  private map: S[] = [];
  private cursor = 0;
  private stale = true;

  constructor(
    private readonly servers: readonly S[],
    private readonly algorithm: BalanceAlgorithm,
    private readonly allBackups: boolean,
  ) {}

  /** A server changed state, maintenance or weight. */
  invalidate(): void {
    this.stale = true;
  }

  private refresh(): void {
    if (!this.stale) return;
    this.eligible = eligibleServers(this.servers, this.allBackups);
    this.map = serverMap(this.eligible);
    if (this.cursor >= this.map.length) this.cursor = 0;
    this.stale = false;
  }

  /** True when `server` currently takes load-balanced traffic (active, or the backup in use). */
  isEligible(server: S): boolean {
    this.refresh();
    return this.eligible.includes(server);
  }

  /** True when at least one server can take load-balanced traffic. */
  hasEligible(exclude?: S): boolean {
    if (exclude === undefined) {
      this.refresh();
      return this.eligible.length > 0;
    }
    return eligibleServers(this.servers, this.allBackups, exclude).length > 0;
  }

  /**
   * Chooses a server for a client. `full` = every eligible server is at its limit (the
   * session waits in the proxy queue); `server` undefined and `full` false = no server at all.
   * With `balance source` the hashed server is returned even when full (it gets queued there).
   */
  pick(clientAddress: string, hasSlot: (s: S) => boolean, exclude?: S): { server: S | undefined; full: boolean } {
    let eligible: S[];
    let map: S[];
    if (exclude === undefined) {
      this.refresh();
      eligible = this.eligible;
      map = this.map;
    } else {
      eligible = eligibleServers(this.servers, this.allBackups, exclude);
      map = serverMap(eligible);
    }
    if (eligible.length === 0) return { server: undefined, full: false };
    if (this.algorithm === 'source') {
      return { server: pickBySource(map, eligible, clientAddress), full: false };
    }
    const r = pickRoundRobin(map, this.cursor, hasSlot);
    if (r === undefined) return { server: undefined, full: true };
    if (exclude === undefined) this.cursor = r.cursor;
    return { server: r.server, full: false };
  }
}
