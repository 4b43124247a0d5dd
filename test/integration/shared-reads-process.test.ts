// Shared reads in the real bin/tsproxy process (the production wiring: parser, listeners,
// RawSockets, both engines in one process sharing one read buffer): a mode http and a mode tcp
// proxy side by side carry large downloads to clients that read late and slowly, and large
// uploads to servers that read late and slowly, while background clients keep both busy. Every
// byte is checked against a position-dependent pattern.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { freePorts } from '../support/ports.js';
import { ProcessJanitor, waitForPort, writeConfig } from '../support/process-harness.js';
import {
  chunked,
  httpBackground,
  httpClient,
  patternOf,
  startPatternOrigin,
  startStreamServer,
  streamClient,
  tcpBackground,
  writeAll,
} from '../support/raw-socket-traffic.js';
import { until } from '../support/raw-socket-peers.js';

const janitor = new ProcessJanitor();
after(() => janitor.killAll());

const MiB = 1024 * 1024;

test('bin/tsproxy, mode http and mode tcp side by side: late and slow readers both ways, every byte checked', async (t) => {
  const uploaders = new Map<number, net.Socket>();
  const filled = new Set<string>();
  // an upload is read once its client cannot write any more (the path through the proxy is full)
  const uploadGate = (what: string) => (seed: number) => {
    const c = uploaders.get(seed);
    if (c === undefined || c.writableLength === 0) return false;
    filled.add(`${what} up ${seed}`);
    return true;
  };
  const origin = await startPatternOrigin({ gate: uploadGate('http') });
  t.after(() => origin.close());
  const streams = await startStreamServer({ gate: uploadGate('tcp') });
  t.after(() => streams.close());
  const [httpPort, tcpPort] = await freePorts(2);
  const common = '    balance roundrobin\n    contimeout 5000\n    clitimeout 20000\n    srvtimeout 20000\n';
  const dir = janitor.tempDir();
  const cfg = writeConfig(
    dir,
    'shared.cfg',
    `listen web\n    bind 127.0.0.1:${httpPort}\n    mode http\n${common}    server s 127.0.0.1:${origin.port}\n` +
      `listen raw\n    bind 127.0.0.1:${tcpPort}\n    mode tcp\n${common}    server s 127.0.0.1:${streams.port}\n`,
  );
  const p = janitor.start(['-f', cfg]);
  t.after(() => janitor.killAll());
  await waitForPort(httpPort!);
  await waitForPort(tcpPort!);

  const bgHttp = httpBackground(httpPort!, 3, 1000);
  const bgTcp = tcpBackground(tcpPort!, 3, 2000);
  // a download is read once its server cannot write any more: every buffer on the way is full,
  // the proxy holds bytes for the client and has stopped reading the server
  // more than two loopback connections' kernel buffers hold (~4 MB each)
  const DOWN = 12 * MiB;
  const UP = 12 * MiB;
  const downloadGate = (what: string, sock: () => net.Socket | undefined) => () => {
    if ((sock()?.writableLength ?? 0) === 0) return false;
    filled.add(`${what} down`);
    return true;
  };

  const httpDown = async (route: string, seed: number) => {
    const c = await httpClient(httpPort!, { slow: { every: 4, pauseMs: 1 }, gate: downloadGate(`http ${route}`, () => origin.socketFor(seed)) });
    t.after(() => c.socket.destroy());
    const r = c.reader.expect({ kind: 'pattern', seed, len: DOWN }, 30000);
    c.socket.write(`GET /${route}/${seed}/${DOWN} HTTP/1.1\r\nHost: w\r\nConnection: close\r\n\r\n`);
    const x = await r;
    return `http ${route} down: ${x.status} ${x.bytes} ${x.mismatchAt}`;
  };
  const httpUp = async (seed: number) => {
    const c = await httpClient(httpPort!);
    t.after(() => c.socket.destroy());
    uploaders.set(seed, c.socket);
    const r = c.reader.expect({ kind: 'text' }, 30000);
    c.socket.write(`POST /up/${seed}/${UP}/slow HTTP/1.1\r\nHost: w\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`);
    await writeAll(c.socket, chunked(patternOf(seed, UP)));
    const x = await r;
    return `http up: ${x.status} ${x.text}`;
  };
  const tcpDown = async (seed: number) => {
    const x = await streamClient(tcpPort!, { seed, down: DOWN, up: 1, slow: { every: 4, pauseMs: 1 }, gate: downloadGate('tcp', () => streams.socketFor(seed)) });
    t.after(() => x.socket.destroy());
    await x.done;
    return `tcp down: ${x.down.offset} ${x.down.mismatchAt}`;
  };
  const tcpUp = async (seed: number) => {
    const x = await streamClient(tcpPort!, { seed, down: 1, up: UP, slowServer: true });
    uploaders.set(seed, x.socket);
    t.after(() => x.socket.destroy());
    await x.done;
    await until(() => streams.results.some((r) => r.command.startsWith(`${seed} `)), 5000, 'the tcp upload result');
    const r = streams.results.find((r) => r.command.startsWith(`${seed} `))!;
    return `tcp up: ${r.up} ${r.upMismatchAt}`;
  };

  const results = await Promise.all([httpDown('cl', 1), httpDown('chunked', 2), httpUp(3), tcpDown(5), tcpUp(7)]);
  const [h, tc] = [await bgHttp.stop(), await bgTcp.stop()];
  assert.deepEqual(results, [
    `http cl down: 200 ${DOWN} -1`,
    `http chunked down: 200 ${DOWN} -1`,
    `http up: 200 ok ${UP} -1`,
    `tcp down: ${DOWN} -1`,
    `tcp up: ${UP} -1`,
  ]);
  assert.deepEqual(h.bad, []);
  assert.deepEqual(tc.bad, []);
  assert.ok(h.requests > 0 && tc.requests > 0, `background traffic ran (${h.requests} http, ${tc.requests} tcp)`);
  // every path was full at some point: the proxy's writes were queued, not taken at once
  assert.deepEqual([...filled].sort(), ['http chunked down', 'http cl down', 'http up 3', 'tcp down', 'tcp up 7']);
  assert.equal(p.child.exitCode, null, 'the proxy is still running');
});
