// State-change texts (spec §8.4, 1.2.13+), the first-check spread, the check destination, the
// transition reports and the SIGHUP dump (spec §13.4), on the test runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leavesNoServer, noServerMessage, serverDownMessage, serverUpMessage } from '../../src/checks/messages.js';
import { checkKind, firstCheckDelayMs, probeSpecFor, reportTransition } from '../../src/checks/scheduler.js';
import { dumpServerStates } from '../../src/checks/dump.js';
import { LOG_ALERT, LOG_EMERG, LOG_NOTICE } from '../../src/log/types.js';
import { httpCheck, proxyConfig, serverConfig, TestProxy } from '../support/checks-fakes.js';

const counts = (activeLeft: number, backupLeft: number, sessionsActive = 0, requeued = 0, remainingInQueue = 0) => ({
  activeLeft,
  backupLeft,
  sessionsActive,
  requeued,
  remainingInQueue,
});

test('DOWN text as 1.2.14 prints it (the issue example)', () => {
  assert.equal(
    serverDownMessage('webfarm', 'webA', false, counts(3, 0)),
    'Server webfarm/webA is DOWN. 3 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  );
});

test('DOWN of the last active server with backups left: Running on backup', () => {
  assert.equal(
    serverDownMessage('px', 'webD', false, counts(0, 2, 4, 1, 0)),
    'Server px/webD is DOWN. 0 active and 2 backup servers left. Running on backup. 4 sessions active, 1 requeued, 0 remaining in queue.',
  );
});

test('backup servers are named Backup Server', () => {
  assert.equal(
    serverDownMessage('px', 'bkpA', true, counts(0, 0)),
    'Backup Server px/bkpA is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
  );
  assert.equal(
    serverUpMessage('px', 'bkpA', true, counts(0, 1, 0, 2, 3)),
    'Backup Server px/bkpA is UP. 0 active and 1 backup servers online. Running on backup. 2 sessions requeued, 3 total in queue.',
  );
});

test('UP text', () => {
  assert.equal(
    serverUpMessage('webfarm', 'webA', false, counts(4, 0)),
    'Server webfarm/webA is UP. 4 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.',
  );
});

test('no server text and condition', () => {
  assert.equal(noServerMessage('webfarm'), 'Proxy webfarm has no server available !');
  assert.equal(leavesNoServer(counts(0, 0)), true);
  assert.equal(leavesNoServer(counts(0, 1)), false);
  assert.equal(leavesNoServer(counts(1, 0)), false);
});

test('first check spread: inter + mininter*pos/nbchk (2000, 2500, 3000, 3500 for 4 servers)', () => {
  assert.deepEqual([0, 1, 2, 3].map((p) => firstCheckDelayMs(2000, 2000, p, 4)), [2000, 2500, 3000, 3500]);
  // integer division, own inter plus the smallest inter's share
  assert.deepEqual([0, 1, 2].map((p) => firstCheckDelayMs(4000, 1000, p, 3)), [4000, 4333, 4666]);
});

test('check destination: port and addr redirect, source from server then proxy', () => {
  const plain = serverConfig('a', { address: { host: '10.0.0.1', family: 4, port: { kind: 'absolute', port: 80 } } });
  const redirected = serverConfig('b', {
    address: { host: '10.0.0.2', family: 4, port: { kind: 'absolute', port: 80 } },
    checkPort: 81,
    checkAddr: '127.0.0.9',
    source: { host: '127.0.0.5', family: 4, port: 0 },
  });
  const mappedNoPort = serverConfig('c', { address: { host: '10.0.0.3', family: 4, port: { kind: 'mapped', offset: 0 } } });
  const mappedWithPort = serverConfig('d', { address: { host: '10.0.0.4', family: 4, port: { kind: 'mapped', offset: 1 } }, checkPort: 8080 });
  const px = proxyConfig('px', [plain, redirected, mappedNoPort, mappedWithPort], { source: { host: '127.0.0.7', family: 4, port: 0 } });
  assert.deepEqual(probeSpecFor(px, plain), { kind: 'tcp', host: '10.0.0.1', port: 80, localAddress: '127.0.0.7', localPort: 0, httpRequest: undefined });
  assert.deepEqual(probeSpecFor(px, redirected), { kind: 'tcp', host: '127.0.0.9', port: 81, localAddress: '127.0.0.5', localPort: 0, httpRequest: undefined });
  assert.equal(probeSpecFor(px, mappedNoPort), undefined);
  assert.equal(probeSpecFor(px, mappedWithPort)?.port, 8080);
});

test('check kind and request bytes', () => {
  const s = serverConfig('a');
  assert.equal(checkKind(proxyConfig('p', [s])), 'tcp');
  assert.equal(checkKind(proxyConfig('p', [s], {}, { sslHelloChk: true })), 'ssl');
  const http = proxyConfig('p', [s], { httpCheck: httpCheck('HEAD', '/running', 'HTTP/1.0') });
  assert.equal(checkKind(http), 'http');
  assert.equal(probeSpecFor(http, s)?.httpRequest?.toString('latin1'), 'HEAD /running HTTP/1.0\r\n\r\n');
  // bytes above 0x7f from \xHH escapes go out unchanged
  const raw = proxyConfig('p', [s], { httpCheck: { method: 'GET', uri: '/\xe9', version: 'HTTP/1.0', request: 'GET /\xe9 HTTP/1.0\r\n\r\n' } });
  assert.deepEqual([...(probeSpecFor(raw, s)?.httpRequest ?? [])].slice(4, 6), [0x2f, 0xe9]);
});

test('a DOWN transition: setDown counts, stderr warning + syslog alert, then the emergency', () => {
  const px = new TestProxy(proxyConfig('webfarm', [serverConfig('webA'), serverConfig('bkpA', { backup: true })]));
  const [webA, bkpA] = px.servers;
  assert.ok(webA && bkpA);
  webA.currentSessions = 2;
  webA.queueLength = 1;
  reportTransition(px, webA, 'down');
  assert.equal(webA.state, 'DOWN');
  const down = 'Server webfarm/webA is DOWN. 0 active and 1 backup servers left. Running on backup. 2 sessions active, 1 requeued, 0 remaining in queue.';
  assert.deepEqual(px.lines, [
    { via: 'stderr-warning', level: undefined, text: down },
    { via: 'syslog', level: LOG_ALERT, text: down },
  ]);
  px.lines.length = 0;
  reportTransition(px, bkpA, 'down');
  const down2 = 'Backup Server webfarm/bkpA is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.';
  assert.deepEqual(px.lines, [
    { via: 'stderr-warning', level: undefined, text: down2 },
    { via: 'syslog', level: LOG_ALERT, text: down2 },
    { via: 'stderr-alert', level: undefined, text: 'Proxy webfarm has no server available !' },
    { via: 'syslog', level: LOG_EMERG, text: 'Proxy webfarm has no server available !' },
  ]);
  px.lines.length = 0;
  reportTransition(px, webA, 'up');
  const up = 'Server webfarm/webA is UP. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.';
  assert.deepEqual(px.lines, [
    { via: 'stderr-warning', level: undefined, text: up },
    { via: 'syslog', level: LOG_NOTICE, text: up },
  ]);
});

test('SIGHUP dump: header, one line per server, summary; stderr and syslog notice', () => {
  const px = new TestProxy(proxyConfig('webfarm', [serverConfig('webA'), serverConfig('webB'), serverConfig('bkpA', { backup: true })]));
  const [webA, webB] = px.servers;
  assert.ok(webA && webB);
  webA.currentSessions = 3;
  webA.queueLength = 2;
  webA.totalSessions = 17;
  webB.state = 'DOWN';
  px.currentSessions = 3;
  px.queueLength = 1;
  px.totalSessions = 20;
  const other = new TestProxy(proxyConfig('other', [serverConfig('s1'), serverConfig('b1', { backup: true })]), px.processLog);
  const [s1] = other.servers;
  assert.ok(s1);
  s1.state = 'DOWN';
  const none = new TestProxy(proxyConfig('none', [serverConfig('x')]), px.processLog);
  none.servers[0]!.state = 'DOWN';
  dumpServerStates([px, other, none], px.processLog);
  const expected = [
    'SIGHUP received, dumping servers states for proxy webfarm.',
    'SIGHUP: Server webfarm/webA is UP. Conn: 3 act, 2 pend, 17 tot.',
    'SIGHUP: Server webfarm/webB is DOWN. Conn: 0 act, 0 pend, 0 tot.',
    'SIGHUP: Server webfarm/bkpA is UP. Conn: 0 act, 0 pend, 0 tot.',
    'SIGHUP: Proxy webfarm has 1 active servers and 1 backup servers available. Conn: 3 act, 3 pend (1 unass), 20 tot.',
    'SIGHUP received, dumping servers states for proxy other.',
    'SIGHUP: Server other/s1 is DOWN. Conn: 0 act, 0 pend, 0 tot.',
    'SIGHUP: Server other/b1 is UP. Conn: 0 act, 0 pend, 0 tot.',
    'SIGHUP: Proxy other is running on backup servers ! Conn: 0 act, 0 pend (0 unass), 0 tot.',
    'SIGHUP received, dumping servers states for proxy none.',
    'SIGHUP: Server none/x is DOWN. Conn: 0 act, 0 pend, 0 tot.',
    'SIGHUP: Proxy none has no server available ! Conn: 0 act, 0 pend (0 unass), 0 tot.',
  ];
  assert.deepEqual(px.texts('stderr-warning'), expected);
  assert.deepEqual(px.texts('syslog'), expected);
  assert.ok(px.lines.filter((l) => l.via === 'syslog').every((l) => l.level === LOG_NOTICE));
});
