// One server of a proxy at run time: health and maintenance state, weight, the session slot
// count against its (dynamic) maxconn, its queue of waiting sessions, and its counters.
// The proxy is told about every change that affects balancing or queues.
import type { ServerConfig } from '../config/model.js';
import type { ProxyRuntime, ServerRuntime, StateChangeCounts } from './types.js';
import { dynamicMaxconn, effectiveLimits, type LbServer } from '../lb/select.js';

/** What a server needs from its proxy (implemented by runtime/proxy.ts). */
export interface ServerOwner extends ProxyRuntime {
  /** Balancing inputs changed (state, maintenance, weight). */
  serverChanged(server: Server, wentDown: boolean): { requeued: number };
  /** A slot freed up or the server came up: hand it to waiting sessions. */
  serverSlotFreed(server: Server): void;
  /** `fullconn`, else the proxy's maxconn: the denominator of the dynamic limit. */
  readonly fullconn: number;
  usableCounts(): { active: number; backup: number };
}

/** Something waiting in a queue for a slot (runtime/connector.ts). */
export interface QueuedSession {
  /** Called when a slot on `server` was taken for this session. */
  grant(server: Server): void;
  /** A redispatched session that must not go back to this server. */
  readonly exclude: Server | undefined;
}

export class Server implements ServerRuntime, LbServer {
  readonly config: ServerConfig;
  readonly proxy: ServerOwner;
  readonly index: number;
  readonly backup: boolean;
  readonly cookie: string | undefined;
  state: 'UP' | 'DOWN' = 'UP';
  maintenance = false;
  weight: number;
  currentSessions = 0;
  totalSessions = 0;
  bytesIn = 0;
  bytesOut = 0;
  connectErrors = 0;
  responseErrors = 0;
  retries = 0;
  redispatches = 0;
  lastChangeMs: number;
  downtimeMs = 0;
  checkStatus = '';
  /** Normalised configured limits (0 = unlimited). */
  readonly maxconn: number;
  readonly minconn: number;
  /** Sessions waiting for a slot on this server (spec §7.6). */
  readonly queue: QueuedSession[] = [];
  // stats counters (optional members of ServerRuntime)
  maxQueueLength = 0;
  lbTotal = 0;
  downTransitions = 0;
  checkHealth: number | undefined = undefined;
  checkFailures = 0;
  /** HTTP responses by class [1xx, 2xx, 3xx, 4xx, 5xx, other]. */
  readonly httpResponses: number[] = [0, 0, 0, 0, 0, 0];

  constructor(owner: ServerOwner, config: ServerConfig, index: number, nowMs: number) {
    this.proxy = owner;
    this.config = config;
    this.index = index;
    this.backup = config.backup;
    this.cookie = config.cookie;
    this.weight = config.weight > 0 ? config.weight : 1;
    this.lastChangeMs = nowMs;
    const lim = effectiveLimits(config.maxconn, config.minconn);
    this.maxconn = lim.maxconn;
    this.minconn = lim.minconn;
  }

  get usable(): boolean {
    return this.state === 'UP' && !this.maintenance;
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** The highest number of concurrent sessions seen (stats `smax`). */
  maxSessions = 0;

  /** The current limit (stats `slim`): the dynamic one when minconn < maxconn; 0 = unlimited. */
  get sessionLimit(): number {
    return dynamicMaxconn(this.maxconn, this.minconn, this.proxy.currentSessions, this.proxy.fullconn);
  }

  hasSlot(): boolean {
    const max = this.sessionLimit;
    return max === 0 || this.currentSessions < max;
  }

  takeSlot(): void {
    if (++this.currentSessions > this.maxSessions) this.maxSessions = this.currentSessions;
  }

  freeSlot(): void {
    if (this.currentSessions > 0) this.currentSessions--;
    this.proxy.serverSlotFreed(this);
  }

  /** Adds a session to this server's queue. */
  enqueue(q: QueuedSession): void {
    this.queue.push(q);
    if (this.queue.length > this.maxQueueLength) this.maxQueueLength = this.queue.length;
  }

  setCheckHealth(health: number, ok: boolean): void {
    this.checkHealth = health;
    if (!ok && this.state === 'UP') this.checkFailures++;
  }

  setCheckStatus(status: string): void {
    this.checkStatus = status;
  }

  private counts(requeued: number): StateChangeCounts {
    const u = this.proxy.usableCounts();
    return {
      activeLeft: u.active,
      backupLeft: u.backup,
      sessionsActive: this.currentSessions,
      requeued,
      remainingInQueue: this.queue.length,
    };
  }

  setUp(): StateChangeCounts {
    if (this.state !== 'UP') {
      const now = Date.now();
      this.downtimeMs += now - this.lastChangeMs;
      this.lastChangeMs = now;
      this.state = 'UP';
      this.proxy.serverChanged(this, false);
      this.proxy.serverSlotFreed(this);
    }
    return this.counts(0);
  }

  setDown(): StateChangeCounts {
    let requeued = 0;
    if (this.state !== 'DOWN') {
      this.lastChangeMs = Date.now();
      this.state = 'DOWN';
      this.downTransitions++;
      requeued = this.proxy.serverChanged(this, true).requeued;
    }
    return this.counts(requeued);
  }

  setMaintenance(on: boolean): void {
    if (this.maintenance === on) return;
    this.maintenance = on;
    this.proxy.serverChanged(this, on);
    if (!on) this.proxy.serverSlotFreed(this);
  }

  setWeight(weight: number): void {
    const w = Math.max(0, Math.min(256, Math.floor(weight)));
    if (w === this.weight) return;
    this.weight = w;
    this.proxy.serverChanged(this, false);
  }

  addBytes(fromClient: number, fromServer: number): void {
    this.bytesIn += fromClient;
    this.bytesOut += fromServer;
  }

  countResponseError(): void {
    this.responseErrors++;
  }
}
