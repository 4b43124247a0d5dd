// A log server that is down, unroutable or unresolvable never affects traffic: many lines are
// logged while a real TCP exchange runs on loopback; nothing throws, every round trip completes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { createProxyLogger } from '../../src/log/proxy-logger.js';
import { SyslogSender } from '../../src/log/syslog.js';
import { LOG_INFO } from '../../src/log/types.js';
import { proxyConfig, record, udpTarget } from '../support/log-fixtures.js';

/** A UDP port that was free a moment ago: bind, read, close. */
async function closedUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function echoOnce(client: Socket, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString('latin1');
      if (got.length >= payload.length) {
        client.off('data', onData);
        client.off('error', reject);
        resolve(got);
      }
    };
    client.on('data', onData);
    client.once('error', reject);
    client.write(payload);
  });
}

test('closed port, unroutable and unresolvable log servers: traffic unaffected, nothing thrown', async (t) => {
  const echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  const address = echo.address();
  assert.ok(address !== null && typeof address === 'object');
  const client = connect(address.port, '127.0.0.1');
  await new Promise<void>((r, j) => client.once('connect', r).once('error', j));

  const sender = new SyslogSender();
  const closedPort = await closedUdpPort();
  // TEST-NET-1 (RFC 5737) is never routed; .invalid never resolves (RFC 6761)
  const loggers = [
    createProxyLogger(proxyConfig({ logs: [udpTarget(closedPort), udpTarget(514, 16, 7, '192.0.2.1')], options: { httplog: true } }), { sender }),
    createProxyLogger(
      proxyConfig({ logs: [udpTarget(514, 16, 7, 'no-such-log-host.invalid'), udpTarget(closedPort, 16, 7, '::1')], options: { tcplog: true } }),
      { sender },
    ),
  ];
  t.after(() => {
    for (const l of loggers) l.close();
    sender.close();
    client.destroy();
    echo.close();
  });

  const rounds = 200;
  const linesPerRound = 100;
  let completed = 0;
  for (let i = 0; i < rounds; i++) {
    for (let j = 0; j < linesPerRound; j++) {
      loggers[0].logTraffic(record({ clientPort: j }));
      loggers[1].logTraffic(record({ mode: 'tcp', clientPort: j }));
      loggers[1].send(LOG_INFO, 'free text');
    }
    const payload = `round ${i}\n`;
    assert.equal(await echoOnce(client, payload), payload);
    completed++;
  }
  assert.equal(completed, rounds);
  // every datagram was accounted for: sent, dropped (pending cap, unresolved) or errored
  const st = sender.stats();
  t.diagnostic(JSON.stringify(st));
  assert.ok(st.sent + st.dropped + st.errors > 0, JSON.stringify(st));
  assert.ok(st.dropped > 0, 'the unresolvable host drops its lines: ' + JSON.stringify(st));
  // a refusing server does not turn every datagram into an error object (back-off to the unconnected socket)
  assert.ok(st.errors < 8000, 'errors bounded by the back-off: ' + JSON.stringify(st));
});
