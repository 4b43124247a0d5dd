// Post-parse consistency checks of each enabled proxy (spec §5.3), with HAProxy's texts:
// every error is collected (legacy reported them all), warnings become diagnostics.
import { ConfigError } from './errors.js';
import type { ConfigDiagnostic, ProxyConfig } from './model.js';
import { makeDiagnostic } from './values.js';

export interface ConsistencyResult {
  readonly errors: ConfigError[];
  readonly warnings: ConfigDiagnostic[];
}

export function checkProxies(proxies: readonly ProxyConfig[]): ConsistencyResult {
  const errors: ConfigError[] = [];
  const warnings: ConfigDiagnostic[] = [];
  for (const px of proxies) {
    if (!px.enabled) continue;
    const where = { file: px.place.file, line: 0 };
    const error = (text: string): void => {
      errors.push(new ConfigError(where, 'listen', text, [], true));
    };
    const warn = (text: string): void => {
      warnings.push(makeDiagnostic('warning', where, text));
    };
    const id = px.name;
    const tcpLike = px.mode === 'tcp' || px.mode === 'health';
    // legacy: one chain of checks; the first branch that applies is the only one.
    if (px.binds.length === 0) {
      error(`listener ${id} has no listen address. Please either specify a valid address on the <listen> line, or use the <bind> keyword.`);
    } else if (px.mode !== 'health' && px.balance === undefined && !px.options.transparent && px.dispatch === undefined) {
      error(`listener ${id} has no dispatch address and is not in transparent or balance mode.`);
    } else if (px.mode !== 'health' && px.balance !== undefined) {
      if (px.options.transparent) error(`listener ${id} cannot use both transparent and balance mode.`);
      else if (px.dispatch !== undefined) warn(`dispatch address of listener ${id} will be ignored in balance mode.`);
    } else if (tcpLike) {
      if (px.cookie) warn(`cookie will be ignored for listener ${id}.`);
      if (px.servers.length > 0) warn(`servers will be ignored for listener ${id}.`);
      if (px.responseRules.length > 0) warn(`server regular expressions will be ignored for listener ${id}.`);
      if (px.requestRules.length > 0) warn(`client regular expressions will be ignored for listener ${id}.`);
    } else if (px.mode === 'http' && px.cookie && px.servers.length === 0) {
      error(`HTTP proxy ${id} has a cookie but no server list !`);
    }
    // tsproxy: what legacy ignored silently.
    if (px.binds.length > 0 && px.mode !== 'health' && px.balance !== undefined) {
      if (px.servers.length === 0 && !px.stats?.enabled) {
        // legacy 1.2.14 allowed it (stats-only proxies); every request then gets the 503 page.
        warn(`listener ${id} has no server: every connection will get a 503 (HTTP) or be closed (TCP).`);
      }
      if (px.mode === 'tcp') {
        if (px.cookie) warn(`cookie will be ignored for listener ${id}.`);
        if (px.responseRules.length > 0) warn(`server regular expressions will be ignored for listener ${id}.`);
        if (px.requestRules.length > 0) warn(`client regular expressions will be ignored for listener ${id}.`);
      }
    }
    if (tcpLike) {
      if (px.requestAdds.length > 0 || px.responseAdds.length > 0) warn(`'reqadd'/'rspadd' will be ignored for listener ${id} (HTTP mode only).`);
      if (px.monitorUri !== undefined) warn(`'monitor-uri' will be ignored for listener ${id} (HTTP mode only).`);
      if (px.captureRequestHeaders.length > 0 || px.captureResponseHeaders.length > 0 || px.captureCookie) {
        warn(`captures will be ignored for listener ${id} (HTTP mode only).`);
      }
    }
    if (!px.cookie && px.servers.some((s) => s.cookie !== undefined)) {
      warn(`listener ${id} has servers with a 'cookie' value but no 'cookie' line: the values will be ignored.`);
    }
  }
  return { errors, warnings };
}
