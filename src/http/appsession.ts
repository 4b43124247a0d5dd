// appsession (spec §7.7, 1.2 only): a table learnt from the servers' Set-Cookie of the
// application cookie, mapping the first `len` characters of its value to a server name.
// Entries expire after `timeout` ms without use. Pure data structure; time is passed in.

export class AppSessionTable {
  private readonly entries = new Map<string, { server: string; expiresMs: number }>();
  private nextSweepMs = 0;

  constructor(private readonly timeoutMs: number) {}

  learn(key: string, serverName: string, nowMs: number): void {
    this.sweep(nowMs);
    this.entries.set(key, { server: serverName, expiresMs: nowMs + this.timeoutMs });
  }

  lookup(key: string, nowMs: number): string | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (this.timeoutMs > 0 && e.expiresMs <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    e.expiresMs = nowMs + this.timeoutMs; // refreshed on use
    return e.server;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries, at most once per timeout period. */
  private sweep(nowMs: number): void {
    if (this.timeoutMs <= 0 || nowMs < this.nextSweepMs) return;
    this.nextSweepMs = nowMs + this.timeoutMs;
    for (const [k, e] of this.entries) if (e.expiresMs <= nowMs) this.entries.delete(k);
  }
}
