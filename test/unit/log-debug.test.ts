// -d debug lines (spec §12.7, observed-legacy "Logs").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DebugLog, debugAcceptLine, debugCloseLine, debugHeaderLine, handleFd } from '../../src/log/debug.js';
import { createServer } from 'node:net';

test('legacy shapes', () => {
  assert.equal(debugAcceptLine(0, 'webfarm', 3, 6, '127.0.0.1', 43232), '00000000:webfarm.accept(0003)=0006 from [127.0.0.1:43232]\n');
  assert.equal(debugHeaderLine('clihdr', 0, 'webfarm', 6, -1, 'GET /URI1 HTTP/1.0'), '00000000:webfarm.clihdr[0006:ffff]: GET /URI1 HTTP/1.0\n');
  assert.equal(debugHeaderLine('srvhdr', 0x1a2b, 'webfarm', 6, 7, 'HTTP/1.0 200 OK'), '00001a2b:webfarm.srvhdr[0006:0007]: HTTP/1.0 200 OK\n');
  assert.equal(debugCloseLine('clicls', 1, 'webfarm', 6, 7), '00000001:webfarm.clicls[0006:0007]\n');
  assert.equal(debugCloseLine('srvcls', 1, 'webfarm', 6, 7), '00000001:webfarm.srvcls[0006:0007]\n');
  assert.equal(debugCloseLine('closed', 0xffffffff, 'webfarm', 0x1234, 0xabcd), 'ffffffff:webfarm.closed[1234:abcd]\n');
});

test('writer numbers sessions from 0 and writes whole lines', () => {
  const lines: string[] = [];
  const d = new DebugLog((l) => lines.push(l));
  const a = d.newSession();
  const b = d.newSession();
  assert.deepEqual([a, b], [0, 1]);
  d.accept(b, 'px', 3, 6, '::1', 5);
  d.header('clihdr', b, 'px', 6, -1, 'Host: x');
  d.close('closed', b, 'px', 6, 7);
  assert.deepEqual(lines, ['00000001:px.accept(0003)=0006 from [::1:5]\n', '00000001:px.clihdr[0006:ffff]: Host: x\n', '00000001:px.closed[0006:0007]\n']);
});

test('handleFd: the kernel fd of a listening server, -1 for anything else', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    assert.ok(handleFd(server) > 2);
  } finally {
    server.close();
  }
  assert.equal(handleFd({}), -1);
  assert.equal(handleFd(undefined), -1);
});
