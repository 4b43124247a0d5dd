// How a runtime wires its proxies' logs: one syslog sender for the whole runtime (two proxies
// logging to the same target send from one UDP socket), the `/dev/log` fallback warning through
// the process log (so quiet and JSON apply), and the sockets released by stop() and soft stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { parseConfigText } from '../../src/config/parser.js';
import { unixFallbackWarning } from '../../src/log/proxy-logger.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { freePorts } from '../support/ports.js';
import { runtimeOptions } from '../support/runtime-config.js';

interface Received {
  readonly text: string;
  readonly fromPort: number;
}

async function receiver(): Promise<{ port: number; got: Received[]; wait(n: number): Promise<void>; close(): void }> {
  const socket = createSocket('udp4');
  const got: Received[] = [];
  socket.on('message', (msg, rinfo) => got.push({ text: msg.toString('latin1'), fromPort: rinfo.port }));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return {
    port: socket.address().port,
    got,
    async wait(n) {
      for (let i = 0; i < 300 && got.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(got.length >= n, `${got.length} of ${n} datagrams: ${JSON.stringify(got)}`);
    },
    close: () => socket.close(),
  };
}

/** Local UDP ports bound in this network namespace (/proc/net/udp, IPv4). */
function boundUdpPorts(): Set<number> {
  const ports = new Set<number>();
  for (const line of readFileSync('/proc/net/udp', 'latin1').split('\n').slice(1)) {
    const local = line.trim().split(/\s+/)[1];
    if (local !== undefined) ports.add(parseInt(local.split(':')[1]!, 16));
  }
  return ports;
}

function twoProxies(logPort: number, ports: number[]): string {
  return ['one', 'two']
    .map(
      (name, i) => `listen ${name}
    bind 127.0.0.1:${ports[i]}
    mode tcp
    log 127.0.0.1:${logPort} local0
    balance roundrobin
    server s 127.0.0.1:1
`,
    )
    .join('');
}

test('two proxies logging to the same target share one UDP socket, closed by stop()', async (t) => {
  const rx = await receiver();
  t.after(() => rx.close());
  const parsed = parseConfigText(twoProxies(rx.port, await freePorts(2)), 'log.cfg');
  assert.deepEqual(parsed.diagnostics.filter((d) => d.severity === 'alert'), []);
  const rt = new Runtime(parsed.config, runtimeOptions());
  await rt.start();
  t.after(() => rt.stop());
  await rx.wait(2);
  assert.ok(rx.got.some((d) => d.text.includes('Proxy one started.')));
  assert.ok(rx.got.some((d) => d.text.includes('Proxy two started.')));
  const sources = new Set(rx.got.map((d) => d.fromPort));
  assert.equal(sources.size, 1, `datagrams from ${[...sources].join(', ')}`);
  const [source] = sources;
  assert.ok(boundUdpPorts().has(source!));
  rt.stop();
  for (let i = 0; i < 100 && boundUdpPorts().has(source!); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(boundUdpPorts().has(source!), false, 'the shared socket is closed');
});

test('soft stop: the stop lines are sent, then the shared socket is closed', async (t) => {
  const rx = await receiver();
  t.after(() => rx.close());
  const parsed = parseConfigText(twoProxies(rx.port, await freePorts(2)), 'log.cfg');
  const rt = new Runtime(parsed.config, runtimeOptions());
  await rt.start();
  t.after(() => rt.stop());
  await rx.wait(2);
  await rt.softStop();
  await rx.wait(6);
  for (const name of ['one', 'two']) assert.ok(rx.got.some((d) => d.text.includes(`Proxy ${name} stopped.`)), name);
  const [source] = new Set(rx.got.map((d) => d.fromPort));
  for (let i = 0; i < 100 && boundUdpPorts().has(source!); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(boundUdpPorts().has(source!), false, 'the shared socket is closed after the soft stop');
});

test('log /dev/log: the fallback warning goes through the process log (quiet and JSON apply)', async (t) => {
  const [port] = await freePorts(1);
  const parsed = parseConfigText(
    `listen web
    bind 127.0.0.1:${port}
    mode tcp
    log /dev/log local0
    balance roundrobin
    server s 127.0.0.1:1
`,
    'devlog.cfg',
  );
  const options = runtimeOptions();
  const rt = new Runtime(parsed.config, options);
  t.after(() => rt.stop());
  assert.ok(options.processLog.messages().includes(unixFallbackWarning('web', '/dev/log')), JSON.stringify(options.processLog.lines));
});
