// Listeners of a real Runtime: every address of every bind (lists, ranges, IPv6), bind
// failure text, disabled proxies, monitor-net (IPv4, IPv6, v4-mapped), mode health, and the
// hand-over of listening fds to another process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackend } from '../support/backend.js';
import { connectClient, sleep } from '../support/client.js';
import { canBind, freePort, freePortRange, freePorts } from '../support/ports.js';
import { bind, config, proxy, runtimeOptions, server } from '../support/runtime-config.js';
import { startRuntime } from '../support/runtime-harness.js';
import { Runtime } from '../../src/runtime/runtime.js';

async function greetingAt(port: number, host = '127.0.0.1', localAddress?: string): Promise<string> {
  const c = await connectClient(port, host, localAddress !== undefined ? { localAddress } : {});
  await Promise.race([c.received(2), c.ended()]);
  c.socket.destroy();
  return c.text();
}

test('every port of every bind entry: lists of 3, ranges, several bind lines', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'x\n' });
  t.after(() => be.close());
  const [a, b, c, d] = await freePorts(4);
  const r0 = await freePortRange(3);
  const rt = await startRuntime([
    proxy('tse-proxy', {
      // `bind :a,:b,:c` (the guide's 3-entry list) + a range + another bind line
      binds: [bind('0.0.0.0', a!), bind('0.0.0.0', b!), bind('0.0.0.0', c!), bind('127.0.0.1', r0, r0 + 2), bind('127.0.0.1', d!)],
      servers: [server('s', '127.0.0.1', be.port)],
    }),
  ]);
  t.after(() => rt.stop());
  for (const p of [a!, b!, c!, r0, r0 + 1, r0 + 2, d!]) assert.equal(await greetingAt(p), 'x\n', `port ${p}`);
  assert.equal(rt.runtime.listeningHandles().size, 7);
  assert.equal(be.connections.length, 7);
});

test('IPv6 listener and IPv6 server', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'six\n' }, '::1');
  t.after(() => be.close());
  const port = await freePort('::1');
  const rt = await startRuntime([
    proxy('v6', { binds: [bind('::1', port)], servers: [server('s', '::1', be.port)] }),
  ]);
  t.after(() => rt.stop());
  assert.equal(await greetingAt(port, '::1'), 'six\n');
});

test('bind failure rejects start() with the alert text and releases what was bound', async (t) => {
  const [free, busy] = await freePorts(2);
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(busy, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => blocker.close(() => r())));
  const rt = new Runtime(
    config([
      proxy('first', { binds: [bind('127.0.0.1', free!)], servers: [server('s', '127.0.0.1', 1)] }),
      proxy('second', { binds: [bind('127.0.0.1', busy!)], servers: [server('s', '127.0.0.1', 1)] }),
    ]),
    runtimeOptions(),
  );
  await assert.rejects(rt.start(), { message: `Starting proxy second: cannot bind socket [127.0.0.1:${busy}]` });
  await sleep(20);
  assert.equal(await canBind('127.0.0.1', free!), true, 'the first proxy released its port');
  rt.stop();
});

test('disabled proxies do not bind', async (t) => {
  const port = await freePort();
  const rt = await startRuntime([proxy('off', { enabled: false, binds: [bind('127.0.0.1', port)] })]);
  t.after(() => rt.stop());
  assert.equal(rt.runtime.proxies.length, 0);
  assert.equal(await canBind('127.0.0.1', port), true);
});

test('monitor-net tcp: clients of 127.0.0.2/31 are closed at once, not forwarded, not logged; 127.0.0.4 is served', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'svc\n' });
  t.after(() => be.close());
  const port = await freePort('0.0.0.0');
  const rt = await startRuntime([
    proxy('tse-proxy', {
      binds: [bind('0.0.0.0', port)],
      servers: [server('tse-farm', '127.0.0.1', be.port)],
      monitorNets: [{ address: '127.0.0.2', family: 4, prefixLength: 31 }],
      options: { tcplog: true },
    }),
  ]);
  t.after(() => rt.stop());
  for (const src of ['127.0.0.2', '127.0.0.3']) {
    const c = await connectClient(port, '127.0.0.1', { localAddress: src });
    c.socket.write('probe');
    await c.ended();
    assert.equal(c.text(), '', src);
    c.socket.destroy();
  }
  assert.equal(be.connections.length, 0);
  assert.equal(rt.runtime.proxy('tse-proxy')!.totalSessions, 0);
  assert.equal(await greetingAt(port, '127.0.0.1', '127.0.0.4'), 'svc\n');
  await rt.log('tse-proxy').waitRecords(1);
  assert.equal(rt.log('tse-proxy').records.length, 1);
  assert.equal(rt.log('tse-proxy').records[0]!.clientAddress, '127.0.0.4');
});

test('monitor-net http: exactly "HTTP/1.0 200 OK\\r\\n\\r\\n" then close; IPv6 and v4-mapped clients', async (t) => {
  const port = await freePort('::');
  const seen: string[] = [];
  const rt = await startRuntime(
    [
      proxy('web', {
        mode: 'http',
        binds: [bind('::', port)],
        servers: [server('s', '127.0.0.1', 1)],
        monitorNets: [
          { address: '127.0.0.2', family: 4, prefixLength: 31 },
          { address: '::1', family: 6, prefixLength: 128 },
        ],
      }),
    ],
    { hooks: { handlers: { http: (_p, s) => (seen.push(s.remoteAddress ?? ''), s.destroy()) } } },
  );
  t.after(() => rt.stop());
  for (const [host, src] of [
    ['127.0.0.1', '127.0.0.2'],
    ['::1', undefined],
  ] as const) {
    const c = await connectClient(port, host, src !== undefined ? { localAddress: src } : {});
    c.socket.write('GET / HTTP/1.0\r\n\r\n');
    await c.ended();
    assert.equal(c.text(), 'HTTP/1.0 200 OK\r\n\r\n', `${host} from ${src}`);
    c.socket.destroy();
  }
  assert.deepEqual(seen, []);
  const c = await connectClient(port, '127.0.0.1', { localAddress: '127.0.0.4' });
  await c.ended();
  assert.equal(c.text(), '');
  assert.deepEqual(seen, ['::ffff:127.0.0.4'], 'outside the networks: handed to the http engine');
});

test('mode health answers OK\\n, or the HTTP 200 with option httpchk, without servers', async (t) => {
  const [p1, p2] = await freePorts(2);
  const rt = await startRuntime([
    proxy('h1', { mode: 'health', balance: undefined, binds: [bind('127.0.0.1', p1!)] }),
    proxy('h2', {
      mode: 'health',
      balance: undefined,
      binds: [bind('127.0.0.1', p2!)],
      httpCheck: { method: 'OPTIONS', uri: '/', version: 'HTTP/1.0', request: 'OPTIONS / HTTP/1.0\r\n\r\n' },
    }),
  ]);
  t.after(() => rt.stop());
  for (const [p, exp] of [
    [p1!, 'OK\n'],
    [p2!, 'HTTP/1.0 200 OK\r\n\r\n'],
  ] as const) {
    const c = await connectClient(p);
    await c.ended();
    assert.equal(c.text(), exp);
    c.socket.destroy();
  }
});

test('listening fds pass to another process, which serves on them (inheritedHandles)', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'child\n' });
  t.after(() => be.close());
  const port = await freePort();
  const pcfg = proxy('px', { binds: [bind('127.0.0.1', port)], servers: [server('s', '127.0.0.1', be.port)] });
  const parent = new Runtime(config([pcfg]), runtimeOptions());
  await parent.start();
  t.after(() => parent.stop());
  const handles = parent.listeningHandles();
  const key = `127.0.0.1:${port}`;
  assert.ok(handles.get(key) !== undefined);
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-h2-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'child.mjs');
  const dist = new URL('../../', import.meta.url).pathname;
  writeFileSync(
    script,
    `import { Runtime } from '${dist}src/runtime/runtime.js';
import { config, runtimeOptions } from '${dist}test/support/runtime-config.js';
const pcfg = JSON.parse(process.argv[2]);
pcfg.errorOverrides = new Map();
const rt = new Runtime(config([pcfg]), runtimeOptions({ inheritedHandles: new Map([[${JSON.stringify(key)}, { fd: 3 }]]) }));
rt.start().then(() => process.stdout.write('ready\\n'), (e) => { process.stdout.write('fail ' + e.message + '\\n'); process.exit(1); });
process.on('SIGTERM', () => { rt.stop(); process.exit(0); });
`,
  );
  const child = spawn(process.execPath, [script, JSON.stringify(pcfg)], {
    stdio: ['ignore', 'pipe', 'inherit', handles.get(key)!.fd],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not start')), 10000);
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(d.toString().trim());
    });
  });
  assert.equal(line, 'ready');
  // the parent lets go of its copy: the port stays bound and the child serves it
  parent.stop();
  await sleep(20);
  assert.equal(await canBind('127.0.0.1', port), false);
  assert.equal(await greetingAt(port), 'child\n');
});

test('http mode without httplog: the Connect from line at accept, monitor-net clients included (legacy quirk)', async (t) => {
  const port = await freePort('0.0.0.0');
  const rt = await startRuntime(
    [
      proxy('web', {
        mode: 'http',
        binds: [bind('0.0.0.0', port)],
        servers: [server('s', '127.0.0.1', 1)],
        monitorNets: [{ address: '127.0.0.2', family: 4, prefixLength: 32 }],
      }),
    ],
    { hooks: { handlers: { http: (_p, s) => s.destroy() } } },
  );
  t.after(() => rt.stop());
  for (const src of ['127.0.0.2', '127.0.0.3']) {
    const c = await connectClient(port, '127.0.0.1', { localAddress: src });
    await c.ended();
    c.socket.destroy();
  }
  const connects = rt.log('web').connects;
  assert.deepEqual(
    connects.map((c) => [c.clientAddress, c.localAddress, c.localPort]),
    [
      ['127.0.0.2', '127.0.0.1', port],
      ['127.0.0.3', '127.0.0.1', port],
    ],
  );
});
