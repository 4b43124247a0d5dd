// The runtime's optional members used by the stats page, the HTTP engine and -d: counters,
// pickServer/assigned, onSoftStop, countHttpResponse, setCheckHealth, debug lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend } from '../support/backend.js';
import { connectClient, sleep } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { bind, proxy, server } from '../support/runtime-config.js';
import { startRuntime } from '../support/runtime-harness.js';

test('counters: peak sessions, client bytes, lbTotal, queue peaks, down transitions, check health', async (t) => {
  const a = await startBackend({ kind: 'echo', greeting: 'a\n' });
  const b = await startBackend({ kind: 'echo', greeting: 'b\n' });
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await freePort();
  const rt = await startRuntime([
    proxy('px', {
      binds: [bind('127.0.0.1', port)],
      servers: [server('a', '127.0.0.1', a.port, { maxconn: 1 }), server('b', '127.0.0.1', b.port, { maxconn: 1 })],
    }),
  ]);
  t.after(() => rt.stop());
  const px = rt.runtime.proxy('px')!;
  const c1 = await connectClient(port);
  const c2 = await connectClient(port);
  await c1.received(2);
  await c2.received(2);
  const c3 = await connectClient(port);
  for (let i = 0; i < 200 && px.queueLength === 0; i++) await sleep(5);
  assert.equal(px.maxQueueLength, 1);
  assert.equal(px.maxSessions, 3);
  c1.socket.end('12345');
  await c1.ended();
  await c3.received(2);
  for (const c of [c2, c3]) c.socket.end();
  for (const c of [c2, c3]) await c.ended();
  for (let i = 0; i < 200 && px.currentSessions > 0; i++) await sleep(5);
  assert.equal(px.bytesIn, 5);
  assert.equal(px.bytesOut, 2 + 5 + 2 + 2);
  assert.equal(px.servers[0]!.lbTotal + px.servers[1]!.lbTotal, 2, 'queued sessions are not picked by the balancer');
  const s = px.servers[0]!;
  s.setCheckHealth(4, false);
  assert.equal(s.checkHealth, 4);
  assert.equal(s.checkFailures, 1);
  s.setDown();
  s.setDown();
  s.setUp();
  s.setDown();
  assert.equal(s.downTransitions, 2);
});

test('pickServer + assigned: connect() goes to the server picked beforehand', async (t) => {
  const a = await startBackend({ kind: 'echo', greeting: 'a\n' });
  const b = await startBackend({ kind: 'echo', greeting: 'b\n' });
  t.after(() => Promise.all([a.close(), b.close()]));
  const port = await freePort();
  const rt = await startRuntime([
    proxy('px', { binds: [bind('127.0.0.1', port)], servers: [server('a', '127.0.0.1', a.port), server('b', '127.0.0.1', b.port)] }),
  ]);
  t.after(() => rt.stop());
  const px = rt.runtime.proxy('px')!;
  const req = { clientAddress: '127.0.0.1', clientPort: 1, frontendPort: port, direct: undefined };
  const first = px.pickServer(req);
  const second = px.pickServer(req);
  assert.deepEqual([first?.config.name, second?.config.name], ['a', 'b'], 'the rotation advances');
  const r = await new Promise<Parameters<Parameters<typeof px.connect>[1]>[0]>((res) => px.connect({ ...req, assigned: second }, res));
  assert.equal(r.ok && r.server?.config.name, 'b');
  if (r.ok) (r.socket.destroy(), r.release());
});

test('onSoftStop callbacks run when the soft stop begins; stopping turns true', async (t) => {
  const port = await freePort();
  const rt = await startRuntime([proxy('px', { graceMs: 200, binds: [bind('127.0.0.1', port)], servers: [server('a', '127.0.0.1', 1)] })]);
  t.after(() => rt.stop());
  const px = rt.runtime.proxy('px')!;
  const calls: string[] = [];
  px.onSoftStop(() => calls.push('kept'));
  const off = px.onSoftStop(() => calls.push('removed'));
  off();
  assert.equal(px.stopping, false);
  const done = rt.runtime.softStop();
  assert.deepEqual(calls, ['kept']);
  assert.equal(px.stopping, true);
  await done;
});

test('countHttpResponse feeds the proxy and server classes', async (t) => {
  const port = await freePort();
  const rt = await startRuntime([proxy('px', { mode: 'http', binds: [bind('127.0.0.1', port)], servers: [server('a', '127.0.0.1', 1)] })]);
  t.after(() => rt.stop());
  const px = rt.runtime.proxy('px')!;
  px.countHttpRequest();
  px.countHttpResponse(200, px.servers[0]);
  px.countHttpResponse(503, undefined);
  px.countHttpResponse(999, undefined);
  assert.equal(px.httpRequests, 1);
  assert.deepEqual(px.httpResponses, [0, 1, 0, 0, 1, 1]);
  assert.deepEqual(px.servers[0]!.httpResponses, [0, 1, 0, 0, 0, 0]);
});

test('-d: accept and closed lines for a tcp session', async (t) => {
  const be = await startBackend({ kind: 'echo' });
  t.after(() => be.close());
  const port = await freePort();
  const lines: string[] = [];
  const rt = await startRuntime([proxy('tcpx', { binds: [bind('127.0.0.1', port)], servers: [server('s', '127.0.0.1', be.port)] })], {
    options: { debug: true },
    hooks: { debugSink: (l) => lines.push(l) },
  });
  t.after(() => rt.stop());
  const c = await connectClient(port);
  c.socket.end('x');
  await c.ended();
  for (let i = 0; i < 200 && lines.length < 4; i++) await sleep(5);
  assert.match(lines[0]!, /^00000000:tcpx\.accept\([0-9a-f]{4}\)=[0-9a-f]{4} from \[127\.0\.0\.1:\d+\]\n$/);
  assert.deepEqual(
    lines.slice(1).map((l) => l.replace(/\[.*\]/, '')).sort(),
    ['00000000:tcpx.clicls\n', '00000000:tcpx.closed\n', '00000000:tcpx.srvcls\n'],
  );
  assert.match(lines[3]!, /^00000000:tcpx\.closed\[[0-9a-f]{4}:[0-9a-f]{4}\]\n$/);
  assert.doesNotMatch(lines[3]!, /ffff/);
  assert.equal(rt.runtime.proxy('tcpx')!.debug?.sessionId(c.socket), undefined, 'ids are per accepted socket');
});
