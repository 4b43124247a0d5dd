// `-d` in mode http (spec §12.7, observed-legacy "Debug lines on stdout"): the accept line, every
// request head line as the client sent it (clihdr, server fd ffff), every response head line as the
// server sent it (srvhdr), per request on a keep-alive connection, then clicls / srvcls / closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/parser.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { connectClient, sleep } from '../support/client.js';
import { okReply, startHttpBackend, template } from '../support/http-harness.js';
import { freePort } from '../support/ports.js';
import { RecordingProxyLogger } from '../support/runtime-harness.js';
import { runtimeOptions } from '../support/runtime-config.js';

const CONFIG = `listen webfarm 127.0.0.1:{P}
   mode http
   balance roundrobin
   cookie SERVERID insert indirect
   option forwardfor
   clitimeout 5000
   srvtimeout 5000
   contimeout 5000
   server webA 127.0.0.1:{A} cookie A
`;

async function run(t: { after: (fn: () => unknown) => void }, debug: boolean): Promise<{ lines: string[]; replies: string }> {
  const be = await startHttpBackend('A', (req) => okReply('A', req, 'X-Srv: one\r\n', '1.1'));
  t.after(() => be.close());
  const port = await freePort();
  const { config } = parseConfigText(template(CONFIG, { P: port, A: be.port }), 'test.cfg');
  const lines: string[] = [];
  const runtime = new Runtime(config, runtimeOptions(debug ? { debug: true } : {}), {
    proxyLogger: () => new RecordingProxyLogger(false),
    debugSink: (l) => lines.push(l),
  });
  await runtime.start();
  t.after(() => runtime.stop());
  const c = await connectClient(port);
  t.after(() => c.socket.destroy());
  const reply1 = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Srv: one\r\nSet-Cookie: SERVERID=A; path=/\r\n\r\nA:/1\n';
  const reply2 = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Srv: one\r\n\r\nA:/2\n';
  c.socket.write('GET /1 HTTP/1.1\r\nHost: www\r\nUser-Agent: t\r\n\r\n');
  await c.received(reply1.length);
  c.socket.write('GET /2 HTTP/1.1\r\nHost: www\r\nCookie: SERVERID=A\r\n\r\n');
  await c.received(reply1.length + reply2.length);
  c.socket.end();
  await c.closed();
  if (debug) for (let i = 0; i < 400 && !lines.some((l) => l.includes('.closed[')); i++) await sleep(5);
  else await sleep(50);
  assert.equal(be.connectionCount(), 1, 'both requests went over one kept server connection');
  return { lines, replies: c.text() };
}

test('-d, mode http: accept, clihdr/srvhdr per request line as received, then clicls/srvcls/closed', async (t) => {
  const { lines } = await run(t, true);
  const accept = /^00000000:webfarm\.accept\(([0-9a-f]{4})\)=([0-9a-f]{4}) from \[127\.0\.0\.1:\d+\]\n$/.exec(lines[0] ?? '');
  assert.ok(accept, `accept line: ${lines[0]}`);
  const cfd = accept[2]!;
  assert.notEqual(cfd, 'ffff');
  const srv = /^00000000:webfarm\.srvhdr\[[0-9a-f]{4}:([0-9a-f]{4})\]: /.exec(lines[4] ?? '');
  assert.ok(srv, `srvhdr line: ${lines[4]}`);
  const sfd = srv[1]!;
  assert.notEqual(sfd, 'ffff');
  assert.notEqual(sfd, cfd);
  const cli = (l: string) => `00000000:webfarm.clihdr[${cfd}:ffff]: ${l}\n`;
  const srvh = (l: string) => `00000000:webfarm.srvhdr[${cfd}:${sfd}]: ${l}\n`;
  assert.deepEqual(lines.slice(1, 13), [
    // what the client sent, before forwardfor / cookie handling
    cli('GET /1 HTTP/1.1'),
    cli('Host: www'),
    cli('User-Agent: t'),
    // what the server sent, before the Set-Cookie insertion
    srvh('HTTP/1.1 200 OK'),
    srvh('Content-Length: 5'),
    srvh('X-Srv: one'),
    cli('GET /2 HTTP/1.1'),
    cli('Host: www'),
    cli('Cookie: SERVERID=A'),
    srvh('HTTP/1.1 200 OK'),
    srvh('Content-Length: 5'),
    srvh('X-Srv: one'),
  ]);
  // the client leaves: its side and the kept server connection close, then the session
  const tail = lines.slice(13);
  assert.equal(tail.length, 3, `close lines: ${tail.join('')}`);
  assert.deepEqual(tail.slice(0, 2).sort(), [`00000000:webfarm.clicls[${cfd}:${sfd}]\n`, `00000000:webfarm.srvcls[${cfd}:${sfd}]\n`]);
  assert.equal(tail[2], `00000000:webfarm.closed[${cfd}:${sfd}]\n`);
});

test('without -d, mode http prints no debug line', async (t) => {
  const { lines, replies } = await run(t, false);
  assert.ok(replies.endsWith('A:/2\n'));
  assert.deepEqual(lines, []);
});
