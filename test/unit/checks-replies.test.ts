// The httpchk reply rule, the ssl-hello-chk reply rule and the CLIENT HELLO bytes (spec §8.2, §8.3,
// observed-legacy.md "Health checks").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildSslClientHello,
  httpCheckReplyOk,
  SSL_HELLO_LENGTH,
  SSL_HELLO_RANDOM,
  SSL_HELLO_TIME_OFFSET,
  sslHelloReplyOk,
} from '../../src/checks/replies.js';

const b = (s: string) => Buffer.from(s, 'latin1');

const httpTable: { reply: string; ok: boolean; why: string }[] = [
  { reply: 'HTTP/1.0 200 OK\r\n\r\n', ok: true, why: '200' },
  { reply: 'HTTP/1.1 200 OK\r\n\r\n', ok: true, why: 'HTTP/1.1' },
  { reply: 'HTTP/1.0 302 Found\r\n', ok: true, why: '302' },
  { reply: 'HTTP/1.0 399 X\r\n', ok: true, why: '399' },
  { reply: 'HTTP/1.0 2000', ok: true, why: '`HTTP/1.0 2000` (13 bytes) is UP' },
  { reply: 'HTTP/1.0 200 ', ok: true, why: 'exactly 13 bytes' },
  { reply: 'HTTP/1.0 200', ok: false, why: '12 bytes is DOWN' },
  { reply: 'HTTP/1.0 404 Not Found\r\n\r\n', ok: false, why: '404' },
  { reply: 'HTTP/1.0 500 Error\r\n\r\n', ok: false, why: '500' },
  { reply: 'HTTP/1.0 100 Continue\r\n\r\n', ok: false, why: '1xx' },
  { reply: 'XTTP/1.0 200 OK\r\n\r\n', ok: false, why: 'XTTP' },
  { reply: 'HTTP/2.0 200 OK\r\n\r\n', ok: false, why: 'HTTP/2.0' },
  { reply: 'http/1.0 200 OK\r\n\r\n', ok: false, why: 'lower-case protocol' },
  { reply: 'HTTP/1.9 250 whatever', ok: true, why: 'any 1.x minor, only the 10th byte is judged' },
  { reply: 'HTTP/1.0  200 OK\r\n', ok: false, why: 'extra space moves the digit' },
  { reply: 'HTTP/1.0 2xx ', ok: true, why: 'only the first digit is looked at' },
  { reply: '', ok: false, why: 'empty read' },
  { reply: 'SSH-2.0-OpenSSH_9.0\r\n', ok: false, why: 'not HTTP' },
];

for (const row of httpTable) {
  test(`httpchk reply ${JSON.stringify(row.reply)}: ${row.ok ? 'UP' : 'DOWN'} (${row.why})`, () => {
    assert.equal(httpCheckReplyOk(b(row.reply)), row.ok);
  });
}

test('ssl-hello-chk replies: >= 5 bytes starting with 0x15 or 0x16', () => {
  assert.equal(sslHelloReplyOk(Buffer.from([0x16, 3, 0, 0, 4])), true);
  assert.equal(sslHelloReplyOk(Buffer.from([0x15, 3, 0, 0, 2, 2, 40])), true);
  assert.equal(sslHelloReplyOk(Buffer.from([0x16, 3, 0, 0])), false);
  assert.equal(sslHelloReplyOk(Buffer.from([0x17, 3, 0, 0, 4])), false);
  assert.equal(sslHelloReplyOk(b('HTTP/1.0 400 Bad request\r\n')), false);
  assert.equal(sslHelloReplyOk(Buffer.alloc(0)), false);
});

test('the SSLv3 CLIENT HELLO is 126 bytes laid out as spec §8.3 says', () => {
  const time = 0x5f5e1234;
  const hello = buildSslClientHello(time);
  assert.equal(hello.length, SSL_HELLO_LENGTH);
  assert.equal(hello.length, 126);
  assert.equal(hello[0], 0x16, 'record type handshake');
  assert.deepEqual([...hello.subarray(1, 3)], [3, 0], 'record version SSL 3.0');
  assert.equal(hello.readUInt16BE(3), 126 - 5, 'record length');
  assert.equal(hello[5], 0x01, 'CLIENT HELLO');
  assert.equal(hello.readUIntBE(6, 3), 126 - 9, 'handshake length');
  assert.deepEqual([...hello.subarray(9, 11)], [3, 0], 'client version 3.0');
  assert.equal(SSL_HELLO_TIME_OFFSET, 11);
  assert.equal(hello.readUInt32BE(11), time, 'bytes 11-14 = unix time');
  assert.equal(hello.subarray(15, 43).toString('latin1'), SSL_HELLO_RANDOM);
  assert.equal(SSL_HELLO_RANDOM, 'HAPROXYSSLCHK\nHAPROXYSSLCHK\n');
  assert.equal(hello[43], 0, 'no session id');
  assert.equal(hello.readUInt16BE(44), 78, '39 cipher suites');
  const suites: number[] = [];
  for (let i = 0; i < 39; i++) suites.push(hello.readUInt16BE(46 + i * 2));
  const expected = [...Array.from({ length: 27 }, (_, i) => i + 1), ...Array.from({ length: 12 }, (_, i) => 0x2f + i)];
  assert.deepEqual(suites, expected);
  assert.deepEqual([...hello.subarray(124)], [1, 0], 'one NULL compression method');
});

test('the hello carries the time given, and only the time changes', () => {
  const a = buildSslClientHello(1);
  const c = buildSslClientHello(0xffffffff);
  assert.equal(c.readUInt32BE(11), 0xffffffff);
  const diff = [...a].map((v, i) => (v !== c[i] ? i : -1)).filter((i) => i >= 0);
  assert.deepEqual(diff, [11, 12, 13, 14]);
});
