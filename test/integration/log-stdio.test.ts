// Real child processes: `log stdout` / `log stderr` targets (raw lines), the `log /dev/log`
// fallback warning, and a process-log alert printed right before process.exit().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const proxyLoggerUrl = new URL('../../src/log/proxy-logger.js', import.meta.url).href;
const processLogUrl = new URL('../../src/log/process-log.js', import.meta.url).href;

function runModule(code: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'latin1',
    timeout: 20000,
    env: { ...process.env, TZ: 'UTC', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const target = (kind: string, maxLevel = 7, path = '') => `{ kind: '${kind}', path: '${path}', facility: 16, maxLevel: ${maxLevel}, place: { file: 't', line: 1 } }`;
const config = (logs: string, extra = '') => `{
  name: 'webfarm', mode: 'http', logs: [${logs}], captureRequestHeaders: [], captureResponseHeaders: [],
  options: { httplog: false, tcplog: false, dontlognull: false ${extra} } }`;

test('log stdout / log stderr: the message alone, one line each, level filter applied', () => {
  const r = runModule(`
    import { createProxyLogger } from '${proxyLoggerUrl}';
    const out = createProxyLogger(${config(target('stdout'))});
    const err = createProxyLogger(${config(target('stderr', 5))});
    out.send(6, 'Connect line on stdout');
    out.logConnect('127.0.0.1', 1, '127.0.0.1', 2);
    err.send(6, 'info: filtered out');
    err.send(5, 'Proxy webfarm started.');
    err.send(1, 'Server webfarm/webA is DOWN.');
    out.close(); err.close();
  `);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'Connect line on stdout\nConnect from 127.0.0.1:1 to 127.0.0.1:2 (webfarm/HTTP)\n');
  assert.equal(r.stderr, 'Proxy webfarm started.\nServer webfarm/webA is DOWN.\n');
});

test('log /dev/log: one warning naming the UDP fallback, through the process log when given', () => {
  const r = runModule(`
    import { createProxyLogger } from '${proxyLoggerUrl}';
    import { createProcessLog } from '${processLogUrl}';
    const a = createProxyLogger(${config(target('unix', 7, '/dev/log'))});
    const b = createProxyLogger(${config(target('unix', 7, '/dev/log'))}, { processLog: createProcessLog({ quiet: false, verbose: false, format: 'json' }) });
    a.send(6, 'x'); b.send(6, 'y');
    a.close(); b.close();
  `);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0], /^\[WARNING\] \d{3}\/\d{6} \(\d+\) : log \/dev\/log for proxy webfarm : unix datagram sockets are not available in Node\.js, sending these logs to 127\.0\.0\.1:514 over UDP instead/);
  const json = JSON.parse(lines[1]) as { level: string; msg: string };
  assert.equal(json.level, 'warning');
  assert.match(json.msg, /sending these logs to 127\.0\.0\.1:514 over UDP/);
});

test('an alert right before process.exit() is printed, in both formats', () => {
  for (const format of ['legacy', 'json']) {
    const r = runModule(`
      import { createProcessLog } from '${processLogUrl}';
      const log = createProcessLog({ quiet: false, verbose: false });
      log.alert('Starting proxy webfarm: cannot bind socket [127.0.0.1:1]');
      process.exit(1);
    `, { TSPROXY_LOG_FORMAT: format });
    assert.equal(r.status, 1);
    if (format === 'legacy') assert.match(r.stderr, /^\[ALERT\] \d{3}\/\d{6} \(\d+\) : Starting proxy webfarm: cannot bind socket \[127\.0\.0\.1:1\]\n$/);
    else assert.equal((JSON.parse(r.stderr) as { msg: string }).msg, 'Starting proxy webfarm: cannot bind socket [127.0.0.1:1]');
  }
});

test('stderr closed (daemon): writes are dropped silently, the process carries on', () => {
  const r = runModule(`
    import { closeSync } from 'node:fs';
    import { createProcessLog } from '${processLogUrl}';
    import { createProxyLogger } from '${proxyLoggerUrl}';
    const log = createProcessLog({ quiet: false, verbose: false });
    const px = createProxyLogger(${config(target('stderr'))});
    closeSync(2);
    log.alert('lost');
    px.send(1, 'lost too');
    process.stdout.write('alive\\n');
  `);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'alive\n');
});
