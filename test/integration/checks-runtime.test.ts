// Health checks inside the real runtime: configuration text → parser → Runtime.start() starts the
// checks; state changes reach balancing at once, the 1.2.14 texts go to stderr and syslog (the
// real UDP sender), queued sessions of a server going DOWN are redistributed, stop() ends checks,
// and the SIGHUP dump reads the live counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dumpServerStates } from '../../src/checks/dump.js';
import { LOG_ALERT, LOG_EMERG, LOG_NOTICE } from '../../src/log/types.js';
import { CheckTarget, freePort, sleep, waitFor } from '../support/checks-targets.js';
import { startCheckedRuntime } from '../support/checks-runtime.js';
import { startSyslogReceiver } from '../support/syslog.js';

/** A TCP backend that greets each connection with its name and keeps the connections it got. */
async function namedBackend(name: string): Promise<{ server: Server; port: number; sockets: Socket[]; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    s.write(`${name}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  server.unref(); // a failed test must not hang on it
  return {
    server,
    port: (server.address() as { port: number }).port,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Connects and resolves with the first line the backend sends (its name), keeping the socket open. */
function greet(port: number, timeoutMs = 3000): Promise<{ socket: Socket; first: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    socket.setEncoding('latin1');
    const first = new Promise<string>((res, rej) => {
      let buf = '';
      const timer = setTimeout(() => rej(new Error('no greeting')), timeoutMs);
      socket.on('data', (d: string) => {
        buf += d;
        if (buf.includes('\n')) {
          clearTimeout(timer);
          res(buf.split('\n')[0]!);
        }
      });
      socket.on('close', () => rej(new Error(`closed before a greeting (${JSON.stringify(buf)})`)));
    });
    first.catch(() => {});
    socket.once('connect', () => resolve({ socket, first }));
    socket.once('error', reject);
  });
}

test('runtime: checks start with the runtime, a DOWN server leaves the rotation at once, UP brings it back', async (t) => {
  const a = await namedBackend('a');
  const b = await namedBackend('b');
  const checkA = await new CheckTarget({ kind: 'accept' }).listen();
  const checkB = await new CheckTarget({ kind: 'accept' }).listen();
  const lbPort = await freePort();
  const rt = await startCheckedRuntime(`
listen farm 127.0.0.1:${lbPort}
    mode tcp
    balance roundrobin
    contimeout 2000
    server a 127.0.0.1:${a.port} check port ${checkA.port} inter 60 rise 2 fall 2
    server b 127.0.0.1:${b.port} check port ${checkB.port} inter 60 rise 2 fall 2
`);
  t.after(async () => {
    rt.stop();
    await Promise.all([a.close(), b.close(), checkA.close(), checkB.close().catch(() => {})]);
  });
  assert.ok(await waitFor(() => checkA.arrivals.length >= 2 && checkB.arrivals.length >= 2, 3000), 'the runtime started the checks');
  const farm = rt.runtime.proxy('farm')!;
  assert.deepEqual(farm.servers.map((s) => s.checkStatus), ['L4OK', 'L4OK']);

  await checkB.close();
  assert.ok(await waitFor(() => farm.servers[1]!.state === 'DOWN', 3000));
  const down = 'Server farm/b is DOWN. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.';
  assert.deepEqual(rt.stderr('warning'), [down]);
  assert.deepEqual(rt.sent.filter((l) => l.message.startsWith('Server')), [{ proxy: 'farm', level: LOG_ALERT, message: down }]);
  // Balancing sees it at once: every new session goes to a.
  for (let i = 0; i < 4; i++) {
    const c = await greet(lbPort);
    assert.equal(await c.first, 'a');
    c.socket.destroy();
  }
  // The check target comes back: rise 2 → UP, and b takes sessions again.
  const back = await new CheckTarget({ kind: 'accept' }).listen('127.0.0.1', checkB.port);
  t.after(() => back.close());
  assert.ok(await waitFor(() => farm.servers[1]!.state === 'UP', 3000));
  const up = 'Server farm/b is UP. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.';
  assert.equal(rt.stderr('warning')[1], up);
  assert.deepEqual(rt.sent.filter((l) => l.message.startsWith('Server'))[1], { proxy: 'farm', level: LOG_NOTICE, message: up });
  const names = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const c = await greet(lbPort);
    names.add(await c.first);
    c.socket.destroy();
  }
  assert.deepEqual([...names].sort(), ['a', 'b']);
});

test('runtime: the real syslog sender carries DOWN at alert, the emergency at emerg, UP at notice', async (t) => {
  const syslog = await startSyslogReceiver();
  const deadPort = await freePort();
  const lbPort = await freePort();
  const port = await freePort();
  let target: CheckTarget | undefined;
  const rt = await startCheckedRuntime(
    `
listen solo 127.0.0.1:${lbPort}
    mode tcp
    balance roundrobin
    log 127.0.0.1:${syslog.port} local0
    server only 127.0.0.1:${deadPort} check port ${port} inter 50 rise 1 fall 1
`,
    { recordSyslog: false },
  );
  t.after(async () => {
    rt.stop();
    await target?.close();
    await syslog.close();
  });
  // local0 = 16: PRI = 128 + level.
  const all = await syslog.waitFor(3, 3000); // started, DOWN, no server
  const pri = (level: number) => `<${16 * 8 + level}>`;
  const down = all.find((m) => m.includes('Server solo/only is DOWN.'));
  const emerg = all.find((m) => m.includes('Proxy solo has no server available !'));
  assert.ok(down?.startsWith(pri(LOG_ALERT)), down);
  assert.ok(down?.endsWith('Server solo/only is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n'), down);
  assert.ok(emerg?.startsWith(pri(LOG_EMERG)), emerg);
  assert.deepEqual(rt.stderr('alert'), ['Proxy solo has no server available !']);
  target = await new CheckTarget({ kind: 'accept' }).listen('127.0.0.1', port);
  const withUp = await syslog.waitFor(4, 3000);
  const up = withUp.find((m) => m.includes('Server solo/only is UP.'));
  assert.ok(up?.startsWith(pri(LOG_NOTICE)), up);
});

test('runtime: sessions queued on a server that goes DOWN are requeued (redispatch) and served elsewhere', async (t) => {
  const a = await namedBackend('a');
  const b = await namedBackend('b');
  const checkPorts = await Promise.all([0, 1].map(() => new CheckTarget({ kind: 'accept' }).listen()));
  const lbPort = await freePort();
  // balance source pins both clients (same address) to one server; maxconn 1 queues the second there.
  const rt = await startCheckedRuntime(`
listen q 127.0.0.1:${lbPort}
    mode tcp
    balance source
    redispatch
    contimeout 10000
    server a 127.0.0.1:${a.port} maxconn 1 check port ${checkPorts[0]!.port} inter 60 rise 1 fall 1
    server b 127.0.0.1:${b.port} maxconn 1 check port ${checkPorts[1]!.port} inter 60 rise 1 fall 1
`);
  t.after(async () => {
    rt.stop();
    await Promise.all([a.close(), b.close(), ...checkPorts.map((c) => c.close().catch(() => {}))]);
  });
  const proxy = rt.runtime.proxy('q')!;
  const first = await greet(lbPort);
  const pinned = await first.first;
  const idx = pinned === 'a' ? 0 : 1;
  const pinnedServer = proxy.servers[idx]!;
  const second = await greet(lbPort);
  assert.ok(await waitFor(() => pinnedServer.queueLength === 1, 2000), 'the second session waits in the pinned server queue');
  await checkPorts[idx]!.close(); // its check fails: rise 1 fall 1 → DOWN at the next check
  assert.equal(await second.first, pinned === 'a' ? 'b' : 'a', 'the queued session was served by the other server');
  const down = rt.stderr('warning').find((m) => m.startsWith(`Server q/${pinned} is DOWN.`));
  assert.equal(down, `Server q/${pinned} is DOWN. 1 active and 0 backup servers left. 1 sessions active, 1 requeued, 0 remaining in queue.`);
  first.socket.destroy();
  second.socket.destroy();
});

test('runtime: stop() ends the checks; the SIGHUP dump reads live state', async (t) => {
  const target = await new CheckTarget({ kind: 'accept' }).listen();
  const deadPort = await freePort();
  const lbPort = await freePort();
  const rt = await startCheckedRuntime(`
listen web 127.0.0.1:${lbPort}
    mode tcp
    balance roundrobin
    server up1 127.0.0.1:${target.port} check inter 50
    server down1 127.0.0.1:${deadPort} check inter 50
    server bk 127.0.0.1:${target.port} check inter 50 backup
`);
  t.after(async () => {
    rt.stop();
    await target.close();
  });
  const web = rt.runtime.proxy('web')!;
  assert.ok(await waitFor(() => web.servers[1]!.state === 'DOWN' && web.servers[0]!.checkStatus === 'L4OK', 3000));
  rt.processLog.lines.length = 0;
  dumpServerStates(rt.runtime.proxies, rt.processLog);
  assert.deepEqual(rt.stderr('warning'), [
    'SIGHUP received, dumping servers states for proxy web.',
    'SIGHUP: Server web/up1 is UP. Conn: 0 act, 0 pend, 0 tot.',
    'SIGHUP: Server web/down1 is DOWN. Conn: 0 act, 0 pend, 0 tot.',
    'SIGHUP: Server web/bk is UP. Conn: 0 act, 0 pend, 0 tot.',
    'SIGHUP: Proxy web has 1 active servers and 1 backup servers available. Conn: 0 act, 0 pend (0 unass), 0 tot.',
  ]);
  assert.ok(rt.sent.filter((l) => l.message.startsWith('SIGHUP')).every((l) => l.level === LOG_NOTICE));
  rt.stop();
  const n = target.arrivals.length;
  await sleep(250);
  assert.equal(target.arrivals.length, n, 'no check after the runtime stopped');
});

test('runtime: option ssl-hello-chk marks a real TLS server UP (its alert counts) and a plain HTTP server DOWN', async (t) => {
  const { createServer: createTlsServer } = await import('node:tls');
  const { createServer: createHttpServer } = await import('node:http');
  // Node's TLS (OpenSSL 3) refuses SSLv3 with an alert record: legacy counts any alert or handshake as alive.
  const tlsServer = createTlsServer({}, (s) => s.end());
  tlsServer.on('tlsClientError', () => {});
  const httpServer = createHttpServer((_req, res) => res.end('plain'));
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', () => r()));
  tlsServer.unref();
  httpServer.unref();
  const lbPort = await freePort();
  const rt = await startCheckedRuntime(`
listen ssl 127.0.0.1:${lbPort}
    mode tcp
    balance roundrobin
    option ssl-hello-chk
    server tls 127.0.0.1:${(tlsServer.address() as { port: number }).port} check inter 50
    server http 127.0.0.1:${(httpServer.address() as { port: number }).port} check inter 50
`);
  t.after(async () => {
    rt.stop();
    httpServer.closeAllConnections();
    await Promise.all([new Promise((r) => tlsServer.close(r)), new Promise((r) => httpServer.close(r))]);
  });
  const [tlsSrv, httpSrv] = rt.runtime.proxy('ssl')!.servers;
  assert.ok(await waitFor(() => tlsSrv!.checkStatus !== '' && httpSrv!.state === 'DOWN', 3000));
  await sleep(200);
  assert.deepEqual([tlsSrv!.state, tlsSrv!.checkStatus], ['UP', 'L6OK']);
  assert.deepEqual([httpSrv!.state, httpSrv!.checkStatus], ['DOWN', 'L6RSP']);
});

test('runtime: IPv6 servers are checked over IPv6', async (t) => {
  const target = await new CheckTarget({ kind: 'reply', bytes: 'HTTP/1.0 200 OK\r\n\r\n', close: true }).listen('::1');
  t.after(() => target.close());
  const lbPort = await freePort();
  // (`addr ::1` is refused by the parser today: "Invalid server address: '::1'".)
  const rt = await startCheckedRuntime(`
listen six 127.0.0.1:${lbPort}
    mode http
    balance roundrobin
    option httpchk HEAD /v6 HTTP/1.0
    server direct ::1:${target.port} check inter 50
    server mapped ::1: check port ${target.port} inter 50
`);
  t.after(() => rt.stop());
  const six = rt.runtime.proxy('six')!;
  assert.ok(await waitFor(() => six.servers.every((s) => s.checkStatus === 'L7OK'), 3000), six.servers.map((s) => s.checkStatus).join(','));
  assert.ok(target.arrivals.length >= 2);
  assert.ok(target.arrivals.every((a) => a.remoteAddress === '::1' && a.received.toString('latin1') === 'HEAD /v6 HTTP/1.0\r\n\r\n'));
});
