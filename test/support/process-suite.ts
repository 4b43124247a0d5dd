// The frame every process test file shares: a janitor (each process it started killed by PID,
// temp dirs removed, after the file's tests, even on failure), an HTTP backend started before
// them, and the `listen web` configuration they all run, written with a free port.
import { after, before } from 'node:test';
import { ProcessJanitor } from './process-harness.js';
import { startHttpBackend, type HttpBackend } from './process-load.js';

export interface ProcessSuite {
  readonly janitor: ProcessJanitor;
  /** The backend `ok <name>` (usable once the file's `before` hook ran). */
  readonly backend: HttpBackend;
}

/** Registers the file's before/after hooks. */
export function processSuite(backendName = 'b1'): ProcessSuite {
  const janitor = new ProcessJanitor();
  let started: HttpBackend | undefined;
  const live = (): HttpBackend => {
    if (started === undefined) throw new Error('the backend starts in the before hook');
    return started;
  };
  before(async () => {
    started = await startHttpBackend(backendName);
  });
  after(async () => {
    janitor.killAll();
    await started?.close();
  });
  const backend: HttpBackend = {
    get port() {
      return live().port;
    },
    answered: () => live().answered(),
    received: () => live().received(),
    close: () => live().close(),
  };
  return { janitor, backend };
}

export interface WebOptions {
  /** `global` lines (indented or not); no `global` section when absent. */
  readonly global?: string;
  readonly mode?: 'http' | 'tcp';
  /** clitimeout and srvtimeout (ms); contimeout is 2000. */
  readonly timeoutMs?: number;
  /** Lines of `listen web` before its server line. */
  readonly listen?: string;
  /** Words after `server s1 <addr>` (e.g. `check inter 500`). */
  readonly server?: string;
  /** Sections after `listen web`. */
  readonly after?: string;
}

const indent = (lines: string): string =>
  lines
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => `    ${l.trim()}\n`)
    .join('');

/** One proxy `web` on 127.0.0.1:<port> balancing to one server at 127.0.0.1:<backendPort>. */
export function webConfig(port: number, backendPort: number, o: WebOptions = {}): string {
  return (
    (o.global !== undefined ? `global\n${indent(o.global)}` : '') +
    `listen web
    bind 127.0.0.1:${port}
    mode ${o.mode ?? 'http'}
    balance roundrobin
    contimeout 2000
    clitimeout ${o.timeoutMs ?? 10000}
    srvtimeout ${o.timeoutMs ?? 10000}
${indent(o.listen ?? '')}    server s1 127.0.0.1:${backendPort}${o.server !== undefined ? ` ${o.server}` : ''}
${o.after ?? ''}`
  );
}
