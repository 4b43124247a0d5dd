// Accounting under churn: many sessions against backends that echo, reset, close at once or
// stay silent, clients that reset or leave, a server limit and queue; afterwards every counter
// is back to zero and nothing is left queued or held.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend } from '../support/backend.js';
import { connectClient, sleep, type TestClient } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { bind, proxy, server } from '../support/runtime-config.js';
import { startRuntime } from '../support/runtime-harness.js';

test('churn: 240 mixed sessions leave no session, slot, queue entry or held connection behind', async (t) => {
  const backends = await Promise.all([
    startBackend({ kind: 'echo', greeting: 'e\n' }),
    startBackend({ kind: 'reset', afterBytes: 4 }),
    startBackend({ kind: 'close' }),
    startBackend({ kind: 'silent' }),
  ]);
  t.after(() => Promise.all(backends.map((b) => b.close())));
  const port = await freePort();
  const rt = await startRuntime(
    [
      proxy('px', {
        binds: [bind('127.0.0.1', port)],
        maxconn: 40,
        connectTimeoutMs: 2000,
        clientTimeoutMs: 300,
        serverTimeoutMs: 300,
        retries: 1,
        options: { redispatch: true, tcplog: true },
        servers: backends.map((b, i) => server(`s${i}`, '127.0.0.1', b.port, { maxconn: 5 })),
      }),
    ],
    { options: { globalMaxconn: 30 } },
  );
  t.after(() => rt.stop());
  const clients: TestClient[] = [];
  for (let i = 0; i < 240; i++) {
    const c = await connectClient(port);
    clients.push(c);
    switch (i % 4) {
      case 0:
        c.socket.end('hello');
        break;
      case 1:
        c.socket.write('12345678');
        break;
      case 2:
        setTimeout(() => c.socket.resetAndDestroy(), 5);
        break;
      default:
        break;
    }
  }
  const px = rt.runtime.proxy('px')!;
  const deadline = Date.now() + 30000;
  while ((rt.runtime.processSessions > 0 || px.held.length > 0) && Date.now() < deadline) await sleep(20);
  for (const c of clients) c.socket.destroy();
  assert.equal(rt.runtime.processSessions, 0);
  assert.equal(px.currentSessions, 0);
  assert.equal(px.held.length, 0);
  assert.equal(px.queueLength, 0);
  for (const s of px.servers) {
    assert.equal(s.currentSessions, 0, s.config.name);
    assert.equal(s.queueLength, 0, s.config.name);
    assert.ok(s.maxSessions <= 5, `${s.config.name} peak ${s.maxSessions}`);
  }
  assert.ok(px.maxSessions <= 30, `global limit held (peak ${px.maxSessions})`);
  await rt.log('px').waitRecords(240, 10000);
  assert.equal(rt.log('px').records.length, 240);
  const counts = new Map<string, number>();
  for (const r of rt.log('px').records) counts.set(r.termination, (counts.get(r.termination) ?? 0) + 1);
  t.diagnostic(JSON.stringify([...counts]));
});
