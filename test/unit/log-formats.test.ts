// Table tests for the traffic log formatters (spec §12.2–§12.6).
process.env.TZ = 'UTC';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeLogField,
  formatConnectLine,
  formatHttpLog,
  formatTcpLog,
  skippedAsNull,
  trafficFormatOf,
  MAX_REQUEST_LINE_CHARS,
} from '../../src/log/formats.js';
import { LogClock, acceptDate, syslogTimestamp } from '../../src/log/clock.js';
import { TERMINATION_TABLE } from '../../src/log/termination.js';
import { record } from '../support/log-fixtures.js';

const P = '127.0.0.1:40000 [25/Nov/2026:14:42:53] webfarm';

test('httplog: 1.2.14 layout, the observed guide 2.1 line', () => {
  assert.equal(formatHttpLog(record()), `${P} webA 0/0/0/2/3 200 78 - - --NN 0/0/0 0/0 "GET /URI1 HTTP/1.0"`);
});

test('httplog: table of field variations', () => {
  const rows: [Parameters<typeof record>[0], string][] = [
    // aborted before the end of the request (observed: <NOSRV>, -1 timers, status -1, CR)
    [
      { serverName: undefined, tq: -1, tw: -1, tc: -1, tr: -1, tt: 0, status: -1, bytesFromServer: 0, termination: 'CR', requestLine: undefined },
      `${P} <NOSRV> -1/-1/-1/-1/0 -1 0 - - CRNN 0/0/0 0/0 ""`,
    ],
    // 503: no server could be connected
    [
      { serverName: 'webA', tq: 1, tw: 0, tc: -1, tr: -1, tt: 5003, status: 503, bytesFromServer: 0, termination: 'sC', cookieFlags: '--' },
      `${P} webA 1/0/-1/-1/5003 503 0 - - sC-- 0/0/0 0/0 "GET /URI1 HTTP/1.0"`,
    ],
    // stats page
    [{ serverName: '<STATS>', tr: 0, tt: 1, termination: 'PR', cookieFlags: '--' }, `${P} <STATS> 0/0/0/0/1 200 78 - - PR-- 0/0/0 0/0 "GET /URI1 HTTP/1.0"`],
    // counters and queues in their places
    [
      { serverConnections: 3, proxyConnections: 7, processConnections: 11, serverQueue: 2, proxyQueue: 5 },
      `${P} webA 0/0/0/2/3 200 78 - - --NN 3/7/11 2/5 "GET /URI1 HTTP/1.0"`,
    ],
    // captured cookies are not encoded
    [
      { capturedRequestCookie: 'SERVERID=A', capturedResponseCookie: 'SERVERID=A; path=/"x"' },
      `${P} webA 0/0/0/2/3 200 78 SERVERID=A SERVERID=A; path=/"x" --NN 0/0/0 0/0 "GET /URI1 HTTP/1.0"`,
    ],
    // cookie flags observed in the guide runs
    [{ cookieFlags: 'VN' }, `${P} webA 0/0/0/2/3 200 78 - - --VN 0/0/0 0/0 "GET /URI1 HTTP/1.0"`],
    [{ cookieFlags: 'DI' }, `${P} webA 0/0/0/2/3 200 78 - - --DI 0/0/0 0/0 "GET /URI1 HTTP/1.0"`],
    // logasap: + on Tt and bytes
    [{ logasap: true, tt: 2, bytesFromServer: 120 }, `${P} webA 0/0/0/2/+2 200 +120 - - --NN 0/0/0 0/0 "GET /URI1 HTTP/1.0"`],
    // IPv6 client: address:port without brackets, as legacy printed it
    [{ clientAddress: '::1', clientPort: 5000 }, `::1:5000 [25/Nov/2026:14:42:53] webfarm webA 0/0/0/2/3 200 78 - - --NN 0/0/0 0/0 "GET /URI1 HTTP/1.0"`],
  ];
  for (const [over, want] of rows) assert.equal(formatHttpLog(record(over)), want, JSON.stringify(over));
});

test('httplog: every termination pair lands in the TCKS field', () => {
  for (const t of TERMINATION_TABLE) {
    const line = formatHttpLog(record({ termination: t.pair, cookieFlags: '--' }));
    assert.ok(line.includes(` - - ${t.pair}-- 0/0/0 0/0 `), line);
    const tcp = formatTcpLog(record({ mode: 'tcp', termination: t.pair }));
    assert.ok(tcp.endsWith(` 78 ${t.pair} 0/0/0 0/0`), tcp);
  }
});

test('request line encoding: ", #, controls, DEL and non-ASCII as #XX, braces kept', () => {
  const rows: [string, string][] = [
    ['GET /a"b HTTP/1.0', 'GET /a#22b HTTP/1.0'],
    ['GET /#frag HTTP/1.0', 'GET /#23frag HTTP/1.0'],
    ['GET /\x01\x1f\x7f HTTP/1.0', 'GET /#01#1F#7F HTTP/1.0'],
    ['GET /caf\xe9 HTTP/1.0', 'GET /caf#E9 HTTP/1.0'], // latin1-decoded byte 0xE9
    ['GET /caf\u00e9\u20ac HTTP/1.0', 'GET /caf#E9#E2#82#AC HTTP/1.0'], // wide char: its UTF-8 bytes
    ['GET /\u{1F600} HTTP/1.0', 'GET /#F0#9F#98#80 HTTP/1.0'],
    ['GET /{a|b} HTTP/1.0', 'GET /{a|b} HTTP/1.0'],
    ['GET /\tx HTTP/1.0', 'GET /#09x HTTP/1.0'],
  ];
  for (const [raw, want] of rows) {
    assert.equal(encodeLogField(raw, false), want);
    assert.ok(formatHttpLog(record({ requestLine: raw })).endsWith(` "${want}"`));
  }
});

test('header captures: {a|b}, |{} and quotes encoded, absent values empty, lengths applied', () => {
  const layout = { requestCaptureLengths: [20, 5], responseCaptureLengths: [10] };
  assert.equal(
    formatHttpLog(record({ requestHeaders: ['www.example.com', 'Mozilla/5.0'], responseHeaders: ['a|b{c}"#'] }), layout),
    `${P} webA 0/0/0/2/3 200 78 - - --NN 0/0/0 0/0 {www.example.com|Mozil} {a#7Cb#7Bc#7D#22#23} "GET /URI1 HTTP/1.0"`,
  );
  // request aborted before headers: the blocks still appear, empty
  assert.equal(
    formatHttpLog(record({ requestHeaders: undefined, responseHeaders: undefined }), layout),
    `${P} webA 0/0/0/2/3 200 78 - - --NN 0/0/0 0/0 {|} {} "GET /URI1 HTTP/1.0"`,
  );
  // only response captures configured
  assert.equal(
    formatHttpLog(record({ responseHeaders: ['close'] }), { requestCaptureLengths: [], responseCaptureLengths: [10] }),
    `${P} webA 0/0/0/2/3 200 78 - - --NN 0/0/0 0/0 {close} "GET /URI1 HTTP/1.0"`,
  );
  // without a layout the record's arrays decide
  assert.equal(
    formatHttpLog(record({ requestHeaders: ['h\x01'] })),
    `${P} webA 0/0/0/2/3 200 78 - - --NN 0/0/0 0/0 {h#01} "GET /URI1 HTTP/1.0"`,
  );
});

test('request line is capped at 1023 chars without splitting an escape', () => {
  const long = 'GET /' + 'a'.repeat(2000) + ' HTTP/1.0';
  assert.equal(encodeLogField(long, false, MAX_REQUEST_LINE_CHARS).length, 1023);
  const quotes = '"'.repeat(400); // 1200 encoded chars
  const enc = encodeLogField(quotes, false, MAX_REQUEST_LINE_CHARS);
  assert.equal(enc.length, 1023);
  assert.match(enc, /^(#22)+$/);
  const mixed = 'a'.repeat(1021) + '"';
  assert.equal(encodeLogField(mixed, false, MAX_REQUEST_LINE_CHARS), 'a'.repeat(1021));
});

test('tcplog: 1.2.14 layout', () => {
  const rows: [Parameters<typeof record>[0], string][] = [
    [{ mode: 'tcp', tw: 0, tc: 1, tt: 5007, bytesFromServer: 0, termination: '--' }, `${P} webA 0/1/5007 0 -- 0/0/0 0/0`],
    [{ mode: 'tcp', serverName: undefined, tw: -1, tc: -1, tt: 3001, bytesFromServer: 0, termination: 'sC' }, `${P} <NOSRV> -1/-1/3001 0 sC 0/0/0 0/0`],
    [{ mode: 'tcp', tw: 12, tc: 0, tt: 40, termination: 'SD', serverConnections: 1, proxyConnections: 2, processConnections: 4, serverQueue: 3, proxyQueue: 1 }, `${P} webA 12/0/40 78 SD 1/2/4 3/1`],
    // logasap: logged at connect, Tt=C and +0 bytes
    [{ mode: 'tcp', tw: 0, tc: 1, tt: 1, bytesFromServer: 0, logasap: true }, `${P} webA 0/1/+1 +0 -- 0/0/0 0/0`],
  ];
  for (const [over, want] of rows) assert.equal(formatTcpLog(record(over)), want);
});

test('Connect from line', () => {
  assert.equal(formatConnectLine('127.0.0.1', 39533, '127.0.0.1', 24389, 'tse-proxy', 'tcp'), 'Connect from 127.0.0.1:39533 to 127.0.0.1:24389 (tse-proxy/TCP)');
  assert.equal(formatConnectLine('::1', 1, '::1', 80, 'web', 'http'), 'Connect from ::1:1 to ::1:80 (web/HTTP)');
  assert.equal(formatConnectLine('10.0.0.1', 1, '10.0.0.2', 80, 'h', 'health'), 'Connect from 10.0.0.1:1 to 10.0.0.2:80 (h/TCP)');
});

test('format choice and dontlognull', () => {
  assert.equal(trafficFormatOf({ httplog: true, tcplog: true }), 'httplog');
  assert.equal(trafficFormatOf({ httplog: false, tcplog: true }), 'tcplog');
  assert.equal(trafficFormatOf({ httplog: false, tcplog: false }), 'connect');
  assert.equal(skippedAsNull(true, record({ bytesFromClient: 0 })), true);
  assert.equal(skippedAsNull(true, record({ bytesFromClient: 1 })), false);
  assert.equal(skippedAsNull(false, record({ bytesFromClient: 0 })), false);
  assert.equal(skippedAsNull(true, record({ bytesFromClient: 0, logasap: true })), false);
});

test('dates: accept date and syslog timestamp, local time, cached per second', () => {
  assert.equal(acceptDate(new Date(Date.UTC(2003, 9, 5, 8, 1, 2, 999))), '05/Oct/2003:08:01:02');
  assert.equal(syslogTimestamp(new Date(Date.UTC(2026, 10, 5, 8, 1, 2))), 'Nov  5 08:01:02');
  assert.equal(syslogTimestamp(new Date(Date.UTC(2026, 0, 25, 23, 59, 59))), 'Jan 25 23:59:59');
  const clock = new LogClock();
  const t = Date.UTC(2026, 11, 31, 23, 59, 59, 1);
  assert.equal(clock.accept(t), '31/Dec/2026:23:59:59');
  assert.equal(clock.accept(t + 998), '31/Dec/2026:23:59:59');
  assert.equal(clock.accept(t + 999), '01/Jan/2027:00:00:00');
  assert.equal(clock.syslog(t), 'Dec 31 23:59:59');
  assert.equal(clock.syslog(t + 1000), 'Jan  1 00:00:00');
  // the formatter with a clock gives the same text as without
  assert.equal(formatHttpLog(record(), undefined, clock), formatHttpLog(record()));
});
