// End to end in mode tcp: a real Runtime on loopback logging to a real UDP syslog receiver —
// tcplog lines, the default `Connect from` line, nothing for monitor-net clients, and the
// health-check state changes at their legacy levels.
process.env.TZ = 'UTC';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseConfigText } from '../../src/config/parser.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { startSyslogReceiver } from '../support/syslog.js';
import { template } from '../support/http-harness.js';
import { runtimeOptions } from '../support/runtime-config.js';
import { freePort } from '../support/ports.js';

const T = '(?:-1|\\d+)';
const DATE = '\\[\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2}\\]';
const STAMP = '[A-Z][a-z]{2} [ \\d]\\d \\d{2}:\\d{2}:\\d{2}';
const TAG = `tsproxy\\[${process.pid}\\]: `;

/** An echo server that answers `reply` to the first chunk and then closes. */
async function startReplyServer(reply: string): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.once('data', () => s.end(reply));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  assert.ok(a !== null && typeof a === 'object');
  return {
    port: a.port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

function talk(port: number, bytes: string, localAddress = '127.0.0.1'): Promise<{ localPort: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    const chunks: Buffer[] = [];
    let localPort = 0;
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on('connect', () => {
      localPort = s.localPort ?? 0;
      if (bytes) s.write(bytes);
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

test('tcplog, Connect from, and monitor-net sessions never logged', async (t) => {
  const rx = await startSyslogReceiver();
  const backend = await startReplyServer('pong\n');
  const [p1, p2] = [await freePort(), await freePort()];
  const { config } = parseConfigText(
    template(
      `
listen tse-proxy 127.0.0.1:{P1}
    mode tcp
    log 127.0.0.1:{LOG} local0
    option tcplog
    balance roundrobin
    monitor-net 127.0.0.2/32
    clitimeout 5000
    srvtimeout 5000
    contimeout 5000
    server tse-farm 127.0.0.1:{B}

listen plain 127.0.0.1:{P2}
    mode tcp
    log 127.0.0.1:{LOG} local1 info
    dispatch 127.0.0.1:{B}
    clitimeout 5000
    srvtimeout 5000
    contimeout 5000
`,
      { P1: p1, P2: p2, LOG: rx.port, B: backend.port },
    ),
    'tcp.cfg',
  );
  const runtime = new Runtime(config, runtimeOptions());
  await runtime.start();
  t.after(async () => {
    runtime.stop();
    await backend.close();
    await rx.close();
  });
  const started = await rx.waitFor(2);
  assert.deepEqual(
    started.map((d) => d.replace(new RegExp(STAMP), 'STAMP')).sort(),
    [`<133>STAMP tsproxy[${process.pid}]: Proxy tse-proxy started.\n`, `<141>STAMP tsproxy[${process.pid}]: Proxy plain started.\n`].sort(),
  );

  // monitor-net client: closed at once, no log
  const mon = await talk(p1, 'ping\n', '127.0.0.2');
  assert.equal(mon.text, '');

  const r = await talk(p1, 'ping\n');
  assert.equal(r.text, 'pong\n');
  const got = await rx.waitFor(3);
  assert.match(got[2], new RegExp(`^<134>${STAMP} ${TAG}127\\.0\\.0\\.1:${r.localPort} ${DATE} tse-proxy tse-farm ${T}/${T}/${T} 5 (--|SD|CD) 0/0/0 0/0\\n$`));

  // no tcplog: the Connect line at accept, local1.info = <142>
  const c = await talk(p2, 'ping\n');
  assert.equal(c.text, 'pong\n');
  const got2 = await rx.waitFor(4);
  assert.equal(got2[3].replace(new RegExp(STAMP), 'STAMP'), `<142>STAMP tsproxy[${process.pid}]: Connect from 127.0.0.1:${c.localPort} to 127.0.0.1:${p2} (plain/TCP)\n`);

  assert.equal((await rx.settle(150)).length, 4, 'nothing for the monitor-net client, nothing at session end without tcplog');
});

test('health-check state changes: DOWN at alert, no server available at emerg', async (t) => {
  const rx = await startSyslogReceiver();
  const dead = await freePort();
  const port = await freePort();
  const { config } = parseConfigText(
    template(
      `
listen webfarm 127.0.0.1:{P}
    mode tcp
    log 127.0.0.1:{LOG} local0
    balance roundrobin
    contimeout 1000
    server webA 127.0.0.1:{D} check inter 100 fall 1
`,
      { P: port, LOG: rx.port, D: dead },
    ),
    'checks.cfg',
  );
  const opts = runtimeOptions();
  const runtime = new Runtime(config, opts);
  await runtime.start();
  t.after(async () => {
    runtime.stop();
    await rx.close();
  });
  const got = await rx.waitFor(3, 5000);
  const strip = (d: string) => d.replace(new RegExp(STAMP), 'STAMP');
  assert.equal(strip(got[0]), `<133>STAMP tsproxy[${process.pid}]: Proxy webfarm started.\n`);
  assert.match(strip(got[1]), new RegExp(`^<129>STAMP ${TAG}Server webfarm/webA is DOWN\\. 0 active and 0 backup servers left\\. 0 sessions active, 0 requeued, 0 remaining in queue\\.\\n$`));
  assert.equal(strip(got[2]), `<128>STAMP tsproxy[${process.pid}]: Proxy webfarm has no server available !\n`);
  // the same events on the process log, at the stderr levels
  assert.deepEqual(
    opts.processLog.lines.filter((l) => /DOWN|no server/.test(l.message)).map((l) => l.level),
    ['warning', 'alert'],
  );
});
