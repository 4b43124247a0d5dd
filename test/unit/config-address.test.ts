// Address forms (spec §3.3, §5.4): listen lists, server ports, sources, networks, log targets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse, parseError } from '../support/config-helpers.js';

function binds(list: string): string[] {
  const r = parse(`listen px\n bind ${list}\n dispatch 1.1.1.1:80\n`);
  return (r.config.proxies[0]?.binds ?? []).map((b) => `${b.family}|${b.host}|${b.port}-${b.portEnd}`);
}

const BINDS: readonly (readonly [string, readonly string[]])[] = [
  [':80', ['4|0.0.0.0|80-80']],
  ['*:80', ['4|0.0.0.0|80-80']],
  ['0.0.0.0:80', ['4|0.0.0.0|80-80']],
  ['10.0.0.1:1-3', ['4|10.0.0.1|1-3']],
  ['10.0.0.1:65535', ['4|10.0.0.1|65535-65535']],
  [':80,:81', ['4|0.0.0.0|80-80', '4|0.0.0.0|81-81']],
  [':1,:2,:3,:4,:5', ['4|0.0.0.0|1-1', '4|0.0.0.0|2-2', '4|0.0.0.0|3-3', '4|0.0.0.0|4-4', '4|0.0.0.0|5-5']],
  ['[::]:80', ['6|::|80-80']],
  ['[::1]:80-81', ['6|::1|80-81']],
  [':::80', ['6|::|80-80']],
  ['2001:db8::1:443', ['6|2001:db8::1|443-443']],
  ['[2001:db8::1]:443,127.0.0.1:444', ['6|2001:db8::1|443-443', '4|127.0.0.1|444-444']],
  ['localhost:80', ['4|127.0.0.1|80-80']],
  ['v6.example:80', ['6|2001:db8::1|80-80']],
];
for (const [list, want] of BINDS) {
  test(`bind ${list}`, () => assert.deepEqual(binds(list), want));
}

const BAD_BINDS: readonly (readonly [string, RegExp])[] = [
  ['80', /^'bind' expects \[addr1\]/],
  [':80,80', /^Missing port number: '80'$/],
  ['10.0.0.1:', /^Missing port number: '10.0.0.1:'$/],
  [':-80', /^Missing port number/],
  [':80-', /Invalid port '80-'/],
  [':0-5', /Invalid port '0'/],
  [':5-70000', /Invalid port '70000'/],
  [':a-b', /Invalid port 'a-b'/],
  [',:80', /Invalid server address/],
  [':80,,:81', /Invalid server address/],
  ['[::1]80', /Missing port number/],
  ['[zz]:80', /Invalid server address: '\[zz\]:80'/],
  ['bad_host!:80', /Invalid server address/],
  ['300.1.1.1:80', /Invalid server name: '300\.1\.1\.1'/],
];
for (const [list, message] of BAD_BINDS) {
  test(`bind error: ${list}`, () => {
    const e = parseError(`listen px\n bind ${list}\n dispatch 1.1.1.1:80\n`);
    assert.equal(e.line, 2);
    assert.match(e.text, message);
  });
}

test('networks: CIDR, dotted masks, IPv6; bad masks', () => {
  const nets = ['10.0.0.0/8', '10.0.0.0/255.0.0.0', '10.1.2.3/255.255.255.255', '10.0.0.0/0', '::1', 'fe80::/10'].map((n) => {
    const p = parse(`listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n option forwardfor except ${n}\n`).config.proxies[0];
    const e = p?.forwardFor?.except;
    return `${e?.address}/${e?.prefixLength}/${e?.family}`;
  });
  assert.deepEqual(nets, ['10.0.0.0/8/4', '10.0.0.0/8/4', '10.1.2.3/32/4', '10.0.0.0/0/4', '::1/128/6', 'fe80::/10/6']);
  for (const bad of ['10.0.0.0/255.0.255.0', '10.0.0.0/33', '::1/129', '::1/255.0.0.0', '10.0.0/8', 'host/8', '10.0.0.0/']) {
    assert.throws(() => parse(`listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n monitor-net ${bad}\n`), /mask|network/, bad);
  }
});

test('sources: any address, ports, IPv6', () => {
  const src = (s: string) => parse(`listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n source ${s}\n`).config.proxies[0]?.source;
  assert.deepEqual(src('*:0'), { host: '0.0.0.0', family: 4, port: 0 });
  assert.deepEqual(src(':1234'), { host: '0.0.0.0', family: 4, port: 1234 });
  assert.deepEqual(src('[::1]:5'), { host: '::1', family: 6, port: 5 });
  assert.deepEqual(src('[::1]'), { host: '::1', family: 6, port: 0 });
  assert.throws(() => src('[::1'), /Invalid source address/);
});

test('a UTF-8 byte order mark at the start of a file is skipped with a warning', () => {
  const r = parse('\xef\xbb\xbflisten px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n');
  assert.equal(r.config.proxies[0]?.name, 'px');
  assert.deepEqual(r.diagnostics.map((d) => d.message), ['parsing [test.cfg:1] : ignoring the UTF-8 byte order mark at the start of the file.']);
});
