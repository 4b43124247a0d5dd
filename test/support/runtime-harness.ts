// Starts a Runtime in-process for tests, with a recording proxy logger per proxy and a
// recording process log; stop() always cleans up.
import type { ProxyConfig } from '../../src/config/model.js';
import type { ClosableProxyLogger } from '../../src/log/proxy-logger.js';
import type { Level } from '../../src/config/model.js';
import type { TrafficLogRecord } from '../../src/log/types.js';
import { Runtime, type RuntimeHooks } from '../../src/runtime/runtime.js';
import type { RuntimeOptions } from '../../src/runtime/types.js';
import { config, runtimeOptions, type RecordingProcessLog } from './runtime-config.js';
import type { GlobalSettings } from '../../src/config/model.js';

export class RecordingProxyLogger implements ClosableProxyLogger {
  readonly records: TrafficLogRecord[] = [];
  readonly connects: { clientAddress: string; clientPort: number; localAddress: string; localPort: number }[] = [];
  readonly sent: { level: Level; message: string }[] = [];
  closed = false;
  private waiters: { n: number; resolve: () => void }[] = [];
  constructor(readonly enabled = true) {}
  send(level: Level, message: string): void {
    this.sent.push({ level, message });
  }
  logConnect(clientAddress: string, clientPort: number, localAddress: string, localPort: number): void {
    this.connects.push({ clientAddress, clientPort, localAddress, localPort });
  }
  logTraffic(record: TrafficLogRecord): void {
    this.records.push(record);
    for (const w of this.waiters.splice(0)) {
      if (this.records.length >= w.n) w.resolve();
      else this.waiters.push(w);
    }
  }
  close(): void {
    this.closed = true;
  }
  /** Resolves when `n` traffic records were logged (bounded). */
  waitRecords(n: number, timeoutMs = 5000): Promise<void> {
    if (this.records.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${this.records.length}/${n} log records after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }
}

export interface StartedRuntime {
  readonly runtime: Runtime;
  readonly processLog: RecordingProcessLog;
  log(proxyName: string): RecordingProxyLogger;
  stop(): void;
}

export async function startRuntime(
  proxies: ProxyConfig[],
  o: { options?: Partial<RuntimeOptions>; global?: Partial<GlobalSettings>; hooks?: RuntimeHooks } = {},
): Promise<StartedRuntime> {
  const loggers = new Map<string, RecordingProxyLogger>();
  const opts = runtimeOptions(o.options);
  const runtime = new Runtime(config(proxies, o.global), opts, {
    proxyLogger: (pc) => {
      const l = new RecordingProxyLogger();
      loggers.set(pc.name, l);
      return l;
    },
    ...o.hooks,
  });
  await runtime.start();
  return {
    runtime,
    processLog: opts.processLog,
    log(name: string) {
      const l = loggers.get(name);
      if (l === undefined) throw new Error(`no proxy ${name}`);
      return l;
    },
    stop() {
      runtime.stop();
    },
  };
}
