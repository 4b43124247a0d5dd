// A client that announced `Connection: close` and sent a complete request gets its response and
// then the connection is closed by the proxy (FIN, then close) without waiting for the client's
// own FIN; a client that did not announce it keeps the lingering close (its further bytes are
// read and dropped, so the response is never lost to a reset).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort } from '../support/ports.js';
import { okReply, startHttpBackend, startHttpProxy, template } from '../support/http-harness.js';

async function setup(t: { after: (fn: () => unknown) => void }) {
  const be = await startHttpBackend('A', (req) => okReply('A', req, '', '1.1'));
  t.after(() => be.close());
  const port = await freePort();
  const px = await startHttpProxy(
    template(
      `listen web 127.0.0.1:{P}
   mode http
   option httpclose
   balance roundrobin
   log 127.0.0.1:9 local0
   option httplog
   clitimeout 5000
   srvtimeout 5000
   contimeout 5000
   server a 127.0.0.1:{A}
`,
      { P: port, A: be.port },
    ),
  );
  t.after(() => px.stop());
  return { port, px };
}

/** Sends `request`, resolves with the response text once the proxy's FIN arrived; the client's side stays open. */
function halfOpen(port: number, request: string): Promise<{ text: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no FIN from the proxy; got ${JSON.stringify(text)}`)), 5000);
    c.on('error', reject);
    c.on('data', (d: Buffer) => (text += d.toString('latin1')));
    c.on('end', () => {
      clearTimeout(timer);
      resolve({ text, socket: c });
    });
    c.write(request);
  });
}

async function waitUntil(what: string, ok: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('Connection: close from the client: the session ends (and is logged) while the client still holds its side open', async (t) => {
  const { port, px } = await setup(t);
  const { text, socket } = await halfOpen(port, 'GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  t.after(() => socket.destroy());
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text, /A:\/x\n$/);
  const proxy = px.runtime.proxy('web')!;
  // the client has not closed: only the proxy's own close can end the session
  await waitUntil('the session to end', () => proxy.currentSessions === 0);
  await waitUntil('the log line', () => px.log('web').records.length === 1);
  assert.equal(px.log('web').records[0]!.status, 200);
});

test('no Connection: close from the client (httpclose adds it): the proxy lingers until the client closes', async (t) => {
  const { port, px } = await setup(t);
  const { text, socket } = await halfOpen(port, 'GET /y HTTP/1.1\r\nHost: h\r\n\r\n');
  assert.match(text, /A:\/y\n$/);
  const proxy = px.runtime.proxy('web')!;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(proxy.currentSessions, 1, 'still draining the client before closing');
  // bytes the client sends now are read and dropped, not answered with a reset
  socket.write('GET /late HTTP/1.1\r\nHost: h\r\n\r\n');
  await new Promise((r) => setTimeout(r, 100));
  socket.end();
  await waitUntil('the session to end', () => proxy.currentSessions === 0);
  assert.equal(px.log('web').records.length, 1);
});
