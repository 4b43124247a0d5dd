// Request/response analysers from configuration text: rule order and first-match (spec §9.3),
// inserted lines in legacy wire order (decision 11), httpclose, forwardfor (+except),
// hop-by-hop handling, checkcache (§9.8), captures (§9.9), error pages (§10).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/parser.js';
import { analyseRequest, analyseResponse, type ResponseContext } from '../../src/http/analyse.js';
import { compileProxy } from '../../src/http/compiled.js';
import { scanHead } from '../../src/http/head.js';
import { parseRequestHead, parseResponseHead } from '../../src/http/parser.js';
import { builtinErrorPage, buildErrorPages } from '../../src/http/errors.js';
import { applyRules, newRuleState } from '../../src/http/rules.js';

function px(body: string) {
  const { config } = parseConfigText(`listen p 127.0.0.1:8000\n mode http\n balance roundrobin\n server s1 127.0.0.1:1 cookie A\n${body}\n`, 't.cfg');
  return compileProxy(config.proxies[0]!);
}

function request(text: string) {
  const s = scanHead(Buffer.from(text, 'latin1'), 0, true);
  if (s.kind !== 'complete') throw new Error('incomplete');
  const r = parseRequestHead(s.lines);
  if (!r.ok) throw new Error(r.reason);
  return r.head;
}
function response(text: string) {
  const s = scanHead(Buffer.from(text, 'latin1'), 0, false);
  if (s.kind !== 'complete') throw new Error('incomplete');
  const r = parseResponseHead(s.lines);
  if (!r.ok) throw new Error(r.reason);
  return r.head;
}
const ctx = { clientAddress: '10.1.2.3', persist: false, lookup: (v: string) => ({ server: v === 'A' ? 'A' : undefined, down: false }), appsessionLookup: undefined };

test('request: legacy insertion order Connection: close, X-Forwarded-For, reqadd reversed', () => {
  const p = px(' option httpclose\n option forwardfor\n reqadd X-First:\\ 1\n reqadd X-Second:\\ 2');
  const a = analyseRequest(p, request('GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n'), ctx);
  assert.deepEqual(a.lines, ['GET / HTTP/1.1', 'Host: h', 'X-Forwarded-For: 6.6.6.6', 'Connection: close', 'X-Forwarded-For: 10.1.2.3', 'X-Second: 2', 'X-First: 1']);
  assert.equal(a.serverClose, true);
});

test('request: httpclose removes Connection by name in any spelling (decision 4), keeps Proxy-Connection', () => {
  const p = px(' option httpclose');
  const a = analyseRequest(p, request('GET / HTTP/1.1\r\nconnection:keep-alive\r\nCONNECTION: foo\r\nProxy-Connection: x\r\n\r\n'), ctx);
  assert.deepEqual(a.lines, ['GET / HTTP/1.1', 'Proxy-Connection: x', 'Connection: close']);
});

test('request: a client cannot strip our X-Forwarded-For by naming it in Connection', () => {
  const p = px(' option forwardfor');
  const a = analyseRequest(p, request('GET / HTTP/1.1\r\nConnection: keep-alive, X-Forwarded-For, X-Secret\r\nX-Secret: s\r\nX-Forwarded-For: 1.1.1.1\r\n\r\n'), ctx);
  assert.deepEqual(a.lines, ['GET / HTTP/1.1', 'Connection: keep-alive', 'X-Forwarded-For: 10.1.2.3']);
  // Connection naming only close/keep-alive/upgrade stays byte for byte
  const b = analyseRequest(p, request('GET / HTTP/1.1\r\nConnection:  Keep-Alive\r\n\r\n'), ctx);
  assert.deepEqual(b.lines, ['GET / HTTP/1.1', 'Connection:  Keep-Alive', 'X-Forwarded-For: 10.1.2.3']);
  // framing headers cannot be removed through Connection
  const c = analyseRequest(p, request('POST / HTTP/1.1\r\nConnection: content-length, host\r\nHost: h\r\nContent-Length: 1\r\n\r\n'), ctx);
  assert.deepEqual(c.lines, ['POST / HTTP/1.1', 'Host: h', 'Content-Length: 1', 'X-Forwarded-For: 10.1.2.3']);
});

test('request: forwardfor except <net>', () => {
  const p = px(' option forwardfor except 10.0.0.0/8');
  assert.deepEqual(analyseRequest(p, request('GET / HTTP/1.0\r\n\r\n'), ctx).lines, ['GET / HTTP/1.0']);
  assert.deepEqual(analyseRequest(p, request('GET / HTTP/1.0\r\n\r\n'), { ...ctx, clientAddress: '192.168.0.1' }).lines, ['GET / HTTP/1.0', 'X-Forwarded-For: 192.168.0.1']);
});

test('request: upgrade keeps Connection: Upgrade under httpclose', () => {
  const p = px(' option httpclose');
  const a = analyseRequest(p, request('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), ctx);
  assert.deepEqual(a.lines, ['GET /ws HTTP/1.1', 'Upgrade: websocket', 'Connection: Upgrade']);
});

test('request rules: first match per line, request line included, deny/allow/pass/delete', () => {
  const p = px(
    [
      ' reqirep ^(GET|HEAD)\\ /old/(.*) \\1\\ /new/\\2',
      ' reqpass ^X-Keep:',
      ' reqdel ^X-Keep:',
      ' reqidel ^x-drop:',
      ' reqrep ^Host:\\ (.*) Host:\\ rewritten-\\1',
      ' reqrep ^Host:\\ (.*) Host:\\ never',
    ].join('\n'),
  );
  const a = analyseRequest(p, request('GET /old/x HTTP/1.1\r\nHost: h\r\nX-Keep: 1\r\nX-Drop: 2\r\n\r\n'), ctx);
  assert.deepEqual(a.lines, ['GET /new/x HTTP/1.1', 'Host: rewritten-h', 'X-Keep: 1']);
  assert.equal(a.denied, false);
  const deny = px(' reqideny ^[^:\\ ]*[\\ ]*$\n reqdeny ^X-Bad:');
  assert.equal(analyseRequest(deny, request('GET / HTTP/1.1\r\nX-Bad: 1\r\n\r\n'), ctx).denied, true);
  assert.equal(analyseRequest(deny, request('GET / HTTP/1.1\r\nX-Good: 1\r\n\r\n'), ctx).denied, false);
  const allow = px(' reqallow ^GET\n reqdeny .');
  assert.equal(analyseRequest(allow, request('GET / HTTP/1.1\r\nX: 1\r\n\r\n'), ctx).denied, false);
  assert.equal(analyseRequest(allow, request('POST / HTTP/1.1\r\nX: 1\r\n\r\n'), ctx).denied, true);
  const st = newRuleState();
  st.denied = true;
  assert.equal(applyRules('X: 1', [], st), 'X: 1');
});

test('rules cannot delete the request line or the status line', () => {
  const p = px(' reqdel ^GET\n rspdel ^HTTP');
  assert.deepEqual(analyseRequest(p, request('GET / HTTP/1.0\r\nX: 1\r\n\r\n'), ctx).lines, ['GET / HTTP/1.0', 'X: 1']);
  assert.deepEqual(analyseResponse(p, response('HTTP/1.0 200 OK\r\n\r\n'), rctx()).lines, ['HTTP/1.0 200 OK']);
});

test('request: cookie processing after rules, captures before rewriting', () => {
  const p = px(' cookie SERVERID insert indirect\n capture request header Host len 3\n capture request header X-Id len 10\n capture cookie SERVER len 20\n reqrep ^Host:.* Host:\\ changed');
  const a = analyseRequest(p, request('GET / HTTP/1.1\r\nHost: example\r\ncookie: a=1; SERVERID=A\r\nX-Id: 1\r\nX-Id: 2\r\n\r\n'), ctx);
  assert.deepEqual(a.lines, ['GET / HTTP/1.1', 'Host: changed', 'cookie: a=1', 'X-Id: 1', 'X-Id: 2']);
  assert.deepEqual(a.captures, ['exa', '2']);
  assert.equal(a.cookie.server, 'A');
  assert.equal(a.cookie.captured, 'SERVERID=A');
  // Cookie:SERVERID=A without a space counts (decision 4)
  const b = analyseRequest(p, request('GET / HTTP/1.1\r\nCookie:SERVERID=A\r\n\r\n'), ctx);
  assert.deepEqual(b.lines, ['GET / HTTP/1.1']);
});

const rctx = (o: Partial<ResponseContext> = {}): ResponseContext => ({
  isPost: false,
  serverKnown: true,
  serverCookie: 'A',
  setCookieLine: 'Set-Cookie: SERVERID=A; path=/',
  direct: false,
  upgrade: false,
  ...o,
});

test('response: legacy order Connection: close, rspadd reversed, Set-Cookie, Cache-control: private', () => {
  const p = px(' option httpclose\n cookie SERVERID insert indirect nocache\n rspadd X-R1:\\ 1\n rspadd X-R2:\\ 2');
  const a = analyseResponse(p, response('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nSet-Cookie: SERVERID=old\r\nCache-Control: public\r\nSet-Cookie: x=1\r\n\r\n'), rctx());
  assert.deepEqual(a.lines, ['HTTP/1.0 200 OK', 'Cache-Control: public', 'Set-Cookie: x=1', 'Connection: close', 'X-R2: 2', 'X-R1: 1', 'Set-Cookie: SERVERID=A; path=/', 'Cache-control: private']);
  assert.equal(a.setCookieFlag, 'R');
  const direct = analyseResponse(p, response('HTTP/1.0 200 OK\r\n\r\n'), rctx({ direct: true }));
  assert.deepEqual(direct.lines, ['HTTP/1.0 200 OK', 'Connection: close', 'X-R2: 2', 'X-R1: 1']);
  assert.equal(direct.setCookieFlag, 'N');
});

test('response: rules on the status line, rspdeny', () => {
  const p = px(' rsprep ^HTTP/1.0\\ 200\\ OK HTTP/1.0\\ 200\\ Fine\n rspidel ^server:\n rspdeny ^X-Secret:');
  const a = analyseResponse(p, response('HTTP/1.0 200 OK\r\nServer: x\r\nX-A: 1\r\n\r\n'), rctx());
  assert.deepEqual(a.lines, ['HTTP/1.0 200 Fine', 'X-A: 1']);
  assert.equal(a.denied, false);
  assert.equal(analyseResponse(p, response('HTTP/1.0 200 OK\r\nX-Secret: 1\r\n\r\n'), rctx()).denied, true);
});

test('response: checkcache (decision 10, spec §9.8)', () => {
  const p = px(' option checkcache');
  const blocked = (t: string, o: Partial<ResponseContext> = {}) => analyseResponse(p, response(t), rctx(o)).cacheBlocked;
  assert.equal(blocked('HTTP/1.0 200 OK\r\nSet-Cookie: a=1\r\n\r\n'), true);
  assert.equal(blocked('HTTP/1.0 200 OK\r\nSet-Cookie: a=1\r\n\r\n', { isPost: true }), false);
  assert.equal(blocked('HTTP/1.0 302 Found\r\nSet-Cookie: a=1\r\n\r\n'), false);
  assert.equal(blocked('HTTP/1.0 200 OK\r\nCache-Control: private\r\nSet-Cookie: a=1\r\n\r\n'), false);
  assert.equal(blocked('HTTP/1.0 200 OK\r\nCache-Control: no-cache="set-cookie"\r\nSet-Cookie: a=1\r\n\r\n'), false);
  assert.equal(blocked('HTTP/1.0 200 OK\r\nCache-Control: max-age=0, public\r\nSet-Cookie: a=1\r\n\r\n'), false);
  assert.equal(blocked('HTTP/1.0 200 OK\r\nCache-Control: public, no-cache\r\nSet-Cookie: a=1\r\n\r\n'), true);
  assert.equal(blocked('HTTP/1.0 200 OK\r\nPragma: no-cache\r\nSet-Cookie: a=1\r\n\r\n'), false);
  assert.equal(blocked('HTTP/1.0 200 OK\r\n\r\n'), false);
  const off = px('');
  assert.equal(analyseResponse(off, response('HTTP/1.0 200 OK\r\nSet-Cookie: a=1\r\n\r\n'), rctx()).cacheBlocked, false);
});

test('response: captures and prefix rewriting of every Set-Cookie line', () => {
  const p = px(' cookie JSESSIONID prefix\n capture response header Content-Length len 5\n capture cookie JSESSIONID len 40');
  const a = analyseResponse(p, response('HTTP/1.0 200 OK\r\nContent-Length: 123456\r\nSet-Cookie: JSESSIONID=123; path=/\r\nset-cookie: JSESSIONID=456\r\n\r\n'), rctx());
  assert.deepEqual(a.lines, ['HTTP/1.0 200 OK', 'Content-Length: 123456', 'Set-Cookie: JSESSIONID=A~123; path=/', 'set-cookie: JSESSIONID=A~456']);
  assert.deepEqual(a.captures, ['12345']);
  assert.equal(a.capturedCookie, 'JSESSIONID=123');
  assert.equal(a.setCookieFlag, 'R');
});

test('error pages: exact bytes and sizes of spec §10.1; errorloc overrides', () => {
  const sizes: Record<number, number> = { 400: 162, 403: 163, 408: 187, 500: 160, 502: 179, 503: 187, 504: 169 };
  for (const [code, size] of Object.entries(sizes)) {
    assert.equal(builtinErrorPage(Number(code) as 400).length, size, code);
  }
  assert.equal(
    builtinErrorPage(503).toString(),
    'HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n',
  );
  const pages = buildErrorPages(new Map([[503, { kind: 'redirect', status: 302, url: 'http://x/' }], [403, { kind: 'redirect', status: 303, url: '/denied' }]]));
  assert.equal(pages.get(503)!.toString(), 'HTTP/1.0 302 Found\r\nCache-Control: no-cache\r\nConnection: close\r\nLocation: http://x/\r\n\r\n');
  assert.equal(pages.get(403)!.toString(), 'HTTP/1.0 303 See Other\r\nCache-Control: no-cache\r\nConnection: close\r\nLocation: /denied\r\n\r\n');
  assert.equal(pages.get(400)!.length, 162);
});
