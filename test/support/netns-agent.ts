// A small program the namespace harness runs inside a network namespace (`ip netns exec`):
// an HTTP or TCP backend that reports every connection it sees, a UDP syslog receiver, a bind
// probe, or a client that takes requests as JSON lines on stdin. Everything it observes goes
// to stdout as one JSON object per line, so the test (outside the namespace) can assert on it.
import { createServer as createHttpServer, request } from 'node:http';
import { createServer as createTcpServer, connect } from 'node:net';
import { createSocket } from 'node:dgram';

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function plainAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

function httpBackend(name: string, port: number): void {
  let sessions = 0;
  const server = createHttpServer((req, res) => {
    emit({ ev: 'req', from: plainAddress(req.socket.remoteAddress), method: req.method, url: req.url, cookie: req.headers.cookie ?? null, xff: req.headers['x-forwarded-for'] ?? null });
    if (req.method === 'HEAD') {
      res.writeHead(200);
      res.end();
      return;
    }
    const body = `server ${name}\n`;
    const headers: Record<string, string | number> = { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), 'X-Served-By': name };
    // Under /app, an application that keeps its sessions in its own cookie (the guide's JSESSIONID).
    if ((req.url ?? '').startsWith('/app') && !/(^|;\s*)JSESSIONID=/.test(req.headers.cookie ?? '')) headers['Set-Cookie'] = `JSESSIONID=${name}${++sessions}; path=/`;
    res.writeHead(200, headers);
    res.end(body);
  });
  server.on('connection', (socket) => emit({ ev: 'conn', from: plainAddress(socket.remoteAddress) }));
  server.listen(port, '0.0.0.0', () => emit({ ev: 'listening', port }));
}

function tcpBackend(name: string, port: number): void {
  const server = createTcpServer((socket) => {
    emit({ ev: 'conn', from: plainAddress(socket.remoteAddress), localPort: socket.localPort });
    socket.on('error', () => socket.destroy());
    socket.write(`${name}\n`);
    socket.on('data', (data) => socket.write(data));
    socket.on('end', () => socket.end());
  });
  server.listen(port, '0.0.0.0', () => emit({ ev: 'listening', port }));
}

function syslogReceiver(port: number): void {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => emit({ ev: 'syslog', from: rinfo.address, msg: msg.toString('utf8') }));
  socket.bind(port, '0.0.0.0', () => emit({ ev: 'listening', port }));
}

function bindProbe(host: string, port: number): void {
  const server = createTcpServer();
  server.once('error', (err: NodeJS.ErrnoException) => {
    emit({ ev: 'bind', ok: false, code: err.code ?? String(err) });
    process.exit(0);
  });
  server.listen(port, host, () => {
    emit({ ev: 'bind', ok: true });
    server.close(() => process.exit(0));
  });
}

interface ClientCommand {
  id: number;
  op: 'http' | 'tcp';
  host: string;
  port: number;
  path?: string;
  headers?: Record<string, string>;
  send?: string;
  timeoutMs?: number;
}

function runCommand(cmd: ClientCommand): void {
  const timeoutMs = cmd.timeoutMs ?? 3000;
  if (cmd.op === 'http') {
    const req = request({ host: cmd.host, port: cmd.port, path: cmd.path ?? '/', headers: { Connection: 'close', ...(cmd.headers ?? {}) }, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => emit({ id: cmd.id, status: res.statusCode, headers: res.headers, body }));
      res.on('error', (err) => emit({ id: cmd.id, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => emit({ id: cmd.id, error: err.code ?? err.message }));
    req.end();
    return;
  }
  let data = '';
  let done = false;
  const finish = (extra: Record<string, unknown>): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.destroy();
    emit({ id: cmd.id, data, ...extra });
  };
  const socket = connect(cmd.port, cmd.host, () => {
    if (cmd.send !== undefined) socket.write(cmd.send);
  });
  const timer = setTimeout(() => finish({ timedOut: true }), timeoutMs);
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    data += d;
    // A relayed TCP backend answers its name line, then echoes what was sent.
    if (cmd.send !== undefined && data.includes(cmd.send)) finish({});
  });
  socket.on('end', () => finish({}));
  socket.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
}

function client(): void {
  let pending = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) runCommand(JSON.parse(line) as ClientCommand);
  });
  process.stdin.on('end', () => process.exit(0));
  emit({ ev: 'listening' });
}

const [role, a, b] = process.argv.slice(2);
// The test holds our stdin: when it goes away (even killed), so do we. The client role reads it.
if (role !== 'client') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
switch (role) {
  case 'http-backend':
    httpBackend(a ?? 'X', Number(b ?? 80));
    break;
  case 'tcp-backend':
    tcpBackend(a ?? 'X', Number(b ?? 80));
    break;
  case 'syslog':
    syslogReceiver(Number(a ?? 514));
    break;
  case 'bind-probe':
    bindProbe(a ?? '0.0.0.0', Number(b ?? 80));
    break;
  case 'client':
    client();
    break;
  default:
    process.stderr.write(`netns-agent: unknown role '${role}'\n`);
    process.exit(2);
}
