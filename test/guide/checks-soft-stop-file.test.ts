// Architecture guide 4.1 "Soft-stop using a file on the servers", end to end: four real web
// servers answer `HEAD /running` from a file in their document root; bin/tsproxy runs the guide's
// configuration (addresses moved to loopback, `inter` shortened from 2000 to 200 ms for speed).
// Removing the file soft-stops the server: no new clients, but `option persist` keeps its cookie
// clients on it; stopping the web server then makes `redispatch` move them with a new cookie.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../support/checks-targets.js';
import { get, GuideWebServer, setCookieValue, TsproxyProcess, waitForListening } from '../support/checks-guide.js';

const NAMES = ['webA', 'webB', 'webC', 'webD'] as const;
const INTER_MS = 200;

test('guide 4.1: soft-stop with a file, persist, then redispatch', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-guide41-'));
  const servers: GuideWebServer[] = [];
  for (const n of NAMES) {
    const docroot = mkdtempSync(join(dir, `${n}-www-`));
    writeFileSync(join(docroot, 'running'), ''); // "touch /home/httpd/www/running"
    servers.push(await new GuideWebServer(n, docroot).listen('127.0.0.1'));
  }
  const lbPort = await freePort();
  const px = `127.0.0.1:${lbPort}`;
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      `listen ${px}`,
      '   mode http',
      '   balance roundrobin',
      '   cookie SERVERID insert indirect',
      '   option httpchk HEAD /running HTTP/1.0',
      ...servers.map((s, i) => `   server ${s.name} 127.0.0.1:${s.port} cookie ${'ABCD'[i]} check inter ${INTER_MS} rise 2 fall 2`),
      '   option persist',
      '   redispatch',
      '   contimeout 5000',
      '',
    ].join('\n'),
  );
  const lb = TsproxyProcess.start(['-f', cfg]);
  t.after(async () => {
    await lb.stop();
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  assert.ok(await waitForListening('127.0.0.1', lbPort, 5000), `tsproxy listens; stderr: ${lb.stderrLines.join('\n')}`);
  const [webA] = servers;
  assert.ok(webA);

  // Every server answers its check: cookie-less clients are spread over all four, each gets its server's cookie.
  const seen = new Map<string, string>();
  for (let i = 0; i < 8; i++) {
    const res = await get('127.0.0.1', lbPort, '/');
    assert.equal(res.status, 200);
    seen.set(res.body.trim(), setCookieValue(res, 'SERVERID') ?? '');
  }
  assert.deepEqual([...seen.keys()].sort(), [...NAMES]);
  NAMES.forEach((n, i) => assert.equal(seen.get(n), 'ABCD'[i], `${n} sets cookie ${'ABCD'[i]}`));
  assert.ok(await waitFor(() => webA.checks('/running').length >= 1, 2000), 'webA was checked with HEAD /running');

  // "rm -f /home/httpd/www/running": the check gets 404, two failures (fall 2) take webA DOWN.
  const failedBefore = webA.checks('/running').filter((r) => r.status === 404).length;
  assert.equal(failedBefore, 0);
  rmSync(join(webA.docroot!, 'running'));
  const down = await lb.waitForMessage((m) => m.startsWith(`Server ${px}/webA is DOWN.`), 10 * INTER_MS + 3000);
  assert.equal(down, `Server ${px}/webA is DOWN. 3 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`);
  assert.ok(webA.checks('/running').filter((r) => r.status === 404).length >= 2, 'fall 2: two failed checks before DOWN');

  // No new session goes to webA...
  for (let i = 0; i < 6; i++) {
    const res = await get('127.0.0.1', lbPort, '/');
    assert.equal(res.status, 200);
    assert.notEqual(res.body.trim(), 'webA', 'a cookie-less client must not reach the soft-stopped server');
  }
  // ...but clients holding its cookie still reach it (persist), and keep their cookie.
  for (let i = 0; i < 3; i++) {
    const res = await get('127.0.0.1', lbPort, '/', 'SERVERID=A');
    assert.equal(res.status, 200);
    assert.equal(res.body.trim(), 'webA', 'persist: cookie A still goes to webA');
    assert.equal(setCookieValue(res, 'SERVERID'), undefined, 'no new cookie for a persisted client');
  }

  // Putting the file back brings it UP after two good checks (rise 2).
  writeFileSync(join(webA.docroot!, 'running'), '');
  const up = await lb.waitForMessage((m) => m.startsWith(`Server ${px}/webA is UP.`), 10 * INTER_MS + 3000);
  assert.equal(up, `Server ${px}/webA is UP. 4 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.`);

  // Soft-stop again, then "/etc/init.d/httpd stop": the connection is refused and redispatch moves
  // the cookie-A client to a live server, which gives it its own cookie.
  rmSync(join(webA.docroot!, 'running'));
  const downs = () => lb.messages().filter((m) => m.startsWith(`Server ${px}/webA is DOWN.`)).length;
  assert.ok(await lb.waitForMessage(() => downs() === 2, 10 * INTER_MS + 3000), 'DOWN again');
  await webA.close();
  const moved = await get('127.0.0.1', lbPort, '/', 'SERVERID=A');
  assert.equal(moved.status, 200, 'redispatched, not a 503');
  const movedTo = moved.body.trim();
  assert.notEqual(movedTo, 'webA');
  assert.equal(setCookieValue(moved, 'SERVERID'), 'ABCD'[NAMES.indexOf(movedTo as (typeof NAMES)[number])], 'the new server sets its cookie');
  // Sticky afterwards on the new server.
  const again = await get('127.0.0.1', lbPort, '/', `SERVERID=${setCookieValue(moved, 'SERVERID')}`);
  assert.equal(again.body.trim(), movedTo);
});
