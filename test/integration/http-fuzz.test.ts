// Bounded fuzz of the request parser through the real Runtime: mutated requests (byte flips,
// control characters, smuggling lines, duplicated lines, truncation). The proxy must never
// crash, must never forward bytes a strict parser (Node's llhttp, used here only as a test
// oracle) refuses, must answer every forwarded request once, and must keep serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/ports.js';
import { exchange, okReply, startHttpBackend, startHttpProxy, statusLines } from '../support/http-harness.js';

interface LlParser {
  initialize(type: number, resource: object): void;
  execute(b: Buffer): number | Error;
  [k: number]: unknown;
}
interface LlBinding {
  HTTPParser: { new (): LlParser; REQUEST: number; RESPONSE: number; kOnHeadersComplete: number; kOnMessageComplete: number; kOnBody: number; kOnHeaders: number; kOnExecute: number };
}

/** Number of complete messages in `bytes` per llhttp, or the error code. */
function strictParse(bytes: Buffer, kind: 'request' | 'response' = 'request'): { requests: number; error: string | undefined } {
  process.noDeprecation = true;
  const { HTTPParser } = (process as unknown as { binding(n: string): LlBinding }).binding('http_parser');
  const p = new HTTPParser();
  p.initialize(kind === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {});
  let requests = 0;
  p[HTTPParser.kOnHeadersComplete] = () => 0;
  p[HTTPParser.kOnMessageComplete] = () => {
    requests++;
  };
  p[HTTPParser.kOnBody] = () => {};
  p[HTTPParser.kOnHeaders] = () => {};
  p[HTTPParser.kOnExecute] = () => {};
  const r = p.execute(bytes);
  return { requests, error: r instanceof Error ? ((r as Error & { code?: string }).code ?? r.message) : undefined };
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = [
  'GET /a HTTP/1.1\r\nHost: x\r\nCookie: SERVERID=A; k=1\r\n\r\n',
  'POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
  'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'GET / HTTP/1.0\r\nUser-Agent: fuzz\r\n\r\n',
];
const BYTES = [0x00, 0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x2c, 0x30, 0x78, 0x2b, 0x2d, 0x3b, 0x7f, 0xff, 0x61, 0x01];
const LINES = [
  'Content-Length: 3\r\n',
  'Transfer-Encoding: chunked\r\n',
  'Transfer-Encoding : chunked\r\n',
  ' chunked\r\n',
  'Content-Length: +3\r\n',
  'Content-Length: 0x3\r\n',
  'Transfer-Encoding: gzip\r\n',
  'Content-Length:\r\n',
  '\r\n',
  'GET /smuggled HTTP/1.1\r\n',
];

function mutate(input: Buffer, r: () => number): Buffer {
  let b = Buffer.from(input);
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    const pos = Math.floor(r() * (b.length + 1));
    const what = Math.floor(r() * 6);
    if (what === 0 && b.length > 0) {
      b[Math.min(pos, b.length - 1)] = BYTES[Math.floor(r() * BYTES.length)]!;
    } else if (what === 1) {
      b = Buffer.concat([b.subarray(0, pos), Buffer.from([BYTES[Math.floor(r() * BYTES.length)]!]), b.subarray(pos)]);
    } else if (what === 2 && b.length > 1) {
      b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + 1)]);
    } else if (what === 3 || what === 4) {
      // insert a line right after a random line end
      const lf = b.indexOf(0x0a, pos);
      const at = lf < 0 ? b.length : lf + 1;
      b = Buffer.concat([b.subarray(0, at), Buffer.from(LINES[Math.floor(r() * LINES.length)]!, 'latin1'), b.subarray(at)]);
    } else {
      // duplicate a line
      const start = b.lastIndexOf(0x0a, pos) + 1;
      const end = b.indexOf(0x0a, pos);
      if (end > start) b = Buffer.concat([b.subarray(0, end + 1), b.subarray(start, end + 1), b.subarray(end + 1)]);
    }
  }
  return b;
}

test('fuzz: 400 mutated requests; no crash, nothing invalid forwarded, every forwarded request answered', async (t) => {
  const be = await startHttpBackend('A', (req) => okReply('A', req, '', '1.1'));
  t.after(() => be.close());
  const port = await freePort();
  const px = await startHttpProxy(
    `listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n cookie SERVERID insert indirect\n option forwardfor\n clitimeout 1000\n srvtimeout 2000\n server a 127.0.0.1:${be.port} cookie A\n`,
  );
  t.after(() => px.stop());
  const r = rng(20261125);
  let rejected = 0;
  let forwarded = 0;
  for (let i = 0; i < 400; i++) {
    const seed = Buffer.from(SEEDS[i % SEEDS.length]!, 'latin1');
    const input = mutate(seed, r);
    const before = be.requests.length;
    const res = await exchange(port, input, { endAfterWrite: true, timeoutMs: 3000 });
    // the backend's requests for this case are complete by the time the client has its answers
    const answered = statusLines(res.text);
    const got200 = answered.filter((l) => l.startsWith('HTTP/1.1 200')).length;
    const got400 = answered.filter((l) => l === 'HTTP/1.0 400 Bad request').length;
    const delta = be.requests.length - before;
    assert.equal(got200, delta, `case ${i}: ${JSON.stringify(input.toString('latin1'))} → ${JSON.stringify(res.text)}`);
    assert.ok(got400 <= 1, `case ${i}`);
    if (got400 === 1) assert.ok(answered[answered.length - 1] === 'HTTP/1.0 400 Bad request', `case ${i}: 400 is the last answer`);
    rejected += got400;
    forwarded += delta;
  }
  // every byte stream the backend received parses strictly (llhttp as oracle; its method list
  // is fixed, so extension methods — valid tokens — are renamed before the check)
  const norm = (b: Buffer) => Buffer.from(b.toString('latin1').replace(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ /, 'POST '), 'latin1');
  for (let c = 0; c < be.raw.length; c++) {
    const raw = Buffer.concat(be.raw[c]!);
    const reqs = be.requests.filter((q) => q.connection === c);
    let used = 0;
    const parts: Buffer[] = [];
    for (const q of reqs) {
      const head = Buffer.from(q.head, 'latin1');
      parts.push(norm(head), q.body);
      used += head.length + q.body.length;
    }
    parts.push(norm(raw.subarray(used)));
    const v = strictParse(Buffer.concat(parts));
    assert.equal(v.error, undefined, `backend connection ${c} got ${JSON.stringify(raw.toString('latin1'))}`);
    assert.equal(v.requests, reqs.length, `backend connection ${c}`);
  }
  assert.ok(rejected > 50, `only ${rejected} rejections`);
  assert.ok(forwarded > 50, `only ${forwarded} forwarded`);
  // still serving
  const ok = await exchange(port, 'GET /still HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(ok.text, /A:\/still\n$/);
});

const RESPONSE_SEEDS = [
  'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: SERVERID=x\r\n\r\nhello',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\nuntil close',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n',
];

test('fuzz: 300 mutated responses; no crash, the client gets a strict-parsable response or the 502 page', async (t) => {
  const r = rng(424242);
  let current: Buffer = Buffer.alloc(0);
  const be = await startHttpBackend('A', () => ({ kind: 'close', data: current }));
  t.after(() => be.close());
  const port = await freePort();
  const px = await startHttpProxy(
    `listen p 127.0.0.1:${port}\n mode http\n balance roundrobin\n cookie SERVERID insert indirect\n clitimeout 1000\n srvtimeout 1000\n server a 127.0.0.1:${be.port} cookie A\n`,
  );
  t.after(() => px.stop());
  const page502 = 'HTTP/1.0 502 Bad Gateway\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n';
  let bad = 0;
  let relayed = 0;
  for (let i = 0; i < 300; i++) {
    current = mutate(Buffer.from(RESPONSE_SEEDS[i % RESPONSE_SEEDS.length]!, 'latin1'), r);
    const res = await exchange(port, 'GET /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { timeoutMs: 3000 });
    if (res.text.endsWith(page502) && !res.text.slice(0, -page502.length).includes('HTTP/1.0 502')) {
      bad++;
      // only interim responses may precede the page
      assert.equal(strictParse(Buffer.from(res.text.slice(0, -page502.length), 'latin1'), 'response').error, undefined, `case ${i}`);
      continue;
    }
    relayed++;
    const v = strictParse(res.data, 'response');
    assert.equal(v.error, undefined, `case ${i}: server sent ${JSON.stringify(current.toString('latin1'))}, client got ${JSON.stringify(res.text)}`);
  }
  assert.ok(bad > 30, `only ${bad} refused`);
  assert.ok(relayed > 30, `only ${relayed} relayed`);
  current = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  const ok = await exchange(port, 'GET /still HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(ok.text, /\r\n\r\nok$/);
});
