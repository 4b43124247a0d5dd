// Shared reads end to end in mode tcp (the real Runtime, TCP sessions and Tunnel on RawSockets):
// both ends of every tunnel read into one process-wide buffer and each chunk is written on at
// once, so a write whose remainder libuv sends later must not point into that buffer. Each test
// checks every byte against a position-dependent pattern while other connections run through the
// same process: large downloads to slow readers, many streams both ways at once, large uploads
// to a slow server, a server that speaks first, and a client that sends while its session is
// still queued (option abortonclose: early data read, then replayed to the server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { ProxyConfig } from '../../src/config/model.js';
import type { ProxySocket } from '../../src/io/socket.js';
import { acceptTcpSession } from '../../src/tcp/session.js';
import { freePort } from '../support/ports.js';
import { bind, proxy, server } from '../support/runtime-config.js';
import { startRuntime } from '../support/runtime-harness.js';
import { sleep, until, within } from '../support/raw-socket-peers.js';
import { backpressureGate, lateReaderGate, patternOf, startStreamServer, streamClient, StreamCheck, tcpBackground, writeAll, type StreamServer } from '../support/raw-socket-traffic.js';

type Cleanup = { after: (fn: () => unknown) => void };

const MiB = 1024 * 1024;

/** mode tcp proxies (one per server given); proxySideOf(c) is the proxy's socket for client c. */
async function tcpProxies(t: Cleanup, backends: { srv: StreamServer; maxconn?: number; abortonclose?: boolean }[]) {
  const ports: number[] = [];
  const configs: ProxyConfig[] = [];
  for (const [i, b] of backends.entries()) {
    const port = await freePort();
    ports.push(port);
    configs.push(
      proxy(`px${i}`, {
        mode: 'tcp',
        binds: [bind('127.0.0.1', port)],
        servers: [server('s', '127.0.0.1', b.srv.port, { maxconn: b.maxconn ?? 0 })],
        connectTimeoutMs: 10000,
        clientTimeoutMs: 20000,
        serverTimeoutMs: 20000,
        options: { abortonclose: b.abortonclose ?? false },
      }),
    );
  }
  const accepted: ProxySocket[] = [];
  const rt = await startRuntime(configs, {
    hooks: {
      handlers: {
        tcp: (p, s, at) => {
          accepted.push(s);
          acceptTcpSession(p, s, at);
        },
      },
    },
  });
  t.after(() => rt.stop());
  return {
    ports,
    proxySideOf: (c: net.Socket): ProxySocket | undefined => accepted.find((s) => !s.destroyed && s.remotePort === c.localPort),
  };
}

/** "seed: bytes/expected, first bad byte" for a finished download. */
function line(seed: number, check: StreamCheck): string {
  return `${seed}: ${check.offset}/${check.expected}, first bad byte ${check.mismatchAt}`;
}

/** The stream server's record of every upload, as comparable lines. */
function upLines(srv: StreamServer): string[] {
  return srv.results.map((r) => `${r.command.split(' ')[0]}: ${r.up}/${r.command.split(' ')[2]}, first bad byte ${r.upMismatchAt}`).sort();
}

test('large downloads to slow readers while other connections run traffic', async (t) => {
  const srv = await startStreamServer();
  t.after(() => srv.close());
  const px = await tcpProxies(t, [{ srv }]);
  const bg = tcpBackground(px.ports[0]!, 4, 1000);
  const seen = { maxQueued: 0 };
  // gated readers start once the proxy holds bytes for them (its writes went asynchronous)
  const specs = [
    { seed: 1, down: 6 * MiB, gated: true },
    { seed: 3, down: 6 * MiB + 3, gated: true },
    { seed: 5, down: 2 * MiB - 1, gated: false },
  ];
  const results = await Promise.all(
    specs.map(async (sp) => {
      const x = await streamClient(px.ports[0]!, {
        seed: sp.seed,
        down: sp.down,
        up: 10,
        slow: { every: 4, pauseMs: 2 },
        gate: sp.gated ? lateReaderGate(px.proxySideOf, seen) : undefined,
      });
      t.after(() => x.socket.destroy());
      await x.done;
      return line(sp.seed, x.down);
    }),
  );
  const summary = await bg.stop();
  assert.deepEqual(
    results,
    specs.map((sp) => `${sp.seed}: ${sp.down}/${sp.down}, first bad byte -1`),
  );
  assert.deepEqual(summary.bad, []);
  assert.ok(summary.requests > 0, 'background traffic ran');
  assert.ok(seen.maxQueued > 0, 'the proxy queued bytes towards a slow reader (asynchronous writes)');
  assert.deepEqual(
    srv.results.filter((r) => r.upMismatchAt >= 0),
    [],
    'every upload the server checked was intact',
  );
});

test('clients that reset while the proxy holds bytes for them do not disturb the other streams', async (t) => {
  const srv = await startStreamServer();
  t.after(() => srv.close());
  const px = await tcpProxies(t, [{ srv }]);
  const bg = tcpBackground(px.ports[0]!, 3, 5000);
  const resets = Array.from({ length: 6 }, async (_, i) => {
    const x = await streamClient(px.ports[0]!, { seed: 60 + 2 * i, down: 6 * MiB, up: 1, gate: () => false });
    t.after(() => x.socket.destroy());
    await until(() => (px.proxySideOf(x.socket)?.writableLength ?? 0) > 0, 5000, 'bytes queued for a resetter');
    x.socket.resetAndDestroy();
  });
  const readers = [80, 82, 84].map(async (seed, i) => {
    const x = await streamClient(px.ports[0]!, { seed, down: 3 * MiB + i, up: 100_000, slow: { every: 4, pauseMs: 1 } });
    t.after(() => x.socket.destroy());
    await x.done;
    return line(seed, x.down);
  });
  await Promise.all(resets);
  const got = await Promise.all(readers);
  const summary = await bg.stop();
  assert.deepEqual(got, [80, 82, 84].map((seed, i) => `${seed}: ${3 * MiB + i}/${3 * MiB + i}, first bad byte -1`));
  assert.deepEqual(summary.bad, []);
  await until(() => [80, 82, 84].every((seed) => srv.results.some((r) => r.command.startsWith(`${seed} `))), 5000, 'the uploads');
  assert.deepEqual(
    srv.results.filter((r) => r.upMismatchAt >= 0),
    [],
  );
});

test('24 concurrent streams both ways at once, different patterns, half of them slow readers', async (t) => {
  const srv = await startStreamServer();
  t.after(() => srv.close());
  const px = await tcpProxies(t, [{ srv }]);
  const sizes = [262_144, 500_001, MiB, 65_537];
  const specs = Array.from({ length: 24 }, (_, c) => ({ seed: 200 + 2 * c, down: sizes[c % 4]!, up: sizes[(c + 1) % 4]!, slow: c % 2 === 0 }));
  const results = await Promise.all(
    specs.map(async (sp) => {
      const x = await streamClient(px.ports[0]!, { seed: sp.seed, down: sp.down, up: sp.up, slow: sp.slow ? { every: 3, pauseMs: 1 } : undefined });
      t.after(() => x.socket.destroy());
      await x.done;
      return line(sp.seed, x.down);
    }),
  );
  assert.deepEqual(
    results,
    specs.map((sp) => `${sp.seed}: ${sp.down}/${sp.down}, first bad byte -1`),
  );
  await until(() => srv.results.length === 24, 5000, 'the server to record every upload');
  assert.deepEqual(upLines(srv), specs.map((sp) => `${sp.seed}: ${sp.up}/${sp.up}, first bad byte -1`).sort());
});

test('large uploads to a server that reads slowly, with concurrent traffic', async (t) => {
  // the server starts reading once the client cannot write any more: the whole path is full,
  // so the proxy's writes towards the server are queued (asynchronous)
  const { clients, backpressured, gate } = backpressureGate();
  const srv = await startStreamServer({ gate });
  t.after(() => srv.close());
  const other = await startStreamServer();
  t.after(() => other.close());
  const px = await tcpProxies(t, [{ srv }, { srv: other }]);
  const bg = tcpBackground(px.ports[1]!, 4, 2000);
  const UP = 12 * MiB; // more than the kernel buffers of the path hold: the client blocks
  const seeds = [31, 33];
  await Promise.all(
    seeds.map(async (seed) => {
      const x = await streamClient(px.ports[0]!, { seed, down: 1000, up: UP, slowServer: true });
      clients.set(seed, x.socket);
      t.after(() => x.socket.destroy());
      await x.done;
    }),
  );
  await until(() => srv.results.length === 2, 5000, 'the server to record both uploads');
  const summary = await bg.stop();
  assert.deepEqual(upLines(srv), seeds.map((s) => `${s}: ${UP}/${UP}, first bad byte -1`));
  assert.deepEqual([...backpressured].sort(), seeds, 'both uploads filled the path (the proxy queued bytes)');
  assert.deepEqual(summary.bad, []);
  assert.ok(summary.requests > 0);
});

test('a server that speaks first: a large greeting to clients that send only after reading it', async (t) => {
  const greet = { seed: 70, len: MiB + 11 };
  const srv = await startStreamServer({ greet });
  t.after(() => srv.close());
  const other = await startStreamServer();
  t.after(() => other.close());
  const px = await tcpProxies(t, [{ srv }, { srv: other }]);
  const bg = tcpBackground(px.ports[1]!, 4, 3000);
  const specs = [0, 1, 2, 3].map((i) => ({ seed: 72 + 2 * i, down: 300_000 + i, up: 200_000 + i }));
  const results = await Promise.all(
    specs.map(async (sp, i) => {
      const x = await streamClient(px.ports[0]!, { ...sp, greet, afterGreeting: true, slow: i % 2 === 0 ? { every: 4, pauseMs: 2 } : undefined });
      t.after(() => x.socket.destroy());
      await x.done;
      return line(sp.seed, x.down);
    }),
  );
  await until(() => srv.results.length === 4, 5000, 'the server to record every upload');
  const summary = await bg.stop();
  assert.deepEqual(
    results,
    specs.map((sp) => `${sp.seed}: ${greet.len + sp.down}/${greet.len + sp.down}, first bad byte -1`),
  );
  assert.deepEqual(upLines(srv), specs.map((sp) => `${sp.seed}: ${sp.up}/${sp.up}, first bad byte -1`).sort());
  assert.deepEqual(summary.bad, []);
});

test('abortonclose: a client that sends while queued has its early bytes replayed to the server, intact', async (t) => {
  // server maxconn 1: the first client holds the slot, the second waits in the queue and sends
  // meanwhile — the proxy reads up to its early-data limit and keeps it until the connection
  const srv = await startStreamServer();
  t.after(() => srv.close());
  const other = await startStreamServer();
  t.after(() => other.close());
  const px = await tcpProxies(t, [{ srv, maxconn: 1, abortonclose: true }, { srv: other }]);
  const bg = tcpBackground(px.ports[1]!, 4, 4000);
  const holder = net.connect({ host: '127.0.0.1', port: px.ports[0]!, allowHalfOpen: true });
  holder.on('error', () => {});
  t.after(() => holder.destroy());
  holder.write('90 10 5\n');
  await until(() => srv.sockets.length === 1, 5000, 'the first connection at the server');
  // the queued client: a command and 40 KB up, more than the early-data limit (16 KB)
  const UP = 40_000;
  const q = net.connect({ host: '127.0.0.1', port: px.ports[0]!, allowHalfOpen: true });
  q.on('error', () => {});
  t.after(() => q.destroy());
  const down = StreamCheck.of(92, 200_000);
  q.on('data', (d: Buffer) => down.feed(d));
  const qEnded = within(new Promise<void>((resolve) => q.once('end', () => resolve())), 10000, "the queued client's answer");
  await within(new Promise<void>((resolve) => q.once('connect', () => resolve())), 5000, 'connect');
  await writeAll(q, Buffer.concat([Buffer.from('92 200000 40000\n'), patternOf(93, UP)]));
  // the proxy read early bytes while the session was queued
  await until(() => (px.proxySideOf(q)?.bytesRead ?? 0) >= 16_384, 5000, 'the early bytes read by the proxy');
  assert.equal(srv.sockets.length, 1, 'still queued');
  // the other traffic reuses the shared read buffer a while, then the slot is freed
  await sleep(30);
  holder.end(patternOf(91, 5));
  await qEnded;
  q.end();
  await until(() => srv.results.length === 2, 5000, 'the server to record both connections');
  const summary = await bg.stop();
  assert.equal(line(92, down), '92: 200000/200000, first bad byte -1');
  assert.deepEqual(upLines(srv), ['90: 5/5, first bad byte -1', `92: ${UP}/${UP}, first bad byte -1`]);
  assert.deepEqual(summary.bad, []);
  assert.ok(summary.requests > 0);
});
