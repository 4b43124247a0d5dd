// Microbenchmark of the logging hot path (issue 6): httplog formatting alone, tcplog formatting,
// and a full ProxyLogger.logTraffic (format + syslog framing + UDP send to a local receiver).
// Bounded: each case runs a fixed number of lines. Run after `npm run build`:
//   node bench/log-format.mjs
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
  process.stdin.on('data', () => { console.log(n); process.exit(0); });
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
