// fd exhaustion in a real process (ulimit -n 64): accept() fails with EMFILE, the legacy
// emergency message goes to the proxy log (rate limited), the process survives and serves again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { startBackend } from '../support/backend.js';
import { connectClient, sleep } from '../support/client.js';
import { freePort } from '../support/ports.js';
import { bind, proxy, server } from '../support/runtime-config.js';
import { resourceMessage } from '../../src/runtime/resources.js';

test('resource messages: the legacy texts', () => {
  const lim = () => 1024;
  assert.equal(resourceMessage('px', 'EMFILE', lim), "Proxy px reached process FD limit at 1024. Please check 'ulimit-n' and restart.");
  assert.equal(resourceMessage('px', 'ENFILE', lim), 'Proxy px reached system FD limit at 1024. Please check system tunables.');
  assert.equal(resourceMessage('px', 'ENOBUFS', lim), 'Proxy px reached system memory limit at 1024 sockets. Please check system tunables.');
  assert.equal(resourceMessage('px', 'ECONNREFUSED', lim), undefined);
});

test('EMFILE on accept: emerg message, no crash, serving resumes once fds free up', async (t) => {
  const be = await startBackend({ kind: 'echo', greeting: 'ok\n' });
  t.after(() => be.close());
  const port = await freePort();
  const pcfg = proxy('px', { binds: [bind('127.0.0.1', port)], servers: [server('s', '127.0.0.1', be.port)] });
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-h2-fd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dist = new URL('../../', import.meta.url).pathname;
  const script = join(dir, 'child.mjs');
  writeFileSync(
    script,
    `import { Runtime } from '${dist}src/runtime/runtime.js';
import { config, runtimeOptions } from '${dist}test/support/runtime-config.js';
const pcfg = JSON.parse(process.argv[2]);
pcfg.errorOverrides = new Map();
const logger = { enabled: true, send: (level, m) => process.stdout.write('sent ' + level + ' ' + m + '\\n'), logConnect() {}, logTraffic() {}, close() {} };
const rt = new Runtime(config([pcfg]), runtimeOptions(), { proxyLogger: () => logger });
rt.start().then(() => process.stdout.write('ready\\n'), (e) => { process.stdout.write('fail ' + e.message + '\\n'); process.exit(1); });
process.on('SIGTERM', () => { rt.stop(); process.exit(0); });
`,
  );
  const child = spawn('sh', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${script}" '${JSON.stringify(pcfg)}'`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 400 && !out.includes('ready'); i++) await sleep(25);
  assert.match(out, /ready/);
  const sockets: net.Socket[] = [];
  t.after(() => sockets.forEach((s) => s.destroy()));
  for (let i = 0; i < 80; i++) {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    sockets.push(s);
  }
  const emfile = "sent 0 Proxy px reached process FD limit at 64. Please check 'ulimit-n' and restart.";
  for (let i = 0; i < 400 && !out.includes(emfile); i++) await sleep(10);
  assert.ok(out.includes(emfile), out);
  assert.equal(out.split(emfile).length - 1, 1, 'rate limited to one line');
  for (const s of sockets.splice(0)) s.destroy();
  await sleep(200);
  const c = await connectClient(port);
  await c.received(3);
  assert.equal(c.text(), 'ok\n', 'the process survived and serves again');
  c.socket.destroy();
  assert.equal(child.exitCode, null);
});
