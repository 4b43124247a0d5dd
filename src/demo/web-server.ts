// One demo web server: a page that says which server answered and which cookies it received,
// and HEAD /index.html for tsproxy's health check. It can be stopped and started again, so a
// user can watch the check take it out and the persistence cookie move to another server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** The page body: plain text, readable in curl and in a browser. Pure. */
export function renderPage(name: string, port: number, req: { method: string; url: string; httpVersion: string; headers: Record<string, string | string[] | undefined> }, hits: number): string {
  const cookie = req.headers['cookie'];
  const cookies = cookie === undefined ? '(none)' : Array.isArray(cookie) ? cookie.join('; ') : cookie;
  const xff = req.headers['x-forwarded-for'];
  const lines = [
    `Hello from ${name} (127.0.0.1:${port})`,
    '',
    `request:          ${req.method} ${req.url} HTTP/${req.httpVersion}`,
    `cookies received: ${cookies}`,
    `requests served:  ${hits}`,
  ];
  if (xff !== undefined) lines.push(`X-Forwarded-For:  ${Array.isArray(xff) ? xff.join(', ') : xff}`);
  lines.push(
    '',
    'tsproxy added a SERVERID cookie to the first answer; send it back and you stay on this server.',
    'With "cookie SERVERID insert indirect" tsproxy removes it before the request gets here,',
    'which is why this server does not see it among the cookies above.',
    '',
  );
  return lines.join('\n');
}

export class DemoWebServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private hits = 0;

  constructor(
    readonly name: string,
    readonly port: number,
  ) {}

  get running(): boolean {
    return this.server !== null;
  }

  /** Listens on 127.0.0.1:port; rejects with the listen error (EADDRINUSE…). */
  start(): Promise<void> {
    if (this.server) return Promise.resolve();
    const server = createServer((req, res) => this.answer(req, res));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        this.server = server;
        resolve();
      });
    });
  }

  /** Stops listening and drops open connections at once, like a crashed server. */
  stop(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    // The health check (`option httpchk HEAD /index.html`) only needs a 2xx/3xx status.
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end();
      return;
    }
    this.hits++;
    const body = renderPage(this.name, this.port, { method: req.method ?? 'GET', url: req.url ?? '/', httpVersion: req.httpVersion, headers: req.headers }, this.hits);
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'X-Served-By': this.name });
    res.end(body);
  }
}
