// The health-check scheduler (spec §8.1): one check loop per server with `check` (backups too),
// every `inter` ms, the first checks spread as 1.2.14 does, strictly periodic afterwards, at most
// one check of a server in flight. Feeds results to the state machine and reports transitions.
// Everything it starts belongs to the returned CheckScheduler: stop() leaves nothing behind.
import { performance } from 'node:perf_hooks';
import type { ProxyConfig, ServerConfig } from '../config/model.js';
import type { ProxyRuntime, ServerRuntime } from '../runtime/types.js';
import { LOG_ALERT, LOG_EMERG, LOG_NOTICE } from '../log/types.js';
import { applyCheckResult, initialHealth } from './state.js';
import { startProbe, type CheckKind, type Probe, type ProbeResult, type ProbeSpec } from './probe.js';
import { leavesNoServer, noServerMessage, serverDownMessage, serverUpMessage } from './messages.js';

export interface CheckScheduler {
  stop(): void;
}

/**
 * Delay of a server's first check after start (1.2.9+): `inter + mininter * pos / nbchk` with
 * integer division, pos = rank among the proxy's checked servers, mininter = their smallest inter.
 */
export function firstCheckDelayMs(interMs: number, minInterMs: number, position: number, checkedCount: number): number {
  return interMs + Math.floor((minInterMs * position) / checkedCount);
}

/** Which check a proxy runs. httpchk wins if a config somehow carries both options. */
export function checkKind(proxy: ProxyConfig): CheckKind {
  if (proxy.httpCheck !== undefined) return 'http';
  return proxy.options.sslHelloChk ? 'ssl' : 'tcp';
}

/**
 * The check destination of a server: `addr` else the server address, `port` else the server's
 * absolute port; undefined when neither gives a port (a mapped-port server without `port`, which
 * the parser rejects). Source: the server's `source`, else the proxy's.
 */
export function probeSpecFor(proxy: ProxyConfig, server: ServerConfig): ProbeSpec | undefined {
  const port = server.checkPort ?? (server.address.port.kind === 'absolute' ? server.address.port.port : undefined);
  if (port === undefined || port <= 0) return undefined;
  const source = server.source ?? proxy.source;
  const kind = checkKind(proxy);
  return {
    kind,
    host: server.checkAddr ?? server.address.host,
    port,
    localAddress: source?.host,
    localPort: source?.port ?? 0,
    // latin1: the tokenizer's \xHH escapes are byte values and go out unchanged.
    httpRequest: kind === 'http' && proxy.httpCheck !== undefined ? Buffer.from(proxy.httpCheck.request, 'latin1') : undefined,
  };
}

/** Sends a state change to stderr (via the process log, which honours quiet) and to the proxy's syslog targets. */
export function reportTransition(proxy: ProxyRuntime, server: ServerRuntime, transition: 'up' | 'down'): void {
  const backup = server.config.backup;
  if (transition === 'down') {
    const counts = server.setDown();
    const message = serverDownMessage(proxy.config.name, server.config.name, backup, counts);
    proxy.processLog.warning(message);
    proxy.log.send(LOG_ALERT, message);
    if (leavesNoServer(counts)) {
      const emergency = noServerMessage(proxy.config.name);
      proxy.processLog.alert(emergency);
      proxy.log.send(LOG_EMERG, emergency);
    }
  } else {
    const counts = server.setUp();
    const message = serverUpMessage(proxy.config.name, server.config.name, backup, counts);
    proxy.processLog.warning(message);
    proxy.log.send(LOG_NOTICE, message);
  }
}

/** One server's check loop. */
class ServerCheckLoop {
  private health: number;
  private timer: NodeJS.Timeout | undefined;
  private probe: Probe | undefined;
  /** performance.now() at which the next check is due. */
  private dueMs: number;
  private stopped = false;
  private readonly interMs: number;
  private readonly rise: number;
  private readonly fall: number;

  constructor(
    private readonly proxy: ProxyRuntime,
    private readonly server: ServerRuntime,
    private readonly spec: ProbeSpec,
    firstDueMs: number,
  ) {
    const cfg = server.config;
    this.interMs = Math.max(1, cfg.interMs);
    this.rise = Math.max(1, cfg.rise);
    this.fall = Math.max(1, cfg.fall);
    this.health = server.state === 'UP' ? initialHealth(this.rise) : 0;
    this.dueMs = firstDueMs;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.probe?.abort();
    this.probe = undefined;
  }

  private arm(): void {
    this.timer = setTimeout(this.run, Math.max(0, this.dueMs - performance.now()));
  }

  private readonly run = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    if (this.server.maintenance) {
      // Maintenance: no check, keep the rhythm so checks resume in phase when it ends.
      this.advance(performance.now(), this.dueMs + this.interMs);
      return;
    }
    const startedMs = performance.now();
    try {
      // legacy: the check must complete within `inter` of its start.
      this.probe = startProbe(this.spec, this.interMs, (result) => this.onResult(result, startedMs));
    } catch {
      // e.g. a source address of the wrong family: a failed check, never a crash.
      this.onResult({ ok: false, status: 'SOCKERR', timedOut: false }, startedMs);
    }
  };

  private onResult(result: ProbeResult, startedMs: number): void {
    this.probe = undefined;
    if (this.stopped) return;
    this.server.setCheckStatus(result.status);
    const step = applyCheckResult(this.health, result.ok, this.rise, this.fall);
    this.health = step.health;
    // The stats page shows "going up/down" from this counter.
    this.server.setCheckHealth?.(step.health, result.ok);
    if (step.transition !== undefined) {
      try {
        reportTransition(this.proxy, this.server, step.transition);
      } catch (err) {
        // A fault behind setUp()/setDown() must not take the whole process down from a socket callback.
        this.proxy.processLog.alert(`Health check of server ${this.proxy.config.name}/${this.server.config.name}: ${(err as Error).message}`);
      }
    }
    if (this.stopped) return; // a report may have led the owner to stop us
    // 1.2.10+: strictly periodic (start + inter); a timed-out check ends at start + inter and
    // the next one starts `inter` after that.
    const nowMs = performance.now();
    this.advance(nowMs, result.timedOut ? startedMs + 2 * this.interMs : this.dueMs + this.interMs);
  }

  /** Schedules the next check at `nextDueMs`, skipping whole intervals already missed (legacy). */
  private advance(nowMs: number, nextDueMs: number): void {
    let due = nextDueMs;
    if (due <= nowMs) due += Math.ceil((nowMs - due + 1) / this.interMs) * this.interMs;
    this.dueMs = due;
    this.arm();
  }
}

/** Starts one check loop per server with `check` in this proxy (none for a disabled proxy). */
export function startChecks(proxy: ProxyRuntime): CheckScheduler {
  const loops: ServerCheckLoop[] = [];
  if (proxy.config.enabled) {
    const planned: { server: ServerRuntime; spec: ProbeSpec }[] = [];
    for (const server of proxy.servers) {
      if (!server.config.check) continue;
      const spec = probeSpecFor(proxy.config, server.config);
      if (spec !== undefined) planned.push({ server, spec });
    }
    if (planned.length > 0) {
      const minInterMs = Math.min(...planned.map((p) => Math.max(1, p.server.config.interMs)));
      const startMs = performance.now();
      planned.forEach(({ server, spec }, position) => {
        const delayMs = firstCheckDelayMs(Math.max(1, server.config.interMs), minInterMs, position, planned.length);
        loops.push(new ServerCheckLoop(proxy, server, spec, startMs + delayMs));
      });
    }
  }
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      for (const loop of loops) loop.stop();
    },
  };
}
