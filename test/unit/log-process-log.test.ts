// The process log: HAProxy's stderr lines or pino JSON, and the quiet/verbose/daemon rules.
process.env.TZ = 'UTC';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProcessLog, processLogFormatOf, type ProcessLogOptions } from '../../src/log/process-log.js';

function capture(options: Omit<ProcessLogOptions, 'sink'>) {
  const lines: string[] = [];
  const log = createProcessLog({ ...options, sink: { write: (l: string) => lines.push(l) } });
  return { log, lines };
}

const LEGACY = /^\[(ALERT|WARNING)\] \d{3}\/\d{6} \(4242\) : (.*)\n$/;

test('legacy rendering: alerts and warnings in HAProxy format, notices and info not shown', () => {
  const { log, lines } = capture({ quiet: false, verbose: false, format: 'legacy', pid: 4242 });
  log.alert('Proxy webfarm has no server available !');
  log.warning('Server webfarm/webA is DOWN.');
  log.notice('Proxy webfarm started.');
  log.info('x');
  assert.equal(lines.length, 2);
  assert.deepEqual(LEGACY.exec(lines[0])?.slice(1), ['ALERT', 'Proxy webfarm has no server available !']);
  assert.deepEqual(LEGACY.exec(lines[1])?.slice(1), ['WARNING', 'Server webfarm/webA is DOWN.']);
});

test('legacy date field: 0-based day of year and local HHMMSS of the event', () => {
  const { log, lines } = capture({ quiet: false, verbose: false, format: 'legacy', pid: 1 });
  const before = new Date();
  log.warning('w');
  const m = /^\[WARNING\] (\d{3})\/(\d{2})(\d{2})(\d{2}) \(1\) : w\n$/.exec(lines[0]);
  assert.ok(m, lines[0]);
  const dayOfYear = Math.floor((Date.UTC(before.getFullYear(), before.getMonth(), before.getDate()) - Date.UTC(before.getFullYear(), 0, 1)) / 86400000);
  assert.equal(Number(m[1]), dayOfYear);
  assert.ok(Number(m[2]) < 24 && Number(m[3]) < 60 && Number(m[4]) < 60);
});

test('json rendering: one pino line per message with a level name, notices included', () => {
  const { log, lines } = capture({ quiet: false, verbose: false, format: 'json', pid: 4242 });
  log.alert('a');
  log.warning('w');
  log.notice('n');
  log.info('i');
  const recs = lines.map((l) => JSON.parse(l) as { level: string; msg: string; pid: number; time: number });
  assert.deepEqual(recs.map((r) => [r.level, r.msg, r.pid]), [['alert', 'a', 4242], ['warning', 'w', 4242], ['notice', 'n', 4242], ['info', 'i', 4242]]);
  assert.ok(recs.every((r) => typeof r.time === 'number'));
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
});

test('quiet: warnings hidden; alerts shown while starting, hidden after started()', () => {
  const { log, lines } = capture({ quiet: true, verbose: false, format: 'legacy' });
  log.warning('w1');
  log.alert('a1');
  log.started();
  log.alert('a2');
  log.warning('w2');
  assert.deepEqual(lines.map((l) => l.replace(/^.* : /, '')), ['a1\n']);
});

test('verbose overrides quiet', () => {
  const { log, lines } = capture({ quiet: true, verbose: true, format: 'legacy' });
  log.warning('w1');
  log.started();
  log.alert('a2');
  assert.equal(lines.length, 2);
});

test('daemon: quiet during startup, nothing at all once started (even verbose)', () => {
  const { log, lines } = capture({ quiet: false, verbose: true, daemon: true, format: 'legacy' });
  log.alert('a1');
  log.warning('w1');
  log.started();
  log.alert('a2');
  log.warning('w2');
  assert.deepEqual(lines.map((l) => l.replace(/^.* : /, '')), ['a1\n', 'w1\n']);
  const quietDaemon = capture({ quiet: false, verbose: false, daemon: true, format: 'legacy' });
  quietDaemon.log.warning('w');
  quietDaemon.log.alert('a');
  assert.deepEqual(quietDaemon.lines.map((l) => l.replace(/^.* : /, '')), ['a\n']);
});

test('format selection: option, then $TSPROXY_LOG_FORMAT, else legacy', () => {
  assert.equal(processLogFormatOf('json', {}), 'json');
  assert.equal(processLogFormatOf(undefined, { TSPROXY_LOG_FORMAT: 'JSON' }), 'json');
  assert.equal(processLogFormatOf('legacy', { TSPROXY_LOG_FORMAT: 'json' }), 'legacy');
  assert.equal(processLogFormatOf(undefined, {}), 'legacy');
  assert.equal(processLogFormatOf('nonsense', {}), 'legacy');
});
