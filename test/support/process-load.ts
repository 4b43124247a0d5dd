// Traffic for the process tests: an HTTP backend on loopback (with a slow path for in-flight
// responses) and a bounded client loop mixing keep-alive and one-request connections that counts
// every failed request (refused, reset, truncated, wrong answer).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpBackend {
  readonly port: number;
  /** Requests answered so far. */
  readonly answered: () => number;
  /** Requests received so far (answered or not yet). */
  readonly received: () => number;
  close(): Promise<void>;
}

/** `GET /slow?ms=N` answers after N ms; anything else answers at once with `ok <name>`. */
export function startHttpBackend(name: string): Promise<HttpBackend> {
  let answered = 0;
  let received = 0;
  const server = http.createServer((req, res) => {
    received++;
    const m = /^\/slow\?ms=(\d+)/.exec(req.url ?? '');
    const reply = () => {
      answered++;
      const body = `ok ${name}\n`;
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    req.resume();
    req.on('end', () => {
      if (m) setTimeout(reply, Number(m[1]));
      else reply();
    });
  });
  // Idle keep-alive connections must not be closed by the backend during a test run: that race
  // would be the backend's, not the proxy's.
  server.keepAliveTimeout = 120000;
  server.headersTimeout = 121000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        answered: () => answered,
        received: () => received,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

export interface GetResult {
  readonly status: number;
  readonly body: string;
}

/** One GET `/` or `path`; `agent` undefined = a fresh connection with Connection: close. Rejects on any network error. */
function request(port: number, path: string, agent: http.Agent | undefined, timeoutMs: number): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const headers = agent !== undefined ? {} : { Connection: 'close' };
    const req = http.request({ host: '127.0.0.1', port, path, agent: agent ?? false, headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** One GET on a fresh connection (Connection: close). Rejects on any network error. */
export function get(port: number, path = '/', timeoutMs = 10000): Promise<GetResult> {
  return request(port, path, undefined, timeoutMs);
}

export interface LoadOptions {
  /** Upper bound of requests (the loop also stops on stop()). */
  readonly maxRequests: number;
  /** Parallel client loops; even ones use keep-alive, odd ones a new connection per request. */
  readonly concurrency: number;
  /** Body every answer must carry (prefix). */
  readonly expectBodyPrefix: string;
  readonly timeoutMs?: number;
}

export interface LoadResult {
  readonly ok: number;
  readonly keepAliveOk: number;
  readonly errors: readonly string[];
}

export interface LoadRun {
  /** Requests completed so far (ok or not). */
  readonly completed: () => number;
  stop(): void;
  readonly done: Promise<LoadResult>;
}

export function runLoad(port: number, options: LoadOptions): LoadRun {
  let started = 0;
  let completed = 0;
  let ok = 0;
  let keepAliveOk = 0;
  let stopped = false;
  const errors: string[] = [];
  const timeoutMs = options.timeoutMs ?? 10000;
  const loop = async (index: number): Promise<void> => {
    const keepAlive = index % 2 === 0;
    const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
    try {
      while (!stopped && started < options.maxRequests) {
        started++;
        try {
          const r = await request(port, '/', agent, timeoutMs);
          if (r.status !== 200 || !r.body.startsWith(options.expectBodyPrefix)) errors.push(`status ${r.status} body ${JSON.stringify(r.body.slice(0, 80))}`);
          else {
            ok++;
            if (keepAlive) keepAliveOk++;
          }
        } catch (err) {
          errors.push(`${keepAlive ? 'keep-alive' : 'new connection'}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        completed++;
      }
    } finally {
      agent?.destroy();
    }
  };
  const loops = Array.from({ length: options.concurrency }, (_, i) => loop(i));
  return {
    completed: () => completed,
    stop: () => {
      stopped = true;
    },
    done: Promise.all(loops).then(() => ({ ok, keepAliveOk, errors })),
  };
}
