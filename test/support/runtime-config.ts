// Config objects for runtime tests without the parser, through the shared factory
// (support/config-model.ts: the parser's own defaults), with the runtime tests' one difference:
// `balance roundrobin` unless told otherwise. Plus a recording ProcessLog and RuntimeOptions.
import type { ProxyConfig } from '../../src/config/model.js';
import type { ProcessLog } from '../../src/log/types.js';
import type { RuntimeOptions } from '../../src/runtime/types.js';
import { proxyConfig, type ProxyOverrides } from './config-model.js';

export {
  bindSpec as bind,
  configOf as config,
  DEFAULT_GLOBAL as defaultGlobal,
  NO_OPTIONS as noOptions,
  serverAddress as addr,
  serverConfig as server,
  type ProxyOverrides,
} from './config-model.js';

export function proxy(name: string, o: ProxyOverrides = {}): ProxyConfig {
  return proxyConfig(name, { balance: 'roundrobin', ...o });
}

/** A ProcessLog that records what it is told. */
export class RecordingProcessLog implements ProcessLog {
  readonly lines: { level: string; message: string }[] = [];
  alert(message: string): void {
    this.lines.push({ level: 'alert', message });
  }
  warning(message: string): void {
    this.lines.push({ level: 'warning', message });
  }
  notice(message: string): void {
    this.lines.push({ level: 'notice', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  messages(): string[] {
    return this.lines.map((l) => l.message);
  }
}

export function runtimeOptions(o: Partial<RuntimeOptions> = {}): RuntimeOptions & { processLog: RecordingProcessLog } {
  return {
    processLog: new RecordingProcessLog(),
    globalMaxconn: 2000,
    defaultProxyMaxconn: 2000,
    ...o,
  } as RuntimeOptions & { processLog: RecordingProcessLog };
}
