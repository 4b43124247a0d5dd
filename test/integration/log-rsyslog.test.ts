// docs/logging.md's rsyslog snippet against the real rsyslogd (skipped when it is not installed):
// imudp on a free loopback port, the programname filter, and tsproxy's legacy datagrams filed by tag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { createProxyLogger } from '../../src/log/proxy-logger.js';
import { LOG_ALERT, LOG_NOTICE } from '../../src/log/types.js';
import { proxyConfig, record, udpTarget } from '../support/log-fixtures.js';

const rsyslogd = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'].find((p) => existsSync(p));

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The snippet of docs/logging.md section 6, with the port and paths of this test. */
function snippetFromDocs(port: number, file: string): string {
  const doc = readFileSync(new URL('../../../docs/logging.md', import.meta.url), 'utf8');
  const m = /```\n(# tsproxy: receive legacy UDP syslog[\s\S]*?)```/.exec(doc);
  assert.ok(m, 'snippet found in docs/logging.md');
  return m[1].replace('port="514"', `port="${port}"`).replace('/var/log/tsproxy.log', file);
}

async function waitForLines(file: string, n: number, timeoutMs = 5000): Promise<string[]> {
  const start = Date.now();
  for (let i = 0; i < 500 && Date.now() - start < timeoutMs; i++) {
    const lines = existsSync(file) ? readFileSync(file, 'latin1').split('\n').filter((l) => l !== '') : [];
    if (lines.length >= n) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
  return existsSync(file) ? readFileSync(file, 'latin1').split('\n').filter((l) => l !== '') : [];
}

test('rsyslogd files tsproxy lines by programname with the documented snippet', { skip: rsyslogd === undefined ? 'rsyslogd not installed' : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-rsyslog-'));
  const port = await freeUdpPort();
  const tsproxyLog = join(dir, 'tsproxy.log');
  const otherLog = join(dir, 'other.log');
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(workDirectory="${dir}")\n` +
      snippetFromDocs(port, tsproxyLog) +
      `\n:programname, startswith, "haproxy" {\n  ${join(dir, 'haproxy.log')}\n  stop\n}\n*.* ${otherLog}\n`,
  );
  const check = spawnSync(rsyslogd as string, ['-N1', '-f', conf], { encoding: 'utf8', timeout: 10000 });
  assert.equal(check.status, 0, check.stderr);
  const daemon = spawn(rsyslogd as string, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: 'ignore' });
  const tsproxy = createProxyLogger(proxyConfig({ logs: [udpTarget(port)], options: { httplog: true } }), { tag: 'tsproxy' });
  const haproxyTagged = createProxyLogger(proxyConfig({ logs: [udpTarget(port)] }), { tag: 'haproxy' });
  t.after(() => {
    tsproxy.close();
    haproxyTagged.close();
    if (daemon.exitCode === null && daemon.pid !== undefined) process.kill(daemon.pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  // rsyslogd needs a moment to open its input: send until the first line is filed (bounded)
  let lines: string[] = [];
  for (let i = 0; i < 100 && lines.length === 0; i++) {
    tsproxy.send(LOG_NOTICE, 'Proxy webfarm started.');
    lines = await waitForLines(tsproxyLog, 1, 100);
  }
  assert.ok(lines.length > 0, 'rsyslogd never filed a line');
  const before = lines.length;
  tsproxy.logTraffic(record({ requestLine: 'GET /a"b HTTP/1.0' }));
  haproxyTagged.send(LOG_ALERT, 'Server webfarm/webA is DOWN.');
  lines = await waitForLines(tsproxyLog, before + 1);
  assert.match(lines[lines.length - 1], new RegExp(`tsproxy\\[${process.pid}\\]: 127\\.0\\.0\\.1:40000 \\[[^\\]]+\\] webfarm webA 0/0/0/2/3 200 78 - - --NN 0/0/0 0/0 "GET /a#22b HTTP/1\\.0"$`));
  const haproxyLines = await waitForLines(join(dir, 'haproxy.log'), 1);
  assert.match(haproxyLines[0] ?? '', new RegExp(`haproxy\\[${process.pid}\\]: Server webfarm/webA is DOWN\\.$`));
  assert.ok(!existsSync(otherLog) || !readFileSync(otherLog, 'latin1').includes('webfarm'), 'nothing fell through to the catch-all');
});
