// Microbenchmark of the logging hot path (issue 6): httplog formatting alone, tcplog formatting,
// and a full ProxyLogger.logTraffic (format + syslog framing + UDP send to a local receiver).
// Bounded: each case runs a fixed number of lines. Run after `npm run build`:
//   node bench/log-format.mjs          (LINES=300000 by default)
//   node bench/log-format.mjs --e2e    (also: req/s through bin/tsproxy with httplog on vs off;
//                                       needs nginx and wrk; ROUNDS=3, DURATION_S=5)
import { spawn } from 'node:child_process';
import { formatHttpLog, formatTcpLog } from '../dist/src/log/formats.js';
import { LogClock } from '../dist/src/log/clock.js';
import { createProxyLogger } from '../dist/src/log/proxy-logger.js';

const LINES = Number(process.env.LINES ?? 300000);

function rec(i) {
  return {
    proxyName: 'webfarm', mode: 'http', clientAddress: '192.168.10.27', clientPort: 30000 + (i & 0x7fff),
    acceptTimeMs: Date.now(), serverName: 'webA', tq: 0, tw: 0, tc: 1, tr: 3, tt: 5, status: 200,
    bytesFromServer: 1234, bytesFromClient: 80, capturedRequestCookie: undefined, capturedResponseCookie: undefined,
    termination: '--', cookieFlags: 'NI', serverConnections: 3, proxyConnections: 12, processConnections: 40,
    serverQueue: 0, proxyQueue: 0, requestHeaders: ['www.example.com'], responseHeaders: undefined,
    requestLine: 'GET /images/logo.png?v=' + i + ' HTTP/1.1', logasap: false,
  };
}

function run(name, fn) {
  const records = Array.from({ length: 1024 }, (_, i) => rec(i));
  for (let i = 0; i < 20000; i++) fn(records[i & 1023]); // warm-up
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < LINES; i++) sink += fn(records[i & 1023])?.length ?? 1;
  const ns = Number(process.hrtime.bigint() - t0);
  const perSec = Math.round(LINES / (ns / 1e9));
  console.log(`${name.padEnd(40)} ${String(perSec).padStart(10)} lines/s  ${(ns / LINES).toFixed(0).padStart(6)} ns/line  (${sink > 0 ? 'ok' : ''})`);
  return perSec;
}

const clock = new LogClock();
const layout = { requestCaptureLengths: [20], responseCaptureLengths: [] };
run('formatHttpLog (cached date)', (r) => formatHttpLog(r, layout, clock));
run('formatHttpLog (no cache)', (r) => formatHttpLog(r, layout));
run('formatTcpLog (cached date)', (r) => formatTcpLog({ ...r, mode: 'tcp' }, clock));

// the syslog receiver runs in its own process, as rsyslog would
const rxCode = `
  const s = require('node:dgram').createSocket('udp4'); let n = 0;
  s.on('message', () => n++);
  s.bind(0, '127.0.0.1', () => console.log(s.address().port));
  process.stdin.on('data', () => console.log(n));
  process.stdin.on('end', () => process.exit(0));
  setTimeout(() => process.exit(0), 60000).unref();`;
const rx = spawn(process.execPath, ['-e', rxCode], { stdio: ['pipe', 'pipe', 'inherit'] });
const rxPort = await new Promise((r) => rx.stdout.once('data', (d) => r(Number(String(d).trim()))));
const place = { file: 'bench', line: 1 };
const logger = createProxyLogger({
  name: 'webfarm', mode: 'http', captureRequestHeaders: [{ name: 'host', length: 20 }], captureResponseHeaders: [],
  logs: [{ kind: 'udp', host: '127.0.0.1', family: 4, port: rxPort, facility: 16, maxLevel: 7, place }],
  options: { httplog: true, tcplog: false, dontlognull: true },
});
// sending is asynchronous: go in batches and let the loop drain between them, as real traffic would
const batch = 1000;
const records = Array.from({ length: 1024 }, (_, i) => rec(i));
const t0 = process.hrtime.bigint();
for (let i = 0; i < LINES; i += batch) {
  for (let j = 0; j < batch; j++) logger.logTraffic(records[(i + j) & 1023]);
  await new Promise((r) => setImmediate(r));
}
const ns = Number(process.hrtime.bigint() - t0);
await new Promise((r) => setTimeout(r, 300));
rx.stdin.write('done\n');
const received = await new Promise((r) => rx.stdout.once('data', (d) => r(Number(String(d).trim()))));
console.log(`${'logTraffic httplog -> UDP loopback'.padEnd(40)} ${String(Math.round(LINES / (ns / 1e9))).padStart(10)} lines/s  ${(ns / LINES).toFixed(0).padStart(6)} ns/line  (received ${received}/${LINES}, ${JSON.stringify(logger.stats())})`);
logger.close();

// ---- optional: cost per request through the real proxy (`node bench/log-format.mjs --e2e`) ----
// tsproxy (bin/tsproxy) in http mode in front of nginx, driven by wrk with keep-alive, once with
// `option httplog` + a UDP log target (a bound socket nobody reads) and once without any log,
// alternating, ROUNDS rounds of DURATION_S seconds. Every process is stopped by its PID.
if (process.argv.includes('--e2e')) {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const net = await import('node:net');
  const ROUNDS = Number(process.env.ROUNDS ?? 3);
  const DURATION_S = Number(process.env.DURATION_S ?? 5);
  const root = new URL('..', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-logbench-'));
  const freePort = () =>
    new Promise((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
  const waitPort = async (port) => {
    for (let i = 0; i < 200; i++) {
      const ok = await new Promise((r) => {
        const c = net.connect(port, '127.0.0.1');
        c.once('connect', () => (c.destroy(), r(true)));
        c.once('error', () => (c.destroy(), r(false)));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`port ${port} never opened`);
  };
  const children = [];
  const start = (cmd, args) => {
    const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(c);
    return c;
  };
  const stop = (c) =>
    new Promise((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once('exit', () => resolve());
      try {
        process.kill(c.pid, 'SIGTERM');
      } catch {
        resolve();
      }
    });
  try {
    const nginxPort = await freePort();
    writeFileSync(
      join(dir, 'nginx.conf'),
      `worker_processes 1; daemon off; master_process off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log warn;
events { worker_connections 1024; }
http { access_log off; keepalive_requests 1000000;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server { listen 127.0.0.1:${nginxPort}; location / { return 200 "hello from nginx\\n"; } } }
`,
    );
    const nginx = start('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'nginx-error.log')]);
    await waitPort(nginxPort);
    // a UDP socket that is bound but never read: the kernel takes the datagrams (and drops them when
    // its buffer is full) without a reader competing with tsproxy for the CPU
    const sink = start('python3', ['-c', 'import socket,sys,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(("127.0.0.1",0))\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()']);
    const logPort = await new Promise((r) => sink.stdout.once('data', (d) => r(Number(String(d).trim()))));
    const variants = [
      { name: 'httplog -> UDP', log: `  log 127.0.0.1:${logPort} local0\n  option httplog\n` },
      { name: 'no log', log: '' },
    ];
    const results = new Map(variants.map((v) => [v.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of variants) {
        const port = await freePort();
        const cfg = join(dir, 'tsproxy.cfg');
        writeFileSync(
          cfg,
          `global\n  maxconn 4000\nlisten bench\n  bind 127.0.0.1:${port}\n  mode http\n  balance roundrobin\n  contimeout 5000\n  clitimeout 30000\n  srvtimeout 30000\n${v.log}  server nginx 127.0.0.1:${nginxPort}\n`,
        );
        const px = start(process.execPath, [join(root, 'bin/tsproxy'), '-f', cfg]);
        await waitPort(port);
        const w = spawnSync('wrk', ['-t1', '-c50', `-d${DURATION_S}s`, `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: (DURATION_S + 30) * 1000 });
        await stop(px);
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(w.stdout ?? '')?.[1] ?? NaN);
        results.get(v.name).push(rps);
        console.log(`round ${round} ${v.name.padEnd(16)} ${rps.toFixed(0)} req/s`);
      }
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const on = med(results.get('httplog -> UDP'));
    const off = med(results.get('no log'));
    console.log(`median: httplog on ${on.toFixed(0)} req/s, off ${off.toFixed(0)} req/s; logging costs ${((1e6 / on - 1e6 / off)).toFixed(1)} µs per request (${(100 * (1 - on / off)).toFixed(1)} % throughput)`);
    await stop(nginx);
    sink.stdin.end();
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch {}
    rmSync(dir, { recursive: true, force: true });
  }
}
rx.stdin.end();
