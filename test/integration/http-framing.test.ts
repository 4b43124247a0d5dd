// Framing through the real Runtime: every smuggling vector gets the 400 page with nothing
// forwarded; bare LF and leading empty lines are normalised; Content-Length bodies and
// close-delimited responses; a server sending more than it declared is not reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/ports.js';
import { exchange, okReply, startHttpBackend, startHttpProxy, statusLines, type ReceivedRequest, type Reply } from '../support/http-harness.js';

async function single(t: { after: (fn: () => unknown) => void }, handler: (req: ReceivedRequest) => Reply = (req) => okReply('A', req, '', '1.1')) {
  const be = await startHttpBackend('A', handler);
  t.after(() => be.close());
  const port = await freePort();
  const px = await startHttpProxy(`listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n option forwardfor\n server a 127.0.0.1:${be.port}\n`);
  t.after(() => px.stop());
  return { be, port, px };
}

const VECTORS: [string, string][] = [
  ['CL.TE', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG'],
  ['TE.CL', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n'],
  ['TE.TE obfuscated', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-encoding: cow\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ['TE space before colon', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n'],
  ['TE obs-fold', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n'],
  ['CL twice differing', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['CL +', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +44\r\n\r\n'],
  ['CL hex', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x2c\r\n\r\n'],
  ['CL exponent', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4e1\r\n\r\n'],
  ['CL empty', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n'],
  ['CL overflow', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n'],
  ['TE gzip only', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n'],
  ['NUL in header', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n'],
  ['CTL in name', 'GET / HTTP/1.1\r\nHost: x\r\nX\x0bA: 1\r\n\r\n'],
  ['lone CR', 'GET / HTTP/1.1\r\nHost: x\rX-Injected: 1\r\n\r\n'],
  ['HTTP/0.9', 'GET /\r\n\r\n'],
  ['garbage', 'GARBAGE\r\n\r\n'],
  ['101 header lines', 'GET / HTTP/1.1\r\n' + Array.from({ length: 101 }, (_, i) => `X-${i}: v\r\n`).join('') + '\r\n'],
];

test('smuggling vectors: 400 page, nothing forwarded, the proxy keeps serving', async (t) => {
  const { be, port, px } = await single(t);
  for (const [name, bytes] of VECTORS) {
    const r = await exchange(port, bytes);
    assert.match(r.text, /^HTTP\/1\.0 400 Bad request\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n/, name);
    assert.equal(statusLines(r.text).length, 1, name);
    assert.equal(be.connectionCount(), 0, `${name}: a server connection was opened`);
  }
  const ok = await exchange(port, 'GET /fine HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(ok.text, /A:\/fine\n$/);
  assert.equal(px.processLog.lines.length >= 0, true);
});

test('bad chunk size in a body: both connections closed, nothing after it forwarded', async (t) => {
  const { be, port } = await single(t);
  const r = await exchange(port, 'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0x5\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(r.closed, true);
  await new Promise((res) => setTimeout(res, 100));
  const raw = Buffer.concat(be.raw[0] ?? []).toString('latin1');
  assert.ok(!raw.includes('smuggled'), raw);
  assert.ok(!raw.includes('0x5'), raw);
  assert.equal(be.requests.length, 0);
});

test('bare LF and leading empty lines: forwarded as CRLF, request processed', async (t) => {
  const { be, port } = await single(t);
  const r = await exchange(port, '\r\n\nGET /lf HTTP/1.1\nHost: x\nConnection: close\n\n');
  assert.match(r.text, /A:\/lf\n$/);
  assert.equal(be.requests[0]!.head, 'GET /lf HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n');
});

test('Content-Length body then a pipelined request; close-delimited response ends the connection', async (t) => {
  const { be, port } = await single(t, (req) =>
    req.path === '/eof' ? { kind: 'close', data: 'HTTP/1.1 200 OK\r\n\r\nuntil close' } : okReply('A', req, '', '1.1'),
  );
  const r = await exchange(port, 'POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /eof HTTP/1.1\r\nHost: x\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(r.closed, true);
  // the close-delimited response tells the HTTP/1.1 client it is the last one
  assert.equal(r.text, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nA:/p\nHTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close');
  assert.equal(be.requests[0]!.body.toString(), 'hello');
  assert.deepEqual(be.requests.map((q) => q.path), ['/p', '/eof']);
});

test('a server sending more than its Content-Length: the extra bytes are dropped and its connection not reused', async (t) => {
  const { be, port } = await single(t, (req) => `HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA-${req.path}`);
  const r = await exchange(port, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(r.text, 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc');
  assert.equal(be.connectionCount(), 2);
});
