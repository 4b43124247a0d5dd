// PLACEHOLDER owned by the logging work: replaced by the real syslog-backed ProxyLogger.
import type { ProxyConfig } from '../config/model.js';
import type { ProxyLogger } from './types.js';

export interface ClosableProxyLogger extends ProxyLogger {
  close(): void;
}

export function createProxyLogger(config: ProxyConfig): ClosableProxyLogger {
  void config;
  return {
    enabled: false,
    send() {},
    logConnect() {},
    logTraffic() {},
    close() {},
  };
}
