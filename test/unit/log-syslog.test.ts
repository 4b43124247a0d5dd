// Syslog framing (spec §12.1): <PRI>, RFC 3164 header without hostname, 1024-byte cap, tag choice.
process.env.TZ = 'UTC';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameSyslog, priPrefixes, resolveTag, syslogPriority, syslogTagPart, MAX_SYSLOG_BYTES } from '../../src/log/syslog.js';
import { syslogTimestamp } from '../../src/log/clock.js';

test('PRI = facility * 8 + level', () => {
  assert.equal(syslogPriority(16, 6), 134); // local0.info
  assert.equal(syslogPriority(16, 5), 133); // local0.notice
  assert.equal(syslogPriority(16, 1), 129); // local0.alert
  assert.equal(syslogPriority(16, 0), 128); // local0.emerg
  assert.equal(syslogPriority(0, 0), 0);
  assert.equal(syslogPriority(23, 7), 191);
  assert.deepEqual(priPrefixes(16), ['<128>', '<129>', '<130>', '<131>', '<132>', '<133>', '<134>', '<135>']);
});

test('datagram: header, message, trailing newline added once', () => {
  const header = syslogTimestamp(new Date(Date.UTC(2026, 10, 5, 14, 56, 0))) + ' ' + syslogTagPart('tsproxy', 4242);
  assert.equal(frameSyslog('<133>', header, 'Proxy webfarm started.').toString('latin1'), '<133>Nov  5 14:56:00 tsproxy[4242]: Proxy webfarm started.\n');
  assert.equal(frameSyslog('<133>', header, 'x\n').toString('latin1'), '<133>Nov  5 14:56:00 tsproxy[4242]: x\n');
});

test('latin1 text goes out byte for byte, wider text as UTF-8', () => {
  assert.deepEqual([...frameSyslog('', '', 'caf\xe9')], [0x63, 0x61, 0x66, 0xe9, 0x0a]);
  assert.deepEqual([...frameSyslog('', '', '\u20ac')], [0xe2, 0x82, 0xac, 0x0a]);
});

test('whole packet capped at 1024 bytes, last byte forced to newline', () => {
  const buf = frameSyslog('<134>', 'Nov 25 14:56:00 tsproxy[1]: ', 'x'.repeat(5000));
  assert.equal(buf.length, MAX_SYSLOG_BYTES);
  assert.equal(buf[1023], 0x0a);
  assert.equal(buf[1022], 0x78);
  const exact = frameSyslog('', '', 'y'.repeat(1023));
  assert.equal(exact.length, 1024);
  assert.equal(exact.toString('latin1'), 'y'.repeat(1023) + '\n');
});

test('tag: option, then $TSPROXY_SYSLOG_TAG, then tsproxy', () => {
  assert.equal(resolveTag('haproxy', { TSPROXY_SYSLOG_TAG: 'x' }), 'haproxy');
  assert.equal(resolveTag(undefined, { TSPROXY_SYSLOG_TAG: 'haproxy' }), 'haproxy');
  assert.equal(resolveTag(undefined, {}), 'tsproxy');
  assert.equal(resolveTag('', {}), 'tsproxy');
});
