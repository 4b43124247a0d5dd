// monitor-net matching (spec §11.1) and address helpers, from tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileMonitorNets, plainAddress } from '../../src/runtime/monitor-net.js';
import { bindKey } from '../../src/runtime/listener.js';
import type { Network } from '../../src/config/model.js';

const v4 = (address: string, prefixLength: number): Network => ({ address, family: 4, prefixLength });
const v6 = (address: string, prefixLength: number): Network => ({ address, family: 6, prefixLength });

test('monitor-net: IPv4, IPv6 and v4-mapped clients', () => {
  const m = compileMonitorNets([v4('192.168.1.252', 31), v6('2001:db8::', 32)])!;
  const table: [string, boolean][] = [
    ['192.168.1.252', true],
    ['192.168.1.253', true],
    ['192.168.1.254', false],
    ['192.168.1.251', false],
    ['::ffff:192.168.1.253', true],
    ['::ffff:192.168.1.254', false],
    ['2001:db8::1', true],
    ['2001:db8:ffff::1', true],
    ['2001:db9::1', false],
    ['::1', false],
    ['', false],
    ['garbage', false],
  ];
  for (const [ip, exp] of table) assert.equal(m(ip), exp, ip);
});

test('monitor-net: a /32 matches one address; mask 0 disables; none configured = no matcher', () => {
  const one = compileMonitorNets([v4('10.0.0.1', 32)])!;
  assert.equal(one('10.0.0.1'), true);
  assert.equal(one('10.0.0.2'), false);
  assert.equal(compileMonitorNets([v4('0.0.0.0', 0)]), undefined);
  assert.equal(compileMonitorNets([]), undefined);
});

test('plainAddress and bindKey', () => {
  assert.equal(plainAddress('::ffff:127.0.0.1'), '127.0.0.1');
  assert.equal(plainAddress('::1'), '::1');
  assert.equal(plainAddress('10.1.2.3'), '10.1.2.3');
  assert.equal(plainAddress(undefined), '');
  assert.equal(bindKey('0.0.0.0', 80), '0.0.0.0:80');
  assert.equal(bindKey('::', 8080), ':::8080');
});
