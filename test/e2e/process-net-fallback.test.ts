// TSPROXY_NET_SOCKETS=1: the real bin/tsproxy with plain node:net sockets instead of RawSockets
// (the fallback for a Node without the TCP binding, docs/architecture.md "src/io"), in mode
// http and mode tcp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../support/ports.js';
import { waitForPort, writeConfig } from '../support/process-harness.js';
import { processSuite, webConfig } from '../support/process-suite.js';
import { get } from '../support/process-load.js';

const { janitor, backend } = processSuite();

for (const mode of ['http', 'tcp'] as const) {
  test(`TSPROXY_NET_SOCKETS=1, mode ${mode}: requests are served through node:net sockets`, async () => {
    const dir = janitor.tempDir();
    const port = await freePort();
    const cfg = writeConfig(dir, `${mode}.cfg`, webConfig(port, backend.port, { mode }));
    const p = janitor.start(['-f', cfg, '-db'], { env: { TSPROXY_NET_SOCKETS: '1' } });
    await waitForPort(port);
    const before = backend.received();
    for (let i = 0; i < 3; i++) {
      const r = await get(port, `/n${i}`);
      assert.equal(r.status, 200);
      assert.match(r.body, /^ok b1/);
    }
    assert.equal(backend.received(), before + 3);
    process.kill(p.pid, 'SIGTERM');
    await p.exited;
  });
}
