// Coarse inactivity and connect timeouts for the hot path: one driver timer per runtime instead of
// a Node timer per socket. An entry's deadline is moved forward by plain assignment (activity on a
// tunnel side costs a clock read, nothing else); entries sit in buckets of RESOLUTION_MS and are
// looked at only when their bucket is due: expired ones fire, postponed ones move to a later
// bucket. Disarming takes an entry out of its bucket at once (a swap with the bucket's last
// entry), so a finished session is never kept alive by its old deadline. A timeout never fires
// early; it may fire up to RESOLUTION_MS (plus event-loop delay) late, far below any timeout
// HAProxy users set.
import { performance } from 'node:perf_hooks';

export const RESOLUTION_MS = 10;

/** Something with a deadline: a tunnel side, a connect attempt. */
export interface Expiring {
  /** performance.now() value at which it expires; 0 = disarmed. Managed by CoarseTimeouts. */
  deadlineMs: number;
  /** Bucket it sits in (-1 = none) and its position there. Managed by CoarseTimeouts. */
  timeoutSlot: number;
  timeoutIndex: number;
  /** Called once when the deadline passed while armed. */
  expired(): void;
}

export class CoarseTimeouts {
  private readonly buckets = new Map<number, Expiring[]>();
  /** Bucket numbers (possibly stale: emptied buckets are not removed), as a binary min-heap. */
  private readonly heap: number[] = [];
  private driver: NodeJS.Timeout | undefined = undefined;
  private driverSlot = Infinity;
  private readonly tick = (): void => this.run();

  /** Arms (or re-arms) `entry` to expire `ms` from now. */
  arm(entry: Expiring, ms: number): void {
    const deadline = performance.now() + ms;
    entry.deadlineMs = deadline;
    const slot = Math.ceil(deadline / RESOLUTION_MS);
    // already in a bucket due no later than the new deadline: it is moved when that bucket runs
    if (entry.timeoutSlot >= 0) {
      if (entry.timeoutSlot <= slot) return;
      this.remove(entry);
    }
    this.put(slot, entry);
  }

  /** Moves an armed entry's deadline to `ms` from now (activity); a disarmed entry stays disarmed. */
  refresh(entry: Expiring, ms: number): void {
    if (entry.deadlineMs !== 0) entry.deadlineMs = performance.now() + ms;
  }

  /** The entry will not fire; it leaves its bucket now. */
  disarm(entry: Expiring): void {
    entry.deadlineMs = 0;
    if (entry.timeoutSlot >= 0) this.remove(entry);
  }

  /** Entries waiting in buckets (tests). */
  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.length;
    return n;
  }

  private put(slot: number, entry: Expiring): void {
    let bucket = this.buckets.get(slot);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(slot, bucket);
      this.heapPush(slot);
    }
    entry.timeoutSlot = slot;
    entry.timeoutIndex = bucket.length;
    bucket.push(entry);
    if (slot < this.driverSlot) this.schedule(slot);
  }

  private remove(entry: Expiring): void {
    const slot = entry.timeoutSlot;
    entry.timeoutSlot = -1;
    const bucket = this.buckets.get(slot);
    if (bucket === undefined) return;
    const i = entry.timeoutIndex;
    const last = bucket.pop()!;
    if (last !== entry) {
      bucket[i] = last;
      last.timeoutIndex = i;
    }
    if (bucket.length === 0) this.buckets.delete(slot);
  }

  private schedule(slot: number): void {
    if (this.driver !== undefined) clearTimeout(this.driver);
    this.driverSlot = slot;
    const delay = Math.max(1, Math.ceil(slot * RESOLUTION_MS - performance.now()));
    this.driver = setTimeout(this.tick, delay);
    // the sockets and sessions keep the process alive, never this timer
    this.driver.unref();
  }

  private run(): void {
    this.driver = undefined;
    this.driverSlot = Infinity;
    const now = performance.now();
    const due = Math.floor(now / RESOLUTION_MS);
    for (let guard = 0; guard < 1_000_000 && this.heap.length > 0 && this.heap[0]! <= due; guard++) {
      const slot = this.heapPop();
      const bucket = this.buckets.get(slot);
      if (bucket === undefined) continue;
      // detached first: the callbacks may arm or disarm entries, this one's included
      this.buckets.delete(slot);
      for (const entry of bucket) entry.timeoutSlot = -1;
      for (const entry of bucket) {
        // disarmed, or armed again into another bucket, by a callback of this round
        if (entry.deadlineMs === 0 || entry.timeoutSlot !== -1) continue;
        if (entry.deadlineMs > now) {
          this.put(Math.ceil(entry.deadlineMs / RESOLUTION_MS), entry);
          continue;
        }
        entry.deadlineMs = 0;
        try {
          entry.expired();
        } catch {
          // one session's failure must not stop the others' timeouts
        }
      }
    }
    if (this.heap.length > 0 && this.heap[0]! < this.driverSlot) this.schedule(this.heap[0]!);
  }

  private heapPush(v: number): void {
    const h = this.heap;
    h.push(v);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= v) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = v;
  }

  private heapPop(): number {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && h[r]! < h[l]! ? r : l;
        if (h[c]! >= last) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
