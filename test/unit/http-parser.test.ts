// Request/response head scanning and the strict framing guard: every smuggling vector of the
// issue and notes/ecosystem.md §3 is refused; valid heads are framed as expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanHead, serializeHead, MAX_HEAD_BYTES } from '../../src/http/head.js';
import { parseRequestHead, parseResponseHead, responseFraming, wantsKeepAlive } from '../../src/http/parser.js';
import { ChunkedDecoder } from '../../src/http/chunked.js';

function req(text: string) {
  const scan = scanHead(Buffer.from(text, 'latin1'), 0, true);
  if (scan.kind !== 'complete') return { scan: scan.kind, parsed: undefined };
  return { scan: scan.kind, parsed: parseRequestHead(scan.lines), end: scan.end, lines: scan.lines };
}

const rejected: [string, string][] = [
  ['CL with TE', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ['TE with CL', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n'],
  ['differing CL', 'POST / HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n'],
  ['CL list differing', 'POST / HTTP/1.1\r\nContent-Length: 4, 5\r\n\r\n'],
  ['CL +5', 'POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n'],
  ['CL 0x5', 'POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n'],
  ['CL 5e0', 'POST / HTTP/1.1\r\nContent-Length: 5e0\r\n\r\n'],
  ['CL -1', 'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n'],
  ['CL empty', 'POST / HTTP/1.1\r\nContent-Length:\r\n\r\n'],
  ['CL spaces only', 'POST / HTTP/1.1\r\nContent-Length:   \r\n\r\n'],
  ['CL > 2^53', 'POST / HTTP/1.1\r\nContent-Length: 9007199254740993\r\n\r\n'],
  ['CL huge', 'POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n'],
  ['CL 5 junk', 'POST / HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n'],
  ['TE gzip only', 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n'],
  ['TE chunked, gzip', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'],
  ['TE chunked twice', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ['TE identity', 'POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n'],
  ['TE chunk (typo)', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunk\r\n\r\n'],
  ['TE empty', 'POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n'],
  ['TE x-chunked', 'POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n'],
  ['TE in HTTP/1.0', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n'],
  ['space before colon', 'POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n'],
  ['tab before colon', 'POST / HTTP/1.1\r\nTransfer-Encoding\t: chunked\r\n\r\n'],
  ['obs-fold', 'POST / HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n\r\n'],
  ['obs-fold tab', 'GET / HTTP/1.1\r\nX-A: 1\r\n\tcontinued\r\n\r\n'],
  ['NUL in value', 'GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n'],
  ['CTL in value', 'GET / HTTP/1.1\r\nX-A: a\x01b\r\n\r\n'],
  ['DEL in value', 'GET / HTTP/1.1\r\nX-A: a\x7fb\r\n\r\n'],
  ['lone CR in value', 'GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n'],
  ['CTL in name', 'GET / HTTP/1.1\r\nX\x01A: 1\r\n\r\n'],
  ['NUL in name', 'GET / HTTP/1.1\r\nX\x00A: 1\r\n\r\n'],
  ['empty name', 'GET / HTTP/1.1\r\n: x\r\n\r\n'],
  ['no colon', 'GET / HTTP/1.1\r\nHost a\r\n\r\n'],
  ['garbage request', 'GARBAGE\r\n\r\n'],
  ['method only', 'GET\r\n\r\n'],
  ['HTTP/0.9', 'GET /\r\n\r\n'],
  ['HTTP/2.0', 'GET / HTTP/2.0\r\n\r\n'],
  ['lower-case version', 'GET / http/1.1\r\n\r\n'],
  ['two spaces', 'GET  / HTTP/1.1\r\n\r\n'],
  ['CTL in URI', 'GET /a\x01b HTTP/1.1\r\n\r\n'],
  ['NUL in URI', 'GET /a\x00 HTTP/1.1\r\n\r\n'],
  ['raw 0xff in URI', 'GET /\xff HTTP/1.1\r\n\r\n'],
  ['bad method char', 'G(T / HTTP/1.1\r\n\r\n'],
  ['trailing space after version', 'GET / HTTP/1.1 \r\n\r\n'],
];

for (const [name, text] of rejected) {
  test(`request refused: ${name}`, () => {
    const r = req(text);
    assert.equal(r.scan, 'complete');
    assert.equal(r.parsed?.ok, false, `expected rejection for ${JSON.stringify(text)}`);
  });
}

test('101 header lines refused, 100 accepted (decision 13)', () => {
  const h = (n: number) => 'GET / HTTP/1.1\r\n' + Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('') + '\r\n';
  assert.equal(req(h(100)).parsed?.ok, true);
  assert.equal(req(h(101)).parsed?.ok, false);
});

test('head size limit: end of head must start within 8192 bytes', () => {
  const big = 'GET / HTTP/1.0\r\nX: ' + 'a'.repeat(MAX_HEAD_BYTES) + '\r\n\r\n';
  assert.equal(scanHead(Buffer.from(big), 0, true).kind, 'too-large');
  const partial = 'GET / HTTP/1.0\r\nX: ' + 'a'.repeat(MAX_HEAD_BYTES);
  assert.equal(scanHead(Buffer.from(partial), 0, true).kind, 'too-large');
  const ok = 'GET / HTTP/1.0\r\nX: ' + 'a'.repeat(8000) + '\r\n\r\n';
  assert.equal(scanHead(Buffer.from(ok), 0, true).kind, 'complete');
  assert.equal(scanHead(Buffer.from('GET / HTTP/1.0\r\nX: 1'), 0, true).kind, 'incomplete');
});

test('bare LF accepted and normalised; leading empty lines skipped', () => {
  const r = req('\r\n\nGET /x HTTP/1.0\nHost: a\n\n');
  assert.equal(r.parsed?.ok, true);
  assert.deepEqual(r.lines, ['GET /x HTTP/1.0', 'Host: a']);
  assert.equal(serializeHead(r.lines!).toString(), 'GET /x HTTP/1.0\r\nHost: a\r\n\r\n');
  const inc = scanHead(Buffer.from('\r\n\r\nGE'), 0, true);
  assert.deepEqual(inc, { kind: 'incomplete', skipped: 4 });
});

test('framing of valid requests', () => {
  const f = (t: string) => {
    const r = req(t).parsed;
    assert.ok(r?.ok);
    return r.head.framing;
  };
  assert.deepEqual(f('GET / HTTP/1.1\r\n\r\n'), { kind: 'none' });
  assert.deepEqual(f('POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n'), { kind: 'length', length: 10 });
  assert.deepEqual(f('POST / HTTP/1.1\r\ncontent-length:10\r\nContent-Length: 10\r\n\r\n'), { kind: 'length', length: 10 });
  assert.deepEqual(f('POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n'), { kind: 'none' });
  assert.deepEqual(f('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n'), { kind: 'chunked' });
  assert.deepEqual(f('POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n'), { kind: 'chunked' });
  assert.deepEqual(f('POST / HTTP/1.1\r\nContent-Length: 9007199254740991\r\n\r\n'), { kind: 'length', length: 9007199254740991 });
});

test('repeated identical Content-Length values are forwarded as one line (RFC 9110 §8.6)', () => {
  const r = req('POST / HTTP/1.1\r\ncontent-length:10\r\nHost: h\r\nContent-Length: 10, 10\r\n\r\n');
  assert.ok(r.parsed?.ok);
  assert.deepEqual(r.parsed.head.headers, ['Content-Length: 10', 'Host: h']);
  const single = req('POST / HTTP/1.1\r\ncontent-length:10\r\n\r\n');
  assert.ok(single.parsed?.ok);
  assert.deepEqual(single.parsed.head.headers, ['content-length:10']);
  const tab = req('POST / HTTP/1.1\r\nContent-Length: 10\t\r\n\r\n');
  assert.ok(tab.parsed?.ok);
  assert.deepEqual(tab.parsed.head.headers, ['Content-Length: 10']);
});

test('obs-text (0x80-0xff) allowed in values and kept byte for byte', () => {
  const r = req('GET / HTTP/1.1\r\nX-A: caf\xe9\x8a\r\n\r\n');
  assert.ok(r.parsed?.ok);
  assert.equal(serializeHead(r.lines!).toString('latin1'), 'GET / HTTP/1.1\r\nX-A: caf\xe9\x8a\r\n\r\n');
});

test('connection semantics (RFC 9112 §9.3)', () => {
  const c = (t: string) => {
    const r = req(t).parsed;
    assert.ok(r?.ok);
    return wantsKeepAlive(r.head.versionMinor, r.head.connection);
  };
  assert.equal(c('GET / HTTP/1.1\r\n\r\n'), true);
  assert.equal(c('GET / HTTP/1.1\r\nConnection: close\r\n\r\n'), false);
  assert.equal(c('GET / HTTP/1.1\r\nconnection:Keep-Alive, CLOSE\r\n\r\n'), false);
  assert.equal(c('GET / HTTP/1.0\r\n\r\n'), false);
  assert.equal(c('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'), true);
  const up = req('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n').parsed;
  assert.ok(up?.ok && up.head.upgrade);
  const exp = req('POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n').parsed;
  assert.ok(exp?.ok && exp.head.expectContinue);
});

function res(text: string) {
  const scan = scanHead(Buffer.from(text, 'latin1'), 0, false);
  assert.equal(scan.kind, 'complete');
  if (scan.kind !== 'complete') throw new Error();
  return parseResponseHead(scan.lines);
}

test('responses: status line checks and framing, HEAD/1xx/204/304 have no body', () => {
  for (const bad of ['HTTP/1.0 2000 OK\r\n\r\n', 'XTTP/1.0 200 OK\r\n\r\n', 'HTTP/2.0 200 OK\r\n\r\n', 'HTTP/1.0 20\r\n\r\n', 'garbage\r\n\r\n', 'HTTP/1.1 200 OK\r\nX : y\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n']) {
    assert.equal(res(bad).ok, false, bad);
  }
  const r = res('HTTP/1.1 200\r\n\r\n');
  assert.ok(r.ok);
  assert.equal(r.head.status, 200);
  const framing = (t: string, method = 'GET') => {
    const x = res(t);
    assert.ok(x.ok);
    return responseFraming(method, x.head);
  };
  assert.deepEqual(framing('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'), { kind: 'length', length: 5 });
  assert.deepEqual(framing('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'HEAD'), { kind: 'none' });
  assert.deepEqual(framing('HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n'), { kind: 'none' });
  assert.deepEqual(framing('HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n'), { kind: 'none' });
  assert.deepEqual(framing('HTTP/1.1 100 Continue\r\n\r\n'), { kind: 'none' });
  assert.deepEqual(framing('HTTP/1.0 200 OK\r\n\r\n'), { kind: 'close' });
  assert.deepEqual(framing('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), { kind: 'chunked' });
  assert.deepEqual(framing('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'), { kind: 'close' });
  const both = res('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n');
  assert.ok(both.ok);
  assert.deepEqual(both.head.headers, ['Transfer-Encoding: chunked']);
});

function dechunk(input: string | Buffer[], ): { out: string; result: string; consumed?: number } {
  const parts: Buffer[] = [];
  const d = new ChunkedDecoder((b) => parts.push(Buffer.from(b)));
  const inputs = typeof input === 'string' ? [Buffer.from(input, 'latin1')] : input;
  let result = 'more';
  let consumed: number | undefined;
  for (const b of inputs) {
    const r = d.feed(b);
    result = r.kind === 'error' ? `error: ${r.reason}` : r.kind;
    if (r.kind === 'done') consumed = r.consumed;
    if (r.kind !== 'more') break;
  }
  return { out: Buffer.concat(parts).toString('latin1'), result, consumed };
}

test('chunked: valid bodies re-emitted with CRLF, rest left for the next message', () => {
  const r = dechunk('5\r\nhello\r\n0\r\n\r\nGET /next');
  assert.equal(r.result, 'done');
  assert.equal(r.out, '5\r\nhello\r\n0\r\n\r\n');
  assert.equal(r.consumed, 15);
  const lf = dechunk('5\nhello\n0\nX-T: 1\n\n');
  assert.equal(lf.out, '5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n');
  const dropped = dechunk('0\r\nContent-Length: 3\r\nX-Ok: 1\r\nhost: h\r\n\r\n');
  assert.equal(dropped.out, '0\r\nX-Ok: 1\r\n\r\n');
  const ext = dechunk('5;name=val\r\nhello\r\n0\r\n\r\n');
  assert.equal(ext.out, '5;name=val\r\nhello\r\n0\r\n\r\n');
  // byte by byte
  const text = 'a\r\n0123456789\r\n3\r\nabc\r\n0\r\nX-Trailer: x\r\n\r\n';
  const split = dechunk([...Buffer.from(text)].map((c) => Buffer.from([c])));
  assert.equal(split.result, 'done');
  assert.equal(split.out, text);
});

test('chunked: invalid chunk-size lines, trailers and framing refused', () => {
  for (const bad of [
    '0x5\r\nhello\r\n0\r\n\r\n',
    '5 junk\r\nhello\r\n0\r\n\r\n',
    '5\t\r\nhello\r\n0\r\n\r\n',
    '5 \r\nhello\r\n0\r\n\r\n',
    '\r\nhello\r\n0\r\n\r\n',
    '-5\r\nhello\r\n0\r\n\r\n',
    '+5\r\nhello\r\n0\r\n\r\n',
    'fffffffffffffff\r\n',
    '5\r\nhelloXX0\r\n\r\n',
    '5;\r\nhello\r\n0\r\n\r\n',
    '5;a=\x01\r\nhello\r\n0\r\n\r\n',
    '0\r\nBad Trailer: x\r\n\r\n',
    '0\r\n folded\r\n\r\n',
    '0\r\nX: a\x00b\r\n\r\n',
    '1' + ';a=b'.repeat(2000) + '\r\n',
    '0\r\n' + 'X-Long: '.concat('a'.repeat(9000)) + '\r\n\r\n',
  ]) {
    const r = dechunk(bad);
    assert.match(r.result, /^error/, JSON.stringify(bad.slice(0, 40)));
  }
  // an endless chunk-size line is refused once it passes the bound, without a line end
  const endless = dechunk(Array.from({ length: 10 }, () => Buffer.from('0'.repeat(1000))));
  assert.match(endless.result, /^error/);
});
