// Helpers for the configuration parser tests: parse a text with a fake resolver (no DNS),
// and assert that a text fails with a given line and message.
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/errors.js';
import type { Config, ConfigDiagnostic, ProxyConfig } from '../../src/config/model.js';
import { parseConfigText, type ParseOptions } from '../../src/config/parser.js';

/** Known names: localhost, web1.example (10.0.0.1), v6.example (2001:db8::1). */
export function fakeResolver(name: string): { address: string; family: 4 | 6 } | undefined {
  if (name === 'localhost') return { address: '127.0.0.1', family: 4 };
  if (name === 'web1.example') return { address: '10.0.0.1', family: 4 };
  if (name === 'v6.example') return { address: '2001:db8::1', family: 6 };
  return undefined;
}

export const FILE = 'test.cfg';

export function parse(text: string, options: ParseOptions = {}): { config: Config; diagnostics: readonly ConfigDiagnostic[] } {
  return parseConfigText(text, FILE, { resolveHost: fakeResolver, ...options });
}

/** A `listen` section with enough to pass the consistency checks, plus `body` lines. */
export function listen(body: string, head = 'listen px 127.0.0.1:8080'): string {
  return `${head}\n  mode http\n  balance roundrobin\n  server s1 127.0.0.1:9001\n${body}\n`;
}

/** Parses `listen(body)` and returns its proxy. */
export function proxyOf(body: string, options: ParseOptions = {}): ProxyConfig {
  const { config } = parse(listen(body), options);
  return config.proxies[0] as ProxyConfig;
}

export function parseError(text: string, options: ParseOptions = {}): ConfigError {
  try {
    parse(text, options);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail(`expected a ConfigError for:\n${text}`);
}

export function warningsOf(text: string): string[] {
  return parse(text).diagnostics.map((d) => d.message);
}
