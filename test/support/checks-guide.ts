// Test support for the architecture guide's soft-stop flows (guide 4.1, 4.2, 4.2.1): web servers
// that answer from a real document root, a fresh-connection HTTP client, and bin/tsproxy launched
// as a real process (foreground or daemon), with its stderr captured line by line.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './checks-targets.js';

/** bin/tsproxy of this checkout (tests run from dist/test/...). */
export const TSPROXY_BIN = fileURLToPath(new URL('../../../bin/tsproxy', import.meta.url));

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly cookie: string | undefined;
  readonly status: number;
}

/**
 * A web server named `name`: `/running` answers 200 while the file `<docroot>/running` exists and
 * 404 otherwise (guide 4.1); every other URL answers 200 with the server's name as the body.
 */
export class GuideWebServer {
  readonly requests: SeenRequest[] = [];
  private readonly server: Server;
  port = 0;
  constructor(
    readonly name: string,
    readonly docroot: string | undefined,
  ) {
    this.server = createServer((req, res) => {
      let status = 200;
      let body = `${this.name}\n`;
      if (req.url === '/running' && this.docroot !== undefined) {
        if (!existsSync(join(this.docroot, 'running'))) {
          status = 404;
          body = 'not running\n';
        }
      }
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', cookie: req.headers.cookie, status });
      res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  }
  async listen(host: string, port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as { port: number }).port;
    this.server.unref(); // a failed test must not hang on it
    return this;
  }
  /** "/etc/init.d/httpd stop": stop listening and drop every connection. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
  /** Check requests (`/running` or `HEAD /`) seen so far. */
  checks(url: string): SeenRequest[] {
    return this.requests.filter((r) => r.url === url && r.method === 'HEAD');
  }
}

export interface GuideResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** One request on a fresh connection (no agent, no keep-alive). Rejects on a connection error or after `timeoutMs`. */
export function get(host: string, port: number, path: string, cookie?: string, timeoutMs = 5000): Promise<GuideResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Connection: 'close' };
    if (cookie !== undefined) headers.Cookie = cookie;
    const req = httpRequest({ host, port, path, method: 'GET', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The SERVERID value a response sets, if any. */
export function setCookieValue(res: GuideResponse, name: string): string | undefined {
  for (const line of res.headers['set-cookie'] ?? []) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** Resolves once `host:port` accepts a TCP connection; false after `timeoutMs`. */
export async function waitForListening(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(25);
  }
  return false;
}

/** A foreground bin/tsproxy process with its stderr kept as lines. */
export class TsproxyProcess {
  readonly stderrLines: string[] = [];
  readonly stdoutLines: string[] = [];
  readonly exited: Promise<number | null>;
  private partial = '';
  private constructor(readonly child: ChildProcess) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      const parts = (this.partial + d).split('\n');
      this.partial = parts.pop() ?? '';
      this.stderrLines.push(...parts);
    });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.stdoutLines.push(...d.split('\n').filter((l) => l !== '')));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }
  static start(args: readonly string[]): TsproxyProcess {
    return new TsproxyProcess(spawn(process.execPath, [TSPROXY_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }
  /** Messages of stderr lines (the `[LEVEL] DDD/HHMMSS (PID) : ` prefix removed). */
  messages(): string[] {
    return this.stderrLines.map((l) => l.replace(/^\[[A-Z]+\] \d{3}\/\d{6} \(\d+\) : /, ''));
  }
  async waitForMessage(match: (m: string) => boolean, timeoutMs: number): Promise<string | undefined> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages().find(match);
      if (found !== undefined || Date.now() >= end || this.child.exitCode !== null) return found;
      await sleep(20);
    }
  }
  /** Sends SIGTERM (then SIGKILL after 3 s) and waits for the exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Runs a daemon-mode tsproxy (`global daemon`); resolves with the pid its pidfile names. */
export async function startDaemon(configFile: string, pidfile: string, timeoutMs = 5000): Promise<{ pid: number; launcherCode: number | null; launcherStderr: string }> {
  const launcher = spawn(process.execPath, [TSPROXY_BIN, '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  launcher.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      launcher.kill('SIGKILL');
      resolve(null);
    }, timeoutMs);
    launcher.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const end = Date.now() + timeoutMs;
  while (Date.now() < end && !existsSync(pidfile)) await sleep(20);
  const pid = existsSync(pidfile) ? Number(readFileSync(pidfile, 'utf8').trim()) : 0;
  return { pid, launcherCode: code, launcherStderr: stderr };
}

/** True while `pid` runs (a zombie left to a non-reaping init counts as gone). */
export function isAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** "kill $(<pidfile)": SIGTERM, then waits (bounded) for the process to be gone; SIGKILL as a last resort. */
export async function killPid(pid: number, timeoutMs = 3000): Promise<boolean> {
  if (!isAlive(pid)) return true;
  process.kill(pid, 'SIGTERM');
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await sleep(20);
  }
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  return false;
}
