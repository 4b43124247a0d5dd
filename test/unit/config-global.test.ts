// The `global` section (spec §4): every keyword with good and bad arguments.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import type { GlobalSettings } from '../../src/config/model.js';
import { listen, parse, parseError, warningsOf } from '../support/config-helpers.js';

function global(lines: string): GlobalSettings {
  return parse(`global\n${lines}\n${listen('')}`).config.global;
}

const GOOD: readonly (readonly [string, (g: GlobalSettings) => unknown, unknown])[] = [
  ['daemon', (g) => g.daemon, true],
  ['quiet', (g) => g.quiet, true],
  ['debug', (g) => g.debug, true],
  ['nbproc 4', (g) => g.nbproc, 4],
  ['', (g) => g.nbproc, 1],
  ['maxconn 4096', (g) => g.maxconn, 4096],
  ['', (g) => g.maxconn, undefined],
  ['uid 100', (g) => g.uid, 100],
  ['gid 101', (g) => g.gid, 101],
  ['user root', (g) => g.user, 'root'],
  ['group root', (g) => g.group, 'root'],
  ['pidfile /var/run/haproxy.pid', (g) => g.pidfile, '/var/run/haproxy.pid'],
  ['ulimit-n 65536', (g) => g.ulimitN, 65536],
  ['chroot /var/empty', (g) => g.chroot, '/var/empty'],
  ['noepoll', (g) => g.daemon, false],
  ['nopoll', (g) => g.daemon, false],
  ['log 127.0.0.1 local0', (g) => g.logs, [{ kind: 'udp', host: '127.0.0.1', family: 4, port: 514, facility: 16, maxLevel: 7, place: { file: 'test.cfg', line: 2 } }]],
  ['log 10.0.0.1:5140 daemon notice', (g) => [g.logs[0]?.facility, g.logs[0]?.maxLevel, (g.logs[0] as { port: number }).port], [3, 5, 5140]],
  ['log localhost kern emerg', (g) => [(g.logs[0] as { host: string }).host, g.logs[0]?.facility, g.logs[0]?.maxLevel], ['127.0.0.1', 0, 0]],
  ['log [::1]:514 local7 debug', (g) => [(g.logs[0] as { host: string; family: number }).family, g.logs[0]?.facility], [6, 23]],
  ['log /dev/log local0 info', (g) => [g.logs[0]?.kind, (g.logs[0] as { path: string }).path, g.logs[0]?.maxLevel], ['unix', '/dev/log', 6]],
  ['log stdout user', (g) => [g.logs[0]?.kind, g.logs[0]?.facility], ['stdout', 1]],
  ['log stderr local3 err', (g) => [g.logs[0]?.kind, g.logs[0]?.maxLevel], ['stderr', 3]],
  ['log 127.0.0.1 local0\n log 127.0.0.2 local1', (g) => g.logs.length, 2],
  // Later releases' `format`/`len` words are skipped (with a warning), not refused.
  ['log stdout format raw local0', (g) => [g.logs[0]?.kind, g.logs[0]?.facility, g.logs[0]?.maxLevel], ['stdout', 16, 7]],
  ['log 127.0.0.1:5140 len 4096 format rfc3164 local1 notice', (g) => [g.logs[0]?.kind, g.logs[0]?.facility, g.logs[0]?.maxLevel], ['udp', 17, 5]],
  ['stats socket /run/tsproxy.sock', (g) => [g.statsSocket?.path, g.statsSocket?.mode, g.statsSocket?.level], ['/run/tsproxy.sock', undefined, 'operator']],
  ['stats socket /run/t.sock mode 660 level admin', (g) => [g.statsSocket?.mode, g.statsSocket?.level], [0o660, 'admin']],
  ['stats socket /run/t.sock level operator mode 0600', (g) => [g.statsSocket?.mode, g.statsSocket?.level], [0o600, 'operator']],
  ['stats', (g) => g.statsSocket, undefined],
  ['stats socket /run/t.sock mode 660 level admin expose-fd listeners\n stats timeout 30s\n stats maxconn 10', (g) => g.statsSocket?.level, 'admin'],
  ['global\n daemon', (g) => g.daemon, true],
];

for (const [line, get, want] of GOOD) {
  test(`global: '${line.replace(/\n/g, ' / ')}'`, () => {
    assert.deepEqual(get(global(line)), want);
  });
}

test('global: several global sections merge', () => {
  const g = parse(`global\n daemon\n${listen('')}global\n nbproc 2\n`).config.global;
  assert.equal(g.daemon, true);
  assert.equal(g.nbproc, 2);
});

const BAD: readonly (readonly [string, number, RegExp])[] = [
  ['frobnicate', 2, /^unknown keyword 'frobnicate' in 'global' section$/],
  ['nbthread 4', 2, /unknown keyword 'nbthread' in 'global' section \(a keyword of later HAProxy releases/],
  ['tune.bufsize 16384', 2, /unknown keyword 'tune.bufsize' in 'global' section \(a keyword of later/],
  ['maxconn', 2, /^'maxconn' expects an integer argument\.$/],
  ['maxconn lots', 2, /^'maxconn' expects an integer argument, not 'lots'\.$/],
  ['maxconn 0', 2, /strictly positive/],
  ['nbproc -1', 2, /'nbproc' expects an integer argument/],
  ['uid x', 2, /'uid' expects an integer argument/],
  ['gid', 2, /'gid' expects an integer argument/],
  ['ulimit-n', 2, /'ulimit-n' expects an integer argument/],
  ['chroot', 2, /^'chroot' expects a directory as an argument\.$/],
  ['pidfile', 2, /^'pidfile' expects a file name as an argument\.$/],
  ['user', 2, /'user' expects a user name/],
  ['log', 2, /^'log' expects <address> and <facility> as arguments\.$/],
  ['log 127.0.0.1', 2, /^'log' expects <address> and <facility> as arguments\.$/],
  ['log 127.0.0.1 local9', 2, /^unknown log facility 'local9'$/],
  ['log 127.0.0.1 local0 verbose', 2, /^unknown optional log level 'verbose'$/],
  ['log global', 2, /'log global' is only allowed in 'listen' and 'defaults' sections/],
  ['log 127.0.0.1 local0\n log 127.0.0.1 local1\n log 127.0.0.1 local2', 4, /^too many syslog servers$/],
  ['log no.such.host local0', 2, /Invalid server name: 'no.such.host'/],
  ['log 127.0.0.1:99999 local0', 2, /Invalid port '99999'/],
  ['stats socket', 2, /'stats socket' expects a socket path/],
  ['stats socket /x mode 9', 2, /'mode' expects an octal file mode/],
  ['stats socket /x level root', 2, /'level' only supports 'user', 'operator' and 'admin'/],
  ['stats socket /x owner me', 2, /only supports 'mode <octal>' and 'level/],
  ['stats frob 30s', 2, /'stats' in 'global' section only supports 'socket/],
  ['stats socket /x expose-fd all', 2, /only supports 'mode <octal>'/],
];

for (const [line, lineNo, message] of BAD) {
  test(`global error: '${line.replace(/\n/g, ' / ')}' → line ${lineNo}`, () => {
    const e = parseError(`global\n ${line}\n${listen('')}`);
    assert.equal(e.file, 'test.cfg');
    assert.equal(e.line, lineNo);
    assert.match(e.text, message);
    assert.equal(e.message, `parsing [test.cfg:${lineNo}] : ${e.text}`);
  });
}

const ALREADY: readonly string[] = ['nbproc 2', 'maxconn 10', 'uid 5', 'gid 5', 'ulimit-n 100', 'chroot /x', 'pidfile /y'];
for (const line of ALREADY) {
  const kw = line.split(' ')[0] as string;
  test(`global: '${kw}' twice → non-fatal alert, first value kept`, () => {
    const r = parse(`global\n ${line}\n ${kw} 77\n${listen('')}`);
    const alerts = r.diagnostics.filter((d) => d.severity === 'alert');
    assert.deepEqual(alerts.map((d) => d.message), [`parsing [test.cfg:3] : '${kw}' already specified. Continuing.`]);
    const field = kw === 'ulimit-n' ? 'ulimitN' : kw;
    assert.notEqual((r.config.global as unknown as Record<string, unknown>)[field], kw === 'chroot' || kw === 'pidfile' ? '77' : 77);
  });
}

test('global: user after uid shares the guard', () => {
  const r = parse(`global\n uid 5\n user root\n${listen('')}`);
  assert.equal(r.config.global.user, undefined);
  assert.match(r.diagnostics[0]?.message ?? '', /user\/uid already specified\. Continuing\./);
});

test('global: chroot warns that Node.js cannot chroot, naming the line', () => {
  const w = warningsOf(`global\n chroot /var/empty\n${listen('')}`);
  assert.ok(w.some((m) => m.startsWith('parsing [test.cfg:2] : ') && /cannot chroot/.test(m)), w.join('\n'));
});

test('global: extra arguments are reported, not silently dropped', () => {
  const w = warningsOf(`global\n daemon now\n${listen('')}`);
  assert.ok(w.some((m) => m === "parsing [test.cfg:2] : 'daemon' ignores extra argument 'now'."), w.join('\n'));
});

test('global: unknown user or group names are errors (checked with getent)', (t) => {
  if (spawnSync('getent', ['passwd', 'root']).error) {
    t.skip('getent is not available here');
    return;
  }
  const u = parseError(`global\n user no-such-user-tsproxy-test\n${listen('')}`);
  assert.deepEqual([u.line, u.text], [2, "cannot find user id for 'no-such-user-tsproxy-test'."]);
  const g = parseError(`global\n group no-such-group-tsproxy-test\n${listen('')}`);
  assert.deepEqual([g.line, g.text], [2, "cannot find group id for 'no-such-group-tsproxy-test'."]);
});
