// `defaults` inheritance (spec §5, §3.2): what a `listen` copies, what it does not, resets,
// keywords refused in defaults, several files as one stream of sections.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfigFiles } from '../../src/config/parser.js';
import { fakeResolver, parse, parseError } from '../support/config-helpers.js';

const DEFAULTS = `global
  log 10.0.0.1 local0
defaults everything inherited
  mode http
  disabled
  enabled
  maxconn 77
  fullconn 99
  retries 5
  contimeout 1000
  clitimeout 2000
  srvtimeout 3000
  grace 400
  balance source
  redispatch
  option httpclose
  option forwardfor except 10.0.0.0/8
  option httplog
  option dontlognull
  option persist
  option allbackups
  option httpchk HEAD /check HTTP/1.0
  cookie SRV insert indirect nocache
  capture cookie SESS len 20
  errorloc 503 /sorry
  log global
  log 10.0.0.2 local1 info
  source 10.9.9.9
  monitor-net 10.1.0.0/16
  monitor-uri /alive
  stats enable
  stats auth u:p
  rsprep ^X Y
  appsession J len 10 timeout 1000
`;

test('inheritance: a listen copies every inheritable setting of the last defaults', () => {
  const r = parse(`${DEFAULTS}listen px 127.0.0.1:8080\n  server s 10.0.0.5:80 cookie A\n`);
  const p = r.config.proxies[0];
  assert.ok(p);
  assert.deepEqual(
    [p.mode, p.enabled, p.maxconn, p.fullconn, p.retries, p.connectTimeoutMs, p.clientTimeoutMs, p.serverTimeoutMs, p.graceMs, p.balance],
    ['http', true, 77, 99, 5, 1000, 2000, 3000, 400, 'source'],
  );
  assert.deepEqual(
    [p.options.redispatch, p.options.httpclose, p.options.httplog, p.options.dontlognull, p.options.persist, p.options.allbackups, p.options.tcplog],
    [true, true, true, true, true, true, false],
  );
  assert.equal(p.httpCheck?.request, 'HEAD /check HTTP/1.0\r\n\r\n');
  assert.deepEqual(p.cookie, { name: 'SRV', mode: 'insert', indirect: true, nocache: true, postonly: false });
  assert.deepEqual(p.captureCookie, { prefix: 'SESS', length: 20 });
  assert.deepEqual(p.errorOverrides.get(503), { kind: 'redirect', status: 302, url: '/sorry' });
  assert.deepEqual(p.logs.map((l) => (l.kind === 'udp' ? `${l.host}/${l.facility}/${l.maxLevel}` : '')), ['10.0.0.1/16/7', '10.0.0.2/17/6']);
  assert.equal(p.source?.host, '10.9.9.9');
  assert.deepEqual(p.monitorNets, [{ address: '10.1.0.0', family: 4, prefixLength: 16 }]);
  assert.equal(p.monitorUri, '/alive');
  assert.deepEqual(p.forwardFor?.except, { address: '10.0.0.0', family: 4, prefixLength: 8 });
  assert.equal(p.stats?.enabled, true);
  assert.deepEqual(p.stats?.auth, [{ user: 'u', password: 'p' }]);
  // Not inherited: header rules (rsprep in defaults is discarded, with a warning), appsession.
  assert.deepEqual(p.responseRules, []);
  assert.equal(p.appsession, undefined);
  assert.ok(r.diagnostics.some((d) => /'rsprep' in a 'defaults' section is ignored/.test(d.message)));
  assert.ok(r.diagnostics.some((d) => /'appsession' in a 'defaults' section is ignored/.test(d.message)));
});

test('inheritance: servers, dispatch, binds, rules, captures are never inherited', () => {
  const r = parse(`defaults\n mode http\nlisten a 127.0.0.1:8080\n balance\n server s 1.1.1.1:80\n reqadd X:\\ 1\n capture request header Host len 5\nlisten b 127.0.0.1:8081\n dispatch 1.1.1.1:80\n`);
  const b = r.config.proxies[1];
  assert.deepEqual([b?.servers.length, b?.requestAdds.length, b?.captureRequestHeaders.length, b?.binds.length, b?.balance], [0, 0, 0, 1, undefined]);
});

test('inheritance: each defaults resets to the built-in values', () => {
  const r = parse(`defaults\n mode http\n retries 9\n option httpclose\ndefaults\n clitimeout 5\nlisten px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n`);
  const p = r.config.proxies[0];
  assert.deepEqual([p?.mode, p?.retries, p?.options.httpclose, p?.clientTimeoutMs], ['tcp', 3, false, 5]);
});

test('inheritance: a listen copies defaults at its own line; later defaults do not touch it', () => {
  const r = parse(`defaults\n retries 1\nlisten a 127.0.0.1:8080\n dispatch 1.1.1.1:80\ndefaults\n retries 2\nlisten b 127.0.0.1:8081\n dispatch 1.1.1.1:80\n`);
  assert.deepEqual(r.config.proxies.map((p) => p.retries), [1, 2]);
});

test('inheritance: a disabled defaults disables the listen, enabled re-enables it', () => {
  const r = parse(`defaults\n disabled\nlisten a 127.0.0.1:8080\nlisten b 127.0.0.1:8081\n enabled\n dispatch 1.1.1.1:80\n`);
  assert.deepEqual(r.config.proxies.map((p) => p.enabled), [false, true]);
});

test('inheritance: cookie mode words OR into inherited ones (legacy), and the checks see both', () => {
  const p = parse(`defaults\n cookie A insert\nlisten px 127.0.0.1:8080\n mode http\n balance\n server s 1.1.1.1:80\n cookie B nocache\n`).config.proxies[0];
  assert.deepEqual(p?.cookie, { name: 'B', mode: 'insert', indirect: false, nocache: true, postonly: false });
  const e = parseError(`defaults\n cookie A insert\nlisten px 127.0.0.1:8080\n cookie B prefix\n`);
  assert.equal(e.line, 4);
  assert.match(e.text, /modes are incompatible/);
});

const REFUSED = [
  'bind :80', 'dispatch 1.1.1.1:80', 'server s 1.1.1.1:80', 'capture request header Host len 5', 'capture response header Server len 5',
  'reqadd X', 'reqrep a b', 'reqirep a b', 'reqdel a', 'reqidel a', 'reqdeny a', 'reqideny a', 'reqallow a', 'reqiallow a', 'reqpass a', 'reqipass a', 'cliexp a b',
  'rspadd X', 'rspdel a', 'rspdeny a', 'rspirep a b', 'rspidel a', 'rspideny a',
];
for (const line of REFUSED) {
  // legacy names the captures by their first two words.
  const kw = line.startsWith('capture') ? line.split(' ').slice(0, 2).join(' ') : (line.split(' ')[0] as string);
  test(`defaults: '${kw}' is refused with the legacy message`, () => {
    const e = parseError(`defaults\n ${line}\nlisten px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n`);
    assert.equal(e.line, 2);
    assert.equal(e.text, `'${kw}' not allowed in 'defaults' section.`);
  });
}

test('defaults: unknown keyword names the defaults section', () => {
  assert.equal(parseError(`defaults\n frob\n`).text, "unknown keyword 'frob' in 'defaults' section");
});

test('sections: keyword before any section, no listen, modern sections', () => {
  const e1 = parseError(`mode http\nlisten px 127.0.0.1:8080\n`);
  assert.deepEqual([e1.line, e1.text], [1, "unknown keyword 'mode' out of section."]);
  const e2 = parseError(`global\n daemon\ndefaults\n mode http\n`);
  assert.deepEqual([e2.line, e2.text, e2.message], [0, 'no <listen> line. Nothing to do !', 'parsing test.cfg : no <listen> line. Nothing to do !']);
  for (const s of ['frontend', 'backend']) {
    const e = parseError(`${s} x\n bind :80\n`);
    assert.deepEqual([e.line, e.keyword], [1, s]);
    assert.match(e.text, /sections do not exist in legacy HAProxy \(1\.3\+ only\): use a 'listen' section/);
  }
  const e3 = parseError(`listen\n`);
  assert.match(e3.text, /^'listen' expects an <id> argument/);
});

test('listen line: name + address list, nameless address (bound, warned), odd names', () => {
  const r = parse(`listen web 127.0.0.1:8080,127.0.0.1:8090-8091\n dispatch 1.1.1.1:80\nlisten 127.0.0.1:8081\n dispatch 1.1.1.1:80\nlisten x:y\n bind :8082\n dispatch 1.1.1.1:80\n`);
  const [a, b, c] = r.config.proxies;
  assert.deepEqual([a?.name, a?.nameIsAddress, a?.binds.map((x) => `${x.port}-${x.portEnd}`)], ['web', false, ['8080-8080', '8090-8091']]);
  assert.deepEqual([b?.name, b?.nameIsAddress, b?.binds.map((x) => `${x.host}:${x.port}`)], ['127.0.0.1:8081', true, ['127.0.0.1:8081']]);
  assert.deepEqual([c?.name, c?.nameIsAddress, c?.binds.length], ['x:y', false, 1]);
  assert.deepEqual(r.diagnostics.map((d) => d.message), [
    "parsing [test.cfg:3] : 'listen 127.0.0.1:8081' has no name: tsproxy binds 127.0.0.1:8081 and names the proxy '127.0.0.1:8081' (legacy HAProxy bound nothing here).",
  ]);
  // With a bind line the address-like word is only a name (legacy), never bound twice.
  const w = parse(`listen 127.0.0.1:8080\n bind 127.0.0.1:8080\n dispatch 1.1.1.1:80\n`);
  assert.deepEqual([w.config.proxies[0]?.nameIsAddress, w.config.proxies[0]?.binds.length, w.diagnostics], [false, 1, []]);
  const e = parseError(`listen web 127.0.0.1\n`);
  assert.deepEqual([e.line, e.text], [1, "Missing port number: '127.0.0.1'"]);
});

test('several files are one stream of sections: defaults and global carry over, sections do not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-cfg-'));
  try {
    const a = join(dir, 'a.cfg');
    const b = join(dir, 'b.cfg');
    writeFileSync(a, 'global\n  maxconn 100\ndefaults\n  mode http\n  retries 7\n');
    writeFileSync(b, 'listen px 127.0.0.1:8080\n  balance\n  server s 1.1.1.1:80\n');
    const r = parseConfigFiles([a, b], { resolveHost: fakeResolver });
    assert.deepEqual(r.config.files, [a, b]);
    assert.equal(r.config.global.maxconn, 100);
    assert.deepEqual([r.config.proxies[0]?.mode, r.config.proxies[0]?.retries, r.config.proxies[0]?.place], ['http', 7, { file: b, line: 1 }]);
    // A section does not continue into the next file.
    writeFileSync(b, '  retries 2\nlisten px 127.0.0.1:8080\n');
    assert.throws(() => parseConfigFiles([a, b], { resolveHost: fakeResolver }), (e: unknown) => e instanceof ConfigError && e.file === b && e.line === 1 && /out of section/.test(e.text));
    // An unreadable file is an error naming it.
    assert.throws(() => parseConfigFiles([a, join(dir, 'missing.cfg')]), (e: unknown) => e instanceof ConfigError && e.file === join(dir, 'missing.cfg') && /No such file/.test(e.text));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('files are read as bytes: latin1 text and \\xHH survive, UTF-8 paths are decoded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-cfg-'));
  try {
    const f = join(dir, 'c.cfg');
    writeFileSync(f, Buffer.concat([Buffer.from('global\n pidfile /tmp/caf'), Buffer.from('é', 'utf8'), Buffer.from('.pid\nlisten px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n rspadd X-A:\\xe9\n')]));
    const r = parseConfigFiles([f], { resolveHost: fakeResolver });
    assert.equal(r.config.global.pidfile, '/tmp/café.pid');
    assert.deepEqual(r.config.proxies[0]?.responseAdds, ['X-A:\xe9']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a CR in the middle of a line (CR-only line ends) is reported', () => {
  const r = parse('listen px 127.0.0.1:8080\r dispatch 1.1.1.1:80\n dispatch 1.1.1.1:80\n');
  assert.ok(r.diagnostics.some((d) => d.message === 'parsing [test.cfg:1] : text after a carriage return (CR) is ignored; is this file using CR-only line ends?'));
});
