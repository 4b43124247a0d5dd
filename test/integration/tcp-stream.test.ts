// A 100 MB stream through mode tcp to a slow reader: every byte arrives unchanged and the
// proxy's buffering stays bounded (backpressure pauses the server side).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { ProxySocket as Socket } from '../../src/io/socket.js';
import { patternChunk, startBackend } from '../support/backend.js';
import { freePort } from '../support/ports.js';
import { bind, proxy, server } from '../support/runtime-config.js';
import { startRuntime } from '../support/runtime-harness.js';
import { acceptTcpSession } from '../../src/tcp/session.js';

const TOTAL = 100 * 1024 * 1024;

test('100 MB to a slow reader: unchanged, and the proxy never buffers much', async (t) => {
  const be = await startBackend({ kind: 'source', bytes: TOTAL });
  t.after(() => be.close());
  const port = await freePort();
  const proxySockets: Socket[] = [];
  const rt = await startRuntime(
    [proxy('px', { binds: [bind('127.0.0.1', port)], servers: [server('s', '127.0.0.1', be.port)], options: { tcplog: true } })],
    { hooks: { handlers: { tcp: (p, s, at) => (proxySockets.push(s), acceptTcpSession(p, s, at)) } } },
  );
  t.after(() => rt.stop());
  const baseline = process.memoryUsage().arrayBuffers;
  let maxQueued = 0;
  let maxExternal = 0;
  let maxInFlight = 0;
  let received = 0;
  const sampler = setInterval(() => {
    for (const s of proxySockets) maxQueued = Math.max(maxQueued, s.writableLength);
    const sent = be.connections[0]?.sent ?? 0;
    maxInFlight = Math.max(maxInFlight, sent - received);
    maxExternal = Math.max(maxExternal, process.memoryUsage().arrayBuffers - baseline);
  }, 5);
  t.after(() => clearInterval(sampler));
  const result = await new Promise<{ received: number; mismatch: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stream did not finish in 60 s')), 60000);
    const c = net.connect({ host: '127.0.0.1', port });
    let mismatch = -1;
    let chunks = 0;
    c.on('data', (d: Buffer) => {
      if (mismatch < 0 && !d.equals(patternChunk(received, d.length))) mismatch = received;
      received += d.length;
      // slow reader: a pause every other chunk, far slower than loopback delivers
      if (++chunks % 2 === 0) {
        c.pause();
        setTimeout(() => c.resume(), 2);
      }
    });
    c.on('error', reject);
    c.on('close', () => {
      clearTimeout(timer);
      resolve({ received, mismatch });
    });
  });
  clearInterval(sampler);
  assert.equal(result.mismatch, -1, 'bytes arrive unchanged');
  assert.equal(result.received, TOTAL);
  assert.ok(maxQueued <= 1024 * 1024, `bytes queued towards the client stayed below 1 MB (max ${maxQueued})`);
  // sent by the server but not yet read by the client: kernel buffers of two loopback
  // connections plus whatever the proxy holds; unbounded proxy buffering would reach ~100 MB
  assert.ok(maxInFlight < 40 * 1024 * 1024, `bytes in flight stayed bounded (max ${maxInFlight})`);
  await rt.log('px').waitRecords(1);
  assert.equal(rt.log('px').records[0]!.bytesFromServer, TOTAL);
  assert.equal(rt.log('px').records[0]!.termination, '--');
  t.diagnostic(
    `max queued towards client ${maxQueued} B, max in flight ${(maxInFlight / 1048576).toFixed(1)} MB, ` +
      `max ArrayBuffer growth (incl. garbage) ${(maxExternal / 1048576).toFixed(1)} MB`,
  );
});
