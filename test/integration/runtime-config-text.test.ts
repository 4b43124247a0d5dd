// The runtime built from configuration text through the real parser: the guide's §2.2 TCP
// relay (3-entry bind list, a server without port, monitor-net) and §4.2.1 dispatcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../src/config/parser.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { startBackend } from '../support/backend.js';
import { connectClient } from '../support/client.js';
import { freePorts } from '../support/ports.js';
import { runtimeOptions } from '../support/runtime-config.js';

async function greeting(port: number, localAddress?: string): Promise<string> {
  const c = await connectClient(port, '127.0.0.1', localAddress !== undefined ? { localAddress } : {});
  await Promise.race([c.received(1), c.ended()]);
  for (let i = 0; i < 100 && !c.text().includes('\n') && !c.gotEnd; i++) await new Promise((r) => setTimeout(r, 5));
  c.socket.destroy();
  return c.text();
}

test('guide §2.2: a 3-entry bind list, server without port, monitor-net 127.0.0.2/31', async (t) => {
  const ports = await freePorts(3);
  const farms = await Promise.all(ports.map((p, i) => startBackend({ kind: 'echo', greeting: `farm${i}\n` }, '127.0.0.10', p)));
  t.after(() => Promise.all(farms.map((f) => f.close())));
  const text = `listen tse-proxy
       bind 127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}  # TSE, ICA and VNC at once.
       mode tcp
       balance roundrobin
       server tse-farm 127.0.0.10
       monitor-net 127.0.0.2/31
`;
  const parsed = parseConfigText(text, 'guide-2.2.cfg');
  const rt = new Runtime(parsed.config, runtimeOptions());
  await rt.start();
  t.after(() => rt.stop());
  for (let i = 0; i < 3; i++) assert.equal(await greeting(ports[i]!, '127.0.0.4'), `farm${i}\n`);
  assert.equal(await greeting(ports[0]!, '127.0.0.2'), '');
  assert.equal(await greeting(ports[1]!, '127.0.0.3'), '');
  assert.deepEqual(
    farms.map((f) => f.connections.length),
    [1, 1, 1],
    'monitoring connections never reach the farm',
  );
});

test('guide §4.2.1: a tcp dispatcher on a nameless listen', async (t) => {
  const [port, web] = await freePorts(2);
  const be = await startBackend({ kind: 'echo', greeting: 'httpd\n' }, '127.0.0.1', web);
  t.after(() => be.close());
  const text = `listen 127.0.0.1:${port}
        mode tcp
        dispatch 127.0.0.1:${web}
        contimeout 1000
        clitimeout 10000
        srvtimeout 10000
`;
  const parsed = parseConfigText(text, 'guide-4.2.1.cfg');
  const rt = new Runtime(parsed.config, runtimeOptions());
  await rt.start();
  t.after(() => rt.stop());
  assert.equal(await greeting(port!), 'httpd\n');
  const c = await connectClient(port!);
  await c.received(6);
  c.socket.write('GET / HTTP/1.0\r\n\r\n');
  await c.received(6 + 18);
  assert.equal(c.text(), 'httpd\nGET / HTTP/1.0\r\n\r\n');
  c.socket.destroy();
});
