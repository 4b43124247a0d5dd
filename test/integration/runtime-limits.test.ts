// Admission and lifecycle of a real Runtime: global and per-proxy maxconn hold new connections
// without refusing them, pause/resume keep the bind, softStop honours grace and waits for the
// last session, stop cuts everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend } from '../support/backend.js';
import { connectClient, sleep, type TestClient } from '../support/client.js';
import { canBind, freePort, freePorts } from '../support/ports.js';
import { bind, proxy, server } from '../support/runtime-config.js';
import { startRuntime } from '../support/runtime-harness.js';

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function greeted(c: TestClient): Promise<void> {
  await c.received(2);
}

test('global maxconn: at the limit new connections wait (not refused) and start as sessions end', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'g\n' });
  t.after(() => be.close());
  const [p1, p2] = await freePorts(2);
  const rt = await startRuntime(
    [
      proxy('a', { binds: [bind('127.0.0.1', p1!)], servers: [server('s', '127.0.0.1', be.port)] }),
      proxy('b', { binds: [bind('127.0.0.1', p2!)], servers: [server('s', '127.0.0.1', be.port)] }),
    ],
    { options: { globalMaxconn: 2 } },
  );
  t.after(() => rt.stop());
  const c1 = await connectClient(p1!);
  const c2 = await connectClient(p2!);
  await greeted(c1);
  await greeted(c2);
  const waiting: TestClient[] = [];
  for (let i = 0; i < 4; i++) waiting.push(await connectClient(i % 2 ? p1! : p2!));
  await sleep(100);
  assert.equal(be.connections.length, 2, 'no session beyond the global limit');
  assert.equal(rt.runtime.processSessions, 2);
  for (const w of waiting) assert.equal(w.text(), '');
  c1.socket.end();
  await until(() => waiting.some((w) => w.text() === 'g\n'), 'a waiting connection to start');
  await sleep(50);
  assert.equal(waiting.filter((w) => w.text() !== '').length, 1, 'exactly one slot freed');
  assert.equal(rt.runtime.processSessions, 2);
  for (const c of [c2, ...waiting]) c.socket.end();
  for (const w of waiting) await greeted(w);
  for (const w of waiting) {
    const r = await w.closed();
    assert.equal(r.error, undefined, 'never refused nor reset');
  }
  await until(() => rt.runtime.processSessions === 0, 'all sessions to end');
  assert.equal(be.connections.length, 6);
});

test('per-proxy maxconn holds the proxy\'s connections only', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'g\n' });
  t.after(() => be.close());
  const [p1, p2] = await freePorts(2);
  const rt = await startRuntime([
    proxy('small', { maxconn: 1, binds: [bind('127.0.0.1', p1!)], servers: [server('s', '127.0.0.1', be.port)] }),
    proxy('big', { binds: [bind('127.0.0.1', p2!)], servers: [server('s', '127.0.0.1', be.port)] }),
  ]);
  t.after(() => rt.stop());
  const c1 = await connectClient(p1!);
  await greeted(c1);
  const held = await connectClient(p1!);
  const other = await connectClient(p2!);
  await greeted(other);
  await sleep(50);
  assert.equal(held.text(), '');
  assert.equal(rt.runtime.proxy('small')!.held.length, 1);
  c1.socket.destroy();
  await greeted(held);
  held.socket.destroy();
  other.socket.destroy();
});

test('pause releases the ports and keeps the sessions; resume binds again', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'g\n' });
  t.after(() => be.close());
  const port = await freePort();
  const rt = await startRuntime([proxy('px', { binds: [bind('127.0.0.1', port)], servers: [server('s', '127.0.0.1', be.port)] })]);
  t.after(() => rt.stop());
  const live = await connectClient(port);
  await greeted(live);
  rt.runtime.pause();
  assert.ok(rt.processLog.messages().includes('Pausing proxy px.'));
  assert.deepEqual(rt.log('px').sent.map((s) => [s.level, s.message]).slice(-1), [[4, 'Pausing proxy px.']]);
  await until(() => rt.runtime.listeningHandles().size === 0, 'listeners to close');
  assert.equal(await canBind('127.0.0.1', port), true, 'another process could bind the port now');
  await assert.rejects(connectClient(port), { code: 'ECONNREFUSED' });
  live.socket.write('still here');
  await live.received(12);
  assert.equal(live.text(), 'g\nstill here', 'sessions keep running');
  rt.runtime.resume();
  assert.ok(rt.processLog.messages().includes('Enabling proxy px.'));
  await until(() => rt.runtime.listeningHandles().size === 1, 'listeners to bind again');
  const late = await connectClient(port);
  await greeted(late);
  live.socket.destroy();
  late.socket.destroy();
});

test('resume with a port taken meanwhile: the legacy warning, the proxy stays paused', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'g\n' });
  t.after(() => be.close());
  const port = await freePort();
  const rt = await startRuntime([proxy('px', { binds: [bind('127.0.0.1', port)], servers: [server('s', '127.0.0.1', be.port)] })]);
  t.after(() => rt.stop());
  rt.runtime.pause();
  await until(() => rt.runtime.listeningHandles().size === 0, 'listeners to close');
  const squatter = await startBackend({ kind: 'echo', greeting: 'squatter\n' }, '127.0.0.1', port);
  t.after(() => squatter.close());
  rt.runtime.resume();
  await until(() => rt.processLog.messages().includes(`Port ${port} busy while trying to enable proxy px.`), 'the busy warning');
  assert.equal(rt.runtime.proxy('px')!.paused, true);
  await squatter.close();
  rt.runtime.resume();
  await until(() => rt.runtime.listeningHandles().size === 1, 'listeners to bind again');
  const c = await connectClient(port);
  await greeted(c);
  assert.equal(c.text(), 'g\n');
  c.socket.destroy();
  await rt.runtime.softStop();
});

test('softStop: keeps accepting during grace, then unbinds, resolves after the last session', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'g\n' });
  t.after(() => be.close());
  const [p1, p2] = await freePorts(2);
  const rt = await startRuntime([
    proxy('webfarm', { graceMs: 300, binds: [bind('127.0.0.1', p1!)], servers: [server('s', '127.0.0.1', be.port)] }),
    proxy('now', { binds: [bind('127.0.0.1', p2!)], servers: [server('s', '127.0.0.1', be.port)] }),
  ]);
  t.after(() => rt.stop());
  const live = await connectClient(p1!);
  await greeted(live);
  let resolved = false;
  const done = rt.runtime.softStop().then(() => (resolved = true));
  const msgs = () => rt.processLog.messages();
  assert.ok(msgs().includes('Stopping proxy webfarm in 300 ms.'));
  assert.ok(msgs().includes('Stopping proxy now in 0 ms.'));
  assert.ok(msgs().includes('Proxy now stopped.'));
  await assert.rejects(connectClient(p2!), { code: 'ECONNREFUSED' });
  const inGrace = await connectClient(p1!);
  await greeted(inGrace);
  await until(() => msgs().includes('Proxy webfarm stopped.'), 'webfarm to stop');
  await assert.rejects(connectClient(p1!), { code: 'ECONNREFUSED' });
  live.socket.write('more');
  await live.received(6);
  assert.equal(resolved, false, 'sessions still running');
  live.socket.end();
  inGrace.socket.end();
  await done;
  assert.equal(rt.runtime.processSessions, 0);
  assert.equal(rt.log('webfarm').closed, true);
});

test('stop() cuts every session and unbinds at once', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'g\n' });
  t.after(() => be.close());
  const port = await freePort();
  const rt = await startRuntime([proxy('px', { binds: [bind('127.0.0.1', port)], servers: [server('s', '127.0.0.1', be.port)] })]);
  const c = await connectClient(port);
  await greeted(c);
  rt.runtime.stop();
  await c.ended();
  await until(() => be.connections[0]!.closed, 'the server side to close');
  assert.equal(await canBind('127.0.0.1', port), true);
  await rt.runtime.softStop();
});

test('300 concurrent clients through global maxconn 20: every one served, none refused', async (t) => {
  const be = await startBackend({ kind: 'reply-on-end', reply: (b) => b });
  t.after(() => be.close());
  const port = await freePort();
  const rt = await startRuntime([proxy('px', { binds: [bind('127.0.0.1', port)], servers: [server('s', '127.0.0.1', be.port)] })], {
    options: { globalMaxconn: 20 },
  });
  t.after(() => rt.stop());
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rt.runtime.processSessions)), 1);
  t.after(() => clearInterval(sampler));
  const clients = await Promise.all(Array.from({ length: 300 }, () => connectClient(port)));
  clients.forEach((c, i) => c.socket.end(`client ${i}`));
  for (const [i, c] of clients.entries()) {
    await c.ended(20000);
    assert.equal(c.text(), `client ${i}`);
  }
  clearInterval(sampler);
  assert.ok(peak <= 20, `never more than 20 sessions at once (peak ${peak})`);
  assert.equal(be.connections.length, 300);
  for (const c of clients) c.socket.destroy();
});

test('softStop message order: every Stopping line first, then the stopped lines', async (t) => {
  const [p1, p2] = await freePorts(2);
  const rt = await startRuntime([
    proxy('one', { binds: [bind('127.0.0.1', p1!)], servers: [server('s', '127.0.0.1', 1)] }),
    proxy('two', { binds: [bind('127.0.0.1', p2!)], servers: [server('s', '127.0.0.1', 1)] }),
  ]);
  t.after(() => rt.stop());
  await rt.runtime.softStop();
  assert.deepEqual(rt.processLog.lines.filter((l) => l.level === 'warning').map((l) => l.message), [
    'Stopping proxy one in 0 ms.',
    'Stopping proxy two in 0 ms.',
    'Proxy one stopped.',
    'Proxy two stopped.',
  ]);
});

test('softStop at maxconn: a held connection is served once the session ahead of it ends, then the stop completes', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'g\n' });
  t.after(() => be.close());
  const port = await freePort();
  const rt = await startRuntime([proxy('px', { maxconn: 1, binds: [bind('127.0.0.1', port)], servers: [server('s', '127.0.0.1', be.port)] })]);
  t.after(() => rt.stop());
  const first = await connectClient(port);
  await greeted(first);
  const held = await connectClient(port);
  await until(() => rt.runtime.proxy('px')!.held.length === 1, 'the second client to be held');
  let resolved = false;
  const done = rt.runtime.softStop().then(() => (resolved = true));
  assert.ok(rt.processLog.messages().includes('Proxy px stopped.'));
  await sleep(50);
  assert.equal(resolved, false, 'a held client keeps the stop waiting');
  first.socket.end();
  await greeted(held);
  held.socket.write('late');
  await held.received(6);
  assert.equal(held.text(), 'g\nlate');
  assert.equal(resolved, false);
  held.socket.end();
  const r = await held.closed();
  assert.equal(r.error, undefined, 'the held client was never reset');
  await done;
  assert.equal(rt.runtime.proxy('px')!.held.length, 0);
  assert.equal(be.connections.length, 2);
});
