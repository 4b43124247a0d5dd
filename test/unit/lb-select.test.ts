// Server selection as pure functions (spec §7.1-§7.8, DESIGN.md decisions 8-9), from tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServerMap } from '../../src/lb/server-map.js';
import { sourceHash } from '../../src/lb/source-hash.js';
import {
  destinationPort,
  dynamicMaxconn,
  effectiveLimits,
  eligibleServers,
  findServerByCookie,
  pickBySource,
  pickRoundRobin,
  serverMap,
  type LbServer,
} from '../../src/lb/select.js';
import { Balancer } from '../../src/lb/balancer.js';

interface S extends LbServer {
  name: string;
  index: number;
  backup: boolean;
  weight: number;
  usable: boolean;
  cookie: string | undefined;
  maintenance: boolean;
}

function srv(name: string, o: Partial<S> = {}): S {
  return { name, index: 0, backup: false, weight: 1, usable: true, cookie: undefined, maintenance: false, ...o };
}

function farm(...list: S[]): S[] {
  list.forEach((s, i) => (s.index = i));
  return list;
}

test('server map: the spec §7.1 example (weights 8/20/24)', () => {
  const map = buildServerMap([8, 20, 24]);
  assert.equal(map.length, 13);
  const slots = (i: number) => map.map((v, k) => (v === i ? k + 1 : 0)).filter((k) => k > 0);
  assert.deepEqual(slots(0), [1, 8]);
  assert.deepEqual(slots(1), [2, 4, 6, 10, 12]);
  assert.deepEqual(slots(2), [3, 5, 7, 9, 11, 13]);
});

test('server map: table', () => {
  const table: [number[], number[]][] = [
    [[], []],
    [[1], [0]],
    [[1, 1, 1], [0, 1, 2]],
    [[5, 5], [0, 1]],
    [[2, 1], [0, 0, 1]],
    [[1, 2], [0, 1, 1]],
    [[256, 256, 256], [0, 1, 2]],
  ];
  for (const [weights, expected] of table) assert.deepEqual(buildServerMap(weights), expected, `weights ${weights}`);
});

test('eligible servers: actives, else the first usable backup, else all backups with allbackups', () => {
  const a = srv('a');
  const b = srv('b');
  const k1 = srv('k1', { backup: true });
  const k2 = srv('k2', { backup: true });
  const names = (l: S[]) => l.map((s) => s.name);
  const all = farm(a, b, k1, k2);
  assert.deepEqual(names(eligibleServers(all, false)), ['a', 'b']);
  a.usable = false;
  assert.deepEqual(names(eligibleServers(all, false)), ['b']);
  assert.deepEqual(names(eligibleServers(all, false, b)), ['k1'], 'the excluded server counts as down');
  b.usable = false;
  assert.deepEqual(names(eligibleServers(all, false)), ['k1']);
  assert.deepEqual(names(eligibleServers(all, true)), ['k1', 'k2']);
  k1.usable = false;
  assert.deepEqual(names(eligibleServers(all, false)), ['k2']);
  k2.usable = false;
  assert.deepEqual(names(eligibleServers(all, true)), []);
  a.usable = true;
  a.weight = 0;
  assert.deepEqual(names(eligibleServers(all, true)), [], 'weight 0 takes no new traffic');
});

test('round robin walks the map and skips full servers', () => {
  const map = ['a', 'b', 'c'];
  const seq: string[] = [];
  let cursor = 0;
  for (let i = 0; i < 5; i++) {
    const r = pickRoundRobin(map, cursor, () => true)!;
    seq.push(r.server);
    cursor = r.cursor;
  }
  assert.deepEqual(seq, ['a', 'b', 'c', 'a', 'b']);
  assert.deepEqual(pickRoundRobin(map, 0, (s) => s !== 'a'), { server: 'b', cursor: 2 });
  assert.deepEqual(pickRoundRobin(map, 2, (s) => s === 'a'), { server: 'a', cursor: 1 });
  assert.equal(pickRoundRobin(map, 0, () => false), undefined);
  assert.equal(pickRoundRobin([], 0, () => true), undefined);
});

test('source hash: XOR of 32-bit words; v4-mapped hashes as IPv4', () => {
  assert.equal(sourceHash('1.2.3.4'), 0x01020304);
  assert.equal(sourceHash('::ffff:1.2.3.4'), 0x01020304);
  assert.equal(sourceHash('255.255.255.255'), 0xffffffff);
  assert.equal(sourceHash('2001:db8::1'), (0x20010db8 ^ 0 ^ 0 ^ 1) >>> 0);
  assert.equal(sourceHash('not an address'), 0);
  const servers = farm(srv('a'), srv('b'), srv('c'));
  const map = serverMap(servers);
  const pick = (ip: string) => pickBySource(map, servers, ip)!.name;
  assert.equal(pick('10.0.0.1'), pick('10.0.0.1'));
  assert.equal(pick('0.0.0.3'), 'a');
  assert.equal(pick('0.0.0.4'), 'b');
  assert.equal(pick('0.0.0.5'), 'c');
  assert.equal(pickBySource(map.slice(0, 1), servers.slice(0, 1), '0.0.0.5')!.name, 'a');
});

test('cookie lookup (spec §7.3, decision 9)', () => {
  const a = srv('webA', { cookie: 'A' });
  const b = srv('webB', { cookie: 'B' });
  const ka = srv('bkpA', { cookie: 'A', backup: true });
  const nc = srv('nocookie', { backup: true });
  const all = farm(a, b, ka, nc);
  const find = (v: string, persist = false) => {
    const r = findServerByCookie(all, v, persist);
    return [r.server?.name, r.down];
  };
  assert.deepEqual(find('A'), ['webA', false]);
  assert.deepEqual(find('B'), ['webB', false]);
  assert.deepEqual(find('Z'), [undefined, false]);
  assert.deepEqual(find(''), [undefined, false], 'empty value is invalid, never the cookie-less server');
  assert.deepEqual(find('a'), [undefined, false], 'case-sensitive');
  a.usable = false;
  assert.deepEqual(find('A'), ['bkpA', false], 'a down server\'s backup twin serves its clients');
  assert.deepEqual(find('A', true), ['webA', false], 'persist keeps the first matching server, down or not');
  ka.usable = false;
  assert.deepEqual(find('A'), [undefined, true], 'only down servers match: flag D');
  a.maintenance = true;
  assert.deepEqual(find('A', true), ['bkpA', false], 'persist never picks a server in maintenance');
});

test('dynamic maxconn and limits (spec §7.6)', () => {
  assert.deepEqual(effectiveLimits(0, 0), { maxconn: 0, minconn: 0 });
  assert.deepEqual(effectiveLimits(10, 0), { maxconn: 10, minconn: 10 });
  assert.deepEqual(effectiveLimits(0, 5), { maxconn: 5, minconn: 5 });
  assert.deepEqual(effectiveLimits(10, 3), { maxconn: 10, minconn: 3 });
  assert.deepEqual(effectiveLimits(10, 30), { maxconn: 10, minconn: 10 });
  const table: [number, number, number, number, number][] = [
    // maxconn, minconn, proxy sessions, fullconn, expected
    [0, 0, 50, 100, 0],
    [10, 10, 0, 100, 10],
    [10, 2, 0, 100, 2],
    [10, 2, 50, 100, 5],
    [10, 2, 99, 100, 9],
    [10, 2, 100, 100, 10],
    [10, 2, 500, 100, 10],
    [10, 2, 10, 100, 2],
  ];
  for (const [max, min, cur, full, exp] of table) assert.equal(dynamicMaxconn(max, min, cur, full), exp, `${max}/${min}/${cur}/${full}`);
});

test('destination port: absolute, mapped, offsets', () => {
  assert.equal(destinationPort({ kind: 'absolute', port: 80 }, 3389), 80);
  assert.equal(destinationPort({ kind: 'mapped', offset: 0 }, 3389), 3389);
  assert.equal(destinationPort({ kind: 'mapped', offset: 1000 }, 80), 1080);
  assert.equal(destinationPort({ kind: 'mapped', offset: -79 }, 80), 1);
  assert.equal(destinationPort({ kind: 'mapped', offset: -80 }, 80), 0);
  assert.equal(destinationPort({ kind: 'mapped', offset: 1 }, 65535), 0);
});

test('balancer: rotation, state changes, backups, source, exclusion', () => {
  const a = srv('a');
  const b = srv('b', { weight: 2 });
  const k = srv('k', { backup: true });
  const all = farm(a, b, k);
  const bal = new Balancer(all, 'roundrobin', false);
  const next = () => bal.pick('1.1.1.1', () => true).server?.name;
  assert.deepEqual([next(), next(), next(), next(), next(), next()], ['a', 'b', 'b', 'a', 'b', 'b']);
  a.usable = false;
  bal.invalidate();
  assert.deepEqual([next(), next()], ['b', 'b']);
  b.usable = false;
  bal.invalidate();
  assert.equal(next(), 'k');
  assert.equal(bal.isEligible(k), true);
  k.usable = false;
  bal.invalidate();
  assert.deepEqual(bal.pick('1.1.1.1', () => true), { server: undefined, full: false });
  a.usable = true;
  b.usable = true;
  bal.invalidate();
  assert.deepEqual(bal.pick('1.1.1.1', () => false), { server: undefined, full: true });
  assert.equal(bal.pick('1.1.1.1', () => true, a).server?.name, 'b');
  assert.equal(bal.pick('1.1.1.1', () => true, b).server?.name, 'a');
  const src = new Balancer(all, 'source', false);
  const first = src.pick('10.1.2.3', () => true).server;
  for (let i = 0; i < 5; i++) assert.equal(src.pick('10.1.2.3', () => true).server, first);
});
