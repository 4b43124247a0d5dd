// mode tcp through a real Runtime: bytes pass unchanged both ways, half-close, log record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startBackend } from '../support/backend.js';
import { connectClient } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { bind, proxy, server } from '../support/runtime-config.js';
import { startRuntime } from '../support/runtime-harness.js';

test('tcp: bytes pass unchanged both ways, half-close passes through, tcplog record', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'hello\n' });
  t.after(() => be.close());
  const port = await freePort();
  const rt = await startRuntime([
    proxy('tcpx', { binds: [bind('127.0.0.1', port)], servers: [server('s1', '127.0.0.1', be.port)], options: { tcplog: true } }),
  ]);
  t.after(() => rt.stop());
  const c = await connectClient(port);
  await c.received(6);
  const payload = Buffer.alloc(200000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
  c.socket.write(payload);
  c.socket.end();
  await c.ended();
  await c.closed();
  assert.equal(c.data().subarray(0, 6).toString(), 'hello\n');
  assert.ok(c.data().subarray(6).equals(payload));
  assert.ok(Buffer.concat(be.connections[0]!.received).equals(payload));
  assert.equal(be.connections[0]!.gotEnd, true);
  const log = rt.log('tcpx');
  await log.waitRecords(1);
  const r = log.records[0]!;
  assert.equal(r.serverName, 's1');
  assert.equal(r.termination, '--');
  assert.equal(r.bytesFromClient, payload.length);
  assert.equal(r.bytesFromServer, payload.length + 6);
  assert.equal(r.proxyConnections, 0);
  assert.equal(r.processConnections, 0);
  assert.equal(r.serverConnections, 0);
  assert.equal(r.mode, 'tcp');
  assert.equal(r.clientAddress, '127.0.0.1');
  assert.ok(r.tc >= 0 && r.tt >= r.tc);
});
