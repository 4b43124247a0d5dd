// Micro-benchmark of the per-request HTTP head work (scan, parse, serialize) on the heads the
// load benchmark carries (wrk's request, nginx's response). `node bench/http-head.mjs [N]`;
// prints ns per head. Not part of npm test.
import { scanHead, serializeHead } from '../dist/src/http/head.js';
import { parseRequestHead, parseResponseHead } from '../dist/src/http/parser.js';

const N = Number(process.argv[2] ?? 300000);
const req = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1:18110\r\n\r\n', 'latin1');
const res = Buffer.from(
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 19:40:00 GMT\r\nContent-Type: text/plain\r\n' +
    'Content-Length: 100\r\nConnection: keep-alive\r\n\r\n',
  'latin1',
);
const browser = Buffer.from(
  'GET /app/index.html?x=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\r\n' +
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\n' +
    'Accept-Encoding: gzip, deflate, br\r\nCookie: SERVERID=s1; session=abcdef0123456789\r\nConnection: keep-alive\r\n\r\n',
  'latin1',
);

function run(name, fn) {
  for (let i = 0; i < 20000; i++) fn();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / N);
  }
  console.log(`${name.padEnd(34)} ${best.toFixed(0).padStart(6)} ns`);
}

let sink = 0;
for (const [name, buf, parse] of [
  ['wrk request', req, parseRequestHead],
  ['browser request', browser, parseRequestHead],
  ['nginx response', res, parseResponseHead],
]) {
  run(`${name}: scan`, () => {
    sink += scanHead(buf, 0, true).end;
  });
  run(`${name}: scan+parse`, () => {
    const s = scanHead(buf, 0, true);
    const p = parse(s.lines);
    sink += p.ok ? 1 : 0;
  });
  run(`${name}: scan+parse+serialize`, () => {
    const s = scanHead(buf, 0, true);
    const p = parse(s.lines);
    sink += serializeHead(p.head.lines ?? s.lines).length;
  });
}
if (sink === 42) console.log('');
