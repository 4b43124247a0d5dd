// End to end: a real Runtime started from the guide's section 2.1 configuration (httplog +
// dontlognull, cookie prefix, httpclose, forwardfor) on loopback, logging to a real UDP
// syslog receiver; the datagrams real traffic produces, compared field by field.
process.env.TZ = 'UTC';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseConfigText } from '../../src/config/parser.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { startSyslogReceiver, type SyslogReceiver } from '../support/syslog.js';
import { startHttpBackend, okReply, template, type HttpBackend } from '../support/http-harness.js';
import { runtimeOptions } from '../support/runtime-config.js';
import { freePort } from '../support/ports.js';

/** A client that knows its own port: sends, half-closes if asked, collects until the proxy closes. */
function request(port: number, bytes: string, o: { end?: boolean; abortAfterMs?: number } = {}): Promise<{ localPort: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let localPort = 0;
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on('connect', () => {
      localPort = s.localPort ?? 0;
      if (bytes) s.write(Buffer.from(bytes, 'latin1'));
      if (o.end) s.end();
      if (o.abortAfterMs !== undefined) setTimeout(() => s.destroy(), o.abortAfterMs);
    });
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => s.end());
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      if (localPort === 0) reject(new Error('not connected'));
      else resolve({ localPort, text: Buffer.concat(chunks).toString('latin1') });
    });
  });
}

const T = '(?:-1|\\d+)'; // one timer
const DATE = '\\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2}\\]';
const HEAD = '<134>[A-Z][a-z]{2} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} tsproxy\\[' + process.pid + '\\]: ';

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An httplog datagram: exact except the date and the timer values (given as a pattern). */
function httplog(clientPort: number, rest: { server: string; timers: string; tail: string }): RegExp {
  return new RegExp(`^${HEAD}127\\.0\\.0\\.1:${clientPort} ${DATE} webfarm ${esc(rest.server)} ${rest.timers} ${esc(rest.tail)}\\n$`);
}

const CFG = `
listen webfarm 127.0.0.1:{PORT}
    mode http
    log 127.0.0.1:{LOGPORT} local0
    balance roundrobin
    cookie JSESSIONID prefix
    option httpclose
    option forwardfor
    option httplog
    option dontlognull
    clitimeout 5000
    srvtimeout 5000
    contimeout 5000
    server webA 127.0.0.1:{A} cookie A
    server webB 127.0.0.1:{B} cookie B
`;

async function start(rx: SyslogReceiver, a: HttpBackend, b: HttpBackend): Promise<{ runtime: Runtime; port: number }> {
  const port = await freePort();
  const { config } = parseConfigText(template(CFG, { PORT: port, LOGPORT: rx.port, A: a.port, B: b.port }), 'guide-2.1.cfg');
  const runtime = new Runtime(config, runtimeOptions());
  await runtime.start();
  return { runtime, port };
}

test('guide 2.1: httplog + dontlognull datagrams from real traffic', async (t) => {
  const rx = await startSyslogReceiver();
  const a = await startHttpBackend('webA');
  const b = await startHttpBackend('webB', (req) => okReply('webB', req, req.path === '/URI2' ? 'Set-Cookie: JSESSIONID=123\r\n' : ''));
  const { runtime, port } = await start(rx, a, b);
  t.after(async () => {
    runtime.stop();
    await a.close();
    await b.close();
    await rx.close();
  });

  const [started] = await rx.waitFor(1);
  assert.match(started, new RegExp(`^<133>[A-Z][a-z]{2} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} tsproxy\\[${process.pid}\\]: Proxy webfarm started\\.\\n$`));

  // a connection that sends nothing (the Alteon's TCP check): not logged
  await request(port, '', { end: true });
  // /URI1 → webA, no cookie either way
  const r1 = await request(port, 'GET /URI1 HTTP/1.0\r\n\r\n');
  assert.match(r1.text, /^HTTP\/1\.0 200/);
  const got1 = await rx.waitFor(2);
  const bytes1 = Buffer.byteLength(okReply('webA', a.requests[0]), 'latin1');
  assert.match(got1[1], httplog(r1.localPort, { server: 'webA', timers: `${T}/${T}/${T}/${T}/${T}`, tail: `200 ${bytes1} - - --NN 0/0/0 0/0 "GET /URI1 HTTP/1.0"` }));

  // /URI2 → webB, whose Set-Cookie gets prefixed: R
  const r2 = await request(port, 'GET /URI2 HTTP/1.0\r\n\r\n');
  assert.match(r2.text, /Set-Cookie: JSESSIONID=B~123/);
  const got2 = await rx.waitFor(3);
  const bytes2 = Buffer.byteLength(okReply('webB', b.requests[0], 'Set-Cookie: JSESSIONID=123\r\n'), 'latin1');
  assert.match(got2[2], httplog(r2.localPort, { server: 'webB', timers: `${T}/${T}/${T}/${T}/${T}`, tail: `200 ${bytes2} - - --NR 0/0/0 0/0 "GET /URI2 HTTP/1.0"` }));

  // /URI3 with the prefixed cookie → webB, valid cookie: V; a quote in the URI is logged #22
  const r3 = await request(port, 'GET /URI3?"q" HTTP/1.0\r\nCookie: JSESSIONID=B~123\r\n\r\n');
  assert.match(r3.text, /^HTTP\/1\.0 200/);
  const got3 = await rx.waitFor(4);
  assert.match(got3[3], new RegExp(`^${HEAD}127\\.0\\.0\\.1:${r3.localPort} ${DATE} webfarm webB ${T}/${T}/${T}/${T}/${T} 200 \\d+ - - --VN 0/0/0 0/0 "GET /URI3\\?#22q#22 HTTP/1\\.0"\\n$`));

  // a request aborted before its end: <NOSRV>, CR, status -1
  const r4 = await request(port, 'GET /abort HTTP/1.0\r\nHost: x\r\n', { abortAfterMs: 50 });
  const got4 = await rx.waitFor(5);
  // legacy 1.2 captured the request line as soon as it was complete, so an aborted head logs it
  t.diagnostic(got4[4].trimEnd());
  assert.match(got4[4], new RegExp(`^${HEAD}127\\.0\\.0\\.1:${r4.localPort} ${DATE} webfarm <NOSRV> -1/-1/-1/-1/${T} -1 0 - - CRNN 0/0/0 0/0 "GET /abort HTTP/1\\.0"\\n$`));

  // nothing else was logged (the null connection above in particular)
  assert.equal((await rx.settle(150)).length, 5);
});

test('503 when every server refuses: SC with the server tried', async (t) => {
  const rx = await startSyslogReceiver();
  const deadA = await freePort();
  const deadB = await freePort();
  const port = await freePort();
  const { config } = parseConfigText(
    template(CFG, { PORT: port, LOGPORT: rx.port, A: deadA, B: deadB }).replace('contimeout 5000', 'contimeout 5000\n    retries 1'),
    'guide-2.1-503.cfg',
  );
  const runtime = new Runtime(config, runtimeOptions());
  await runtime.start();
  t.after(async () => {
    runtime.stop();
    await rx.close();
  });
  await rx.waitFor(1); // Proxy webfarm started.
  const r = await request(port, 'GET /URI1 HTTP/1.0\r\n\r\n');
  assert.match(r.text, /^HTTP\/1\.0 503/);
  const got = await rx.waitFor(2);
  t.diagnostic(got[1].trimEnd());
  assert.match(got[1], new RegExp(`^${HEAD}127\\.0\\.0\\.1:${r.localPort} ${DATE} webfarm (webA|webB|<NOSRV>) ${T}/${T}/-1/-1/${T} 503 0 - - SCNN 0/0/0 0/0 "GET /URI1 HTTP/1\\.0"\\n$`));
});

test('log servers down or unroutable while traffic runs: every request is served', async (t) => {
  const a = await startHttpBackend('webA');
  const b = await startHttpBackend('webB');
  const closedLogPort = await freePort();
  const port = await freePort();
  // a closed loopback port (ICMP port unreachable) and TEST-NET-1, never routed (RFC 5737)
  const text = template(CFG, { PORT: port, LOGPORT: closedLogPort, A: a.port, B: b.port }).replace(
    `log 127.0.0.1:${closedLogPort} local0`,
    `log 127.0.0.1:${closedLogPort} local0\n    log 192.0.2.1 local0`,
  );
  const { config } = parseConfigText(text, 'unreachable-log.cfg');
  assert.equal(config.proxies[0].logs.length, 2);
  const runtime = new Runtime(config, runtimeOptions());
  await runtime.start();
  t.after(async () => {
    runtime.stop();
    await a.close();
    await b.close();
  });
  let ok = 0;
  for (let i = 0; i < 300; i++) {
    const r = await request(port, `GET /n${i} HTTP/1.0\r\n\r\n`);
    if (/^HTTP\/1\.0 200/.test(r.text)) ok++;
  }
  assert.equal(ok, 300);
  assert.equal(a.requests.length + b.requests.length, 300);
});
