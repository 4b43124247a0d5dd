// ProxyLogger against a real UDP syslog receiver on loopback: exact datagrams for httplog,
// tcplog, the Connect line and free text, PRI per facility/level, max-level filtering,
// dontlognull, two targets, IPv6, and the legacy-level event helper.
process.env.TZ = 'UTC';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGlobalLogger, createProxyLogger } from '../../src/log/proxy-logger.js';
import { SyslogSender } from '../../src/log/syslog.js';
import { reportProxyEvent } from '../../src/log/events.js';
import { createProcessLog } from '../../src/log/process-log.js';
import { LOG_ALERT, LOG_EMERG, LOG_INFO, LOG_NOTICE, LOG_WARNING } from '../../src/log/types.js';
import { startSyslogReceiver } from '../support/syslog.js';
import { LOCAL0, LOCAL1, proxyConfig, record, udpTarget } from '../support/log-fixtures.js';

const NOW = Date.UTC(2026, 10, 25, 14, 56, 0, 500);
const HDR = 'Nov 25 14:56:00 tsproxy[777]: ';
const fixed = { pid: 777, tag: 'tsproxy', now: () => NOW };

test('guide 2.1: httplog + dontlognull, exact datagrams', async (t) => {
  const rx = await startSyslogReceiver();
  const log = createProxyLogger(proxyConfig({ logs: [udpTarget(rx.port)], options: { httplog: true, dontlognull: true } }), fixed);
  t.after(async () => {
    log.close();
    await rx.close();
  });
  assert.equal(log.enabled, true);
  log.logTraffic(record({ bytesFromClient: 0, requestLine: undefined, termination: 'CR', serverName: undefined })); // null connection: skipped
  log.logTraffic(record());
  log.logTraffic(record({ serverName: undefined, tq: -1, tw: -1, tc: -1, tr: -1, tt: 0, status: -1, bytesFromServer: 0, termination: 'CR', requestLine: 'GET /abort"x', bytesFromClient: 12 }));
  log.logTraffic(record({ tq: 1, tw: 0, tc: -1, tr: -1, tt: 9, status: 503, bytesFromServer: 0, termination: 'SC', cookieFlags: 'NI' }));
  const got = await rx.waitFor(3);
  assert.deepEqual(await rx.settle(100), [
    `<134>${HDR}127.0.0.1:40000 [25/Nov/2026:14:42:53] webfarm webA 0/0/0/2/3 200 78 - - --NN 0/0/0 0/0 "GET /URI1 HTTP/1.0"\n`,
    `<134>${HDR}127.0.0.1:40000 [25/Nov/2026:14:42:53] webfarm <NOSRV> -1/-1/-1/-1/0 -1 0 - - CRNN 0/0/0 0/0 "GET /abort#22x"\n`,
    `<134>${HDR}127.0.0.1:40000 [25/Nov/2026:14:42:53] webfarm webA 1/0/-1/-1/9 503 0 - - SCNI 0/0/0 0/0 "GET /URI1 HTTP/1.0"\n`,
  ]);
  assert.equal(got.length, 3);
});

test('tcplog datagram, and httplog on a tcp session falls back to tcplog', async (t) => {
  const rx = await startSyslogReceiver();
  const tcp = createProxyLogger(proxyConfig({ name: 'tse-proxy', mode: 'tcp', logs: [udpTarget(rx.port)], options: { tcplog: true } }), fixed);
  const http = createProxyLogger(proxyConfig({ name: 'mixed', mode: 'tcp', logs: [udpTarget(rx.port)], options: { httplog: true } }), fixed);
  t.after(async () => {
    tcp.close();
    http.close();
    await rx.close();
  });
  tcp.logTraffic(record({ proxyName: 'tse-proxy', mode: 'tcp', tw: 0, tc: 1, tt: 5007, bytesFromServer: 1234, termination: 'CD', serverConnections: 1, proxyConnections: 1, processConnections: 2 }));
  await rx.waitFor(1);
  http.logTraffic(record({ proxyName: 'mixed', mode: 'tcp', tw: 0, tc: 0, tt: 1, termination: '--' }));
  assert.deepEqual(await rx.waitFor(2), [
    `<134>${HDR}127.0.0.1:40000 [25/Nov/2026:14:42:53] tse-proxy webA 0/1/5007 1234 CD 1/1/2 0/0\n`,
    `<134>${HDR}127.0.0.1:40000 [25/Nov/2026:14:42:53] mixed webA 0/0/1 78 -- 0/0/0 0/0\n`,
  ]);
});

test('default Connect line at accept; logTraffic silent without tcplog/httplog; Connect silent with them', async (t) => {
  const rx = await startSyslogReceiver();
  const plain = createProxyLogger(proxyConfig({ name: 'tse-proxy', mode: 'tcp', logs: [udpTarget(rx.port)], options: { dontlognull: true } }), fixed);
  const withLog = createProxyLogger(proxyConfig({ logs: [udpTarget(rx.port)], options: { httplog: true } }), fixed);
  t.after(async () => {
    plain.close();
    withLog.close();
    await rx.close();
  });
  plain.logConnect('127.0.0.1', 39533, '127.0.0.1', 24389);
  plain.logTraffic(record());
  withLog.logConnect('127.0.0.1', 1, '127.0.0.1', 2);
  await rx.waitFor(1);
  assert.deepEqual(await rx.settle(100), [`<134>${HDR}Connect from 127.0.0.1:39533 to 127.0.0.1:24389 (tse-proxy/TCP)\n`]);
});

test('free text: PRI per facility and level, max level per target, two targets', async (t) => {
  const rx1 = await startSyslogReceiver();
  const rx2 = await startSyslogReceiver();
  // as Debian's default: everything to local0, notice and above to local1
  const log = createProxyLogger(proxyConfig({ logs: [udpTarget(rx1.port, LOCAL0), udpTarget(rx2.port, LOCAL1, LOG_NOTICE)] }), fixed);
  t.after(async () => {
    log.close();
    await rx1.close();
    await rx2.close();
  });
  log.send(LOG_ALERT, 'Server webfarm/webA is DOWN.');
  log.send(LOG_INFO, 'just info');
  log.send(LOG_EMERG, 'Proxy webfarm has no server available !');
  log.send(LOG_NOTICE, 'Proxy webfarm started.\n'); // a trailing newline is not doubled
  log.send(8, 'out of range: ignored');
  await rx1.waitFor(4);
  await rx2.waitFor(3);
  assert.deepEqual(await rx1.settle(100), [
    `<129>${HDR}Server webfarm/webA is DOWN.\n`,
    `<134>${HDR}just info\n`,
    `<128>${HDR}Proxy webfarm has no server available !\n`,
    `<133>${HDR}Proxy webfarm started.\n`,
  ]);
  assert.deepEqual(await rx2.settle(50), [
    `<137>${HDR}Server webfarm/webA is DOWN.\n`,
    `<136>${HDR}Proxy webfarm has no server available !\n`,
    `<141>${HDR}Proxy webfarm started.\n`,
  ]);
});

test('IPv6 target over udp6', async (t) => {
  const rx = await startSyslogReceiver('::1');
  const log = createProxyLogger(proxyConfig({ logs: [udpTarget(rx.port, LOCAL0, 7, '::1')] }), fixed);
  t.after(async () => {
    log.close();
    await rx.close();
  });
  log.send(LOG_WARNING, 'Stopping proxy webfarm in 0 ms.');
  assert.deepEqual(await rx.waitFor(1), [`<132>${HDR}Stopping proxy webfarm in 0 ms.\n`]);
});

test('oversized line: one 1024-byte datagram ending in a newline', async (t) => {
  const rx = await startSyslogReceiver();
  const log = createProxyLogger(proxyConfig({ logs: [udpTarget(rx.port)], options: { httplog: true } }), fixed);
  t.after(async () => {
    log.close();
    await rx.close();
  });
  log.logTraffic(record({ requestHeaders: ['h'.repeat(900)], responseHeaders: ['r'.repeat(900)], requestLine: 'GET /' + 'u'.repeat(3000) }));
  await rx.waitFor(1);
  const d = rx.datagrams[0];
  assert.equal(d.length, 1024);
  assert.equal(d[1023], 0x0a);
  assert.ok(d.toString('latin1').startsWith(`<134>${HDR}127.0.0.1:40000 [`));
});

test('a shared sender serves several proxies and outlives their close()', async (t) => {
  const rx = await startSyslogReceiver();
  const sender = new SyslogSender();
  const a = createProxyLogger(proxyConfig({ name: 'a', logs: [udpTarget(rx.port)] }), { ...fixed, sender });
  const b = createProxyLogger(proxyConfig({ name: 'b', logs: [udpTarget(rx.port)] }), { ...fixed, sender });
  t.after(async () => {
    sender.close();
    await rx.close();
  });
  a.send(LOG_NOTICE, 'Proxy a started.');
  await rx.waitFor(1);
  a.close();
  b.send(LOG_NOTICE, 'Proxy b started.');
  await rx.waitFor(2);
  assert.equal(sender.stats().sent, 2);
});

test('no target: disabled logger, nothing sent', () => {
  const log = createProxyLogger(proxyConfig({ options: { httplog: true } }));
  assert.equal(log.enabled, false);
  log.logTraffic(record());
  log.send(LOG_EMERG, 'x');
  log.close();
});

test('reportProxyEvent: syslog at the legacy level, stderr kind from the table', async (t) => {
  const rx = await startSyslogReceiver();
  const log = createProxyLogger(proxyConfig({ logs: [udpTarget(rx.port)] }), fixed);
  const lines: string[] = [];
  const processLog = createProcessLog({ quiet: false, verbose: false, format: 'legacy', pid: 777, sink: { write: (l: string) => lines.push(l) } });
  t.after(async () => {
    log.close();
    await rx.close();
  });
  const target = { log, processLog };
  reportProxyEvent(target, 'serverDown', 'Server webfarm/webA is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.');
  reportProxyEvent(target, 'noServerAvailable', 'Proxy webfarm has no server available !');
  reportProxyEvent(target, 'serverUp', 'Server webfarm/webA is UP. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.');
  reportProxyEvent(target, 'proxyStarted', 'Proxy webfarm started.');
  reportProxyEvent(target, 'proxyStopping', 'Stopping proxy webfarm in 0 ms.');
  reportProxyEvent(target, 'resourceExhausted', 'Proxy webfarm reached system FD limit at 1024. Please check system tunables.');
  const got = await rx.waitFor(6);
  assert.deepEqual(got.map((d) => d.slice(0, 5)), ['<129>', '<128>', '<133>', '<133>', '<132>', '<128>']);
  assert.deepEqual(lines.map((l) => l.replace(/ \d{3}\/\d{6} \(777\) : .*\n$/, '')), ['[WARNING]', '[ALERT]', '[WARNING]', '[WARNING]']);
});

test('global logger: the global targets, for the messages legacy sent there', async (t) => {
  const rx = await startSyslogReceiver();
  const log = createGlobalLogger([udpTarget(rx.port, LOCAL1, LOG_WARNING)], fixed);
  t.after(async () => {
    log.close();
    await rx.close();
  });
  assert.equal(log.enabled, true);
  log.send(LOG_NOTICE, 'filtered by max level');
  log.send(LOG_WARNING, 'Some proxies refused to pause, performing soft stop now.');
  assert.deepEqual(await rx.waitFor(1), [`<140>${HDR}Some proxies refused to pause, performing soft stop now.\n`]);
  assert.equal(createGlobalLogger([]).enabled, false);
});
