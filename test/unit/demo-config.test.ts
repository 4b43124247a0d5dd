// The demo's configuration helpers: moving examples/demo.cfg onto other ports, reading the ports
// from the environment, and the built-in fallback copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { adaptDemoConfig, builtinDemoConfig, DEFAULT_PORTS, isDefaultPorts, portsFromEnv } from '../../src/demo/config.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const moved = { proxyPort: 18080, serverPorts: [19001, 19002, 19003, 19004] };

test('the shipped examples/demo.cfg can be moved onto other ports', () => {
  const text = readFileSync(`${ROOT}examples/demo.cfg`, 'utf8');
  const out = adaptDemoConfig(text, moved);
  assert.ok(out, 'examples/demo.cfg uses the default demo addresses');
  assert.match(out, /127\.0\.0\.1:18080/);
  for (const p of moved.serverPorts) assert.match(out, new RegExp(`127\\.0\\.0\\.1:${p}\\b`));
  assert.doesNotMatch(out, /127\.0\.0\.1:(8080|900[1-4])\b/);
});

test('a file without every default address is not half-moved', () => {
  assert.equal(adaptDemoConfig('listen x 127.0.0.1:8080\n    server a 127.0.0.1:9001\n', moved), null);
});

test('other addresses and ports are left alone', () => {
  const text = `${builtinDemoConfig(DEFAULT_PORTS)}    # 127.0.0.1:90011 and 10.0.0.1:8080 stay\n`;
  const out = adaptDemoConfig(text, moved) ?? '';
  assert.match(out, /127\.0\.0\.1:90011 and 10\.0\.0\.1:8080 stay/);
});

test('the built-in copy is the guide section 1 on loopback', () => {
  const text = builtinDemoConfig(DEFAULT_PORTS);
  for (const line of ['listen webfarm 127.0.0.1:8080', 'cookie SERVERID insert indirect', 'option httpchk HEAD /index.html HTTP/1.0', 'server webD 127.0.0.1:9004 cookie D check']) {
    assert.ok(text.includes(line), line);
  }
});

test('ports from the environment', () => {
  assert.deepEqual(portsFromEnv({}), DEFAULT_PORTS);
  assert.ok(isDefaultPorts(portsFromEnv({})));
  assert.deepEqual(portsFromEnv({ TSPROXY_DEMO_PORT: '18080', TSPROXY_DEMO_SERVER_PORTS: '19001, 19002,19003,19004' }), moved);
  assert.equal(isDefaultPorts(moved), false);
  for (const env of [
    { TSPROXY_DEMO_PORT: '0' },
    { TSPROXY_DEMO_PORT: '70000' },
    { TSPROXY_DEMO_PORT: 'http' },
    { TSPROXY_DEMO_SERVER_PORTS: '1,2,3' },
    { TSPROXY_DEMO_PORT: '9001' },
  ]) {
    assert.throws(() => portsFromEnv(env), Error, JSON.stringify(env));
  }
});
