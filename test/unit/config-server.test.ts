// `server` lines (spec §5.4): address and port forms, every option, defaults and errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerConfig } from '../../src/config/model.js';
import { parse, parseError } from '../support/config-helpers.js';

function server(line: string): ServerConfig {
  const r = parse(`listen px 127.0.0.1:8080\n mode http\n balance roundrobin\n server ${line}\n`);
  return r.config.proxies[0]?.servers[0] as ServerConfig;
}

test('server: defaults (inter 2000, rise 2, fall 3, weight 1, no limits)', () => {
  assert.deepEqual(server('s1 10.0.0.1:80'), {
    name: 's1', place: { file: 'test.cfg', line: 4 },
    address: { host: '10.0.0.1', family: 4, port: { kind: 'absolute', port: 80 } },
    cookie: undefined, check: false, interMs: 2000, rise: 2, fall: 3, checkPort: undefined, checkAddr: undefined,
    backup: false, weight: 1, maxconn: 0, minconn: 0, source: undefined,
  });
});

const PORTS: readonly (readonly [string, unknown])[] = [
  ['10.0.0.1', { kind: 'mapped', offset: 0 }],
  ['10.0.0.1:', { kind: 'mapped', offset: 0 }],
  ['10.0.0.1:+1000', { kind: 'mapped', offset: 1000 }],
  ['10.0.0.1:-10', { kind: 'mapped', offset: -10 }],
  // legacy treated :0 as absolute port 0; its manual (and tsproxy) say "same port".
  ['10.0.0.1:0', { kind: 'mapped', offset: 0 }],
  ['10.0.0.1:8080', { kind: 'absolute', port: 8080 }],
  ['[::1]:80', { kind: 'absolute', port: 80 }],
  ['[::1]', { kind: 'mapped', offset: 0 }],
  ['web1.example:81', { kind: 'absolute', port: 81 }],
];
for (const [addr, port] of PORTS) {
  test(`server: address '${addr}' → port ${JSON.stringify(port)}`, () => {
    assert.deepEqual(server(`s ${addr}`).address.port, port);
  });
}

test('server: host names are resolved at parse time', () => {
  assert.deepEqual(server('s web1.example:81').address, { host: '10.0.0.1', family: 4, port: { kind: 'absolute', port: 81 } });
  assert.equal(server('s v6.example:81').address.family, 6);
});

const OPTIONS: readonly (readonly [string, (s: ServerConfig) => unknown, unknown])[] = [
  ['cookie A', (s) => s.cookie, 'A'],
  ['check', (s) => s.check, true],
  ['check inter 500 rise 1 fall 5', (s) => [s.interMs, s.rise, s.fall], [500, 1, 5]],
  ['inter 2s', (s) => s.interMs, 2000],
  ['check port 81', (s) => s.checkPort, 81],
  ['addr 10.0.0.9', (s) => s.checkAddr, '10.0.0.9'],
  ['addr ::1', (s) => s.checkAddr, '::1'],
  ['addr [::1]', (s) => s.checkAddr, '::1'],
  ['backup', (s) => s.backup, true],
  ['weight 256', (s) => s.weight, 256],
  ['weight 1', (s) => s.weight, 1],
  ['maxconn 30 minconn 5', (s) => [s.maxconn, s.minconn], [30, 5]],
  ['source 10.1.2.1', (s) => s.source, { host: '10.1.2.1', family: 4, port: 0 }],
  ['source 10.1.2.1:2000', (s) => s.source?.port, 2000],
  ['check port 81 inter 2000 backup cookie A', (s) => [s.check, s.checkPort, s.interMs, s.backup, s.cookie], [true, 81, 2000, true, 'A']],
];
for (const [opts, get, want] of OPTIONS) {
  test(`server option: '${opts}'`, () => {
    assert.deepEqual(get(server(`s 10.0.0.1:80 ${opts}`)), want);
  });
}

test('server: mapped port with check needs a check port (fatal, legacy wording)', () => {
  const e = parseError(`listen px 127.0.0.1:8080\n mode tcp\n balance\n server tse 10.0.0.1 check\n`);
  assert.equal(e.line, 4);
  assert.equal(e.text, 'server tse has neither service port nor check port. Check has been disabled.');
  assert.equal(server('s 10.0.0.1 check port 80').checkPort, 80);
});

const BAD: readonly (readonly [string, RegExp])[] = [
  ['s 10.0.0.1:80 frob', /^server s only supports options 'backup', 'cookie', 'check', 'inter', 'rise', 'fall', 'port', 'addr', 'source', 'minconn', 'maxconn' and 'weight'\.$/],
  ['s 10.0.0.1:80 weight 0', /^weight of server s is not within 1 and 256 \(0\)\.$/],
  ['s 10.0.0.1:80 weight 257', /^weight of server s is not within 1 and 256 \(257\)\.$/],
  ['s 10.0.0.1:80 weight', /'weight' expects an integer as argument \(server 's'\)/],
  ['s 10.0.0.1:80 cookie', /'cookie' expects a cookie value as argument/],
  ['s 10.0.0.1:80 inter 0', /'inter' expects a strictly positive time/],
  ['s 10.0.0.1:80 inter x', /'inter' expects a strictly positive time/],
  ['s 10.0.0.1:80 rise 0', /'rise' expects a strictly positive integer/],
  ['s 10.0.0.1:80 fall x', /'fall' expects an integer argument/],
  ['s 10.0.0.1:80 port 0', /invalid check port '0'/],
  ['s 10.0.0.1:80 port 70000', /invalid check port '70000'/],
  ['s 10.0.0.1:80 maxconn -1', /'maxconn' expects an integer argument/],
  ['s 10.0.0.1:80 addr 10.0.0.2:81', /'addr' expects an address without a port/],
  ['s 10.0.0.1:80 addr', /'addr' expects an address as argument/],
  ['s 10.0.0.1:80 source', /^'source' expects <addr>\[:<port>\] as argument\.$/],
  ['s 10.0.0.1:80 source 1.2.3.4:x', /Invalid port 'x'/],
  ['s 10.0.0.1:99999', /Invalid port '99999' specified for address '10.0.0.1:99999'/],
  ['s 10.0.0.1:+x', /Invalid port offset '\+x'/],
  ['s 10.0.0.1:http', /Invalid port 'http'/],
  ['s unknown.host.example:80', /^Invalid server name: 'unknown.host.example' \(host name not resolved\)\.$/],
  ['s ::1', /Invalid server (address|name)/],
  ['s bad/host', /Invalid server address: 'bad\/host'/],
];
for (const [line, message] of BAD) {
  test(`server error: '${line}'`, () => {
    const e = parseError(`listen px 127.0.0.1:8080\n mode http\n balance\n server ${line}\n`);
    assert.equal(e.line, 4);
    assert.equal(e.keyword, 'server');
    assert.match(e.text, message);
  });
}

test('server: minconn above maxconn is pointed out', () => {
  const r = parse(`listen px 127.0.0.1:8080\n mode http\n balance\n server s 1.1.1.1:80 maxconn 5 minconn 10\n`);
  assert.ok(r.diagnostics.some((d) => /'minconn' \(10\) is above 'maxconn' \(5\)/.test(d.message)));
});

test('server: servers keep declaration order; names and cookies may repeat', () => {
  const r = parse(`listen px 127.0.0.1:8080\n mode http\n balance\n cookie S insert\n server a 1.1.1.1:80 cookie A\n server b 1.1.1.2:80 cookie A backup\n server a 1.1.1.3:80\n`);
  assert.deepEqual(r.config.proxies[0]?.servers.map((s) => [s.name, s.cookie, s.backup]), [['a', 'A', false], ['b', 'A', true], ['a', undefined, false]]);
});
