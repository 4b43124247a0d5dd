// The quick-start demo driven as a new user would: start `node dist/src/demo/demo.js` (what
// `npm run demo` runs after building), send requests through the real tsproxy, watch round robin
// and cookie persistence, stop a demo server with a key and watch the health check move the
// cookie, then Ctrl-C (SIGINT) and check that nothing the demo started is left running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO = join(ROOT, 'dist', 'src', 'demo', 'demo.js');

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<import('node:net').Server>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

interface Answer {
  status: number;
  servedBy: string;
  setCookie: string[];
  body: string;
}

function get(port: number, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Connection: 'close' };
    if (cookie) headers.Cookie = cookie;
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const sc = res.headers['set-cookie'] ?? [];
        resolve({ status: res.statusCode ?? 0, servedBy: String(res.headers['x-served-by'] ?? ''), setCookie: sc, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

function serverIdOf(setCookie: string[]): string | null {
  for (const c of setCookie) {
    const m = /^SERVERID=([^;]*)/.exec(c);
    if (m) return m[1] ?? null;
  }
  return null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs of live processes whose command line mentions `needle` (the demo's private config path). */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('npm run demo builds, then runs the program this file drives', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  // The build is npm test's first step already; rebuilding dist/ here would race the other tests.
  assert.match(pkg.scripts?.demo ?? '', /^npm run build && node dist\/src\/demo\/demo\.js$/);
});

test('npm run demo: answers through tsproxy, alternates servers, keeps a cookie, stops cleanly', { timeout: 90_000 }, async (t) => {
  const [proxyPort, ...serverPorts] = await freePorts(5);
  assert.ok(proxyPort !== undefined);
  let output = '';
  const demo: ChildProcess = spawn(process.execPath, [DEMO], {
    cwd: ROOT,
    env: { ...process.env, TSPROXY_DEMO_PORT: String(proxyPort), TSPROXY_DEMO_SERVER_PORTS: serverPorts.join(',') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let demoExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<void>((resolve) =>
    demo.on('exit', (code, signal) => {
      demoExit = { code, signal };
      resolve();
    }),
  );
  demo.stdout?.setEncoding('utf8');
  demo.stderr?.setEncoding('utf8');
  demo.stdout?.on('data', (d: string) => (output += d));
  demo.stderr?.on('data', (d: string) => (output += d));
  let proxyPid = 0;
  t.after(() => {
    // Safety net on failure: stop what this test started, by PID.
    if (demoExit === null && demo.pid !== undefined) process.kill(demo.pid, 'SIGKILL');
    if (proxyPid && alive(proxyPid)) process.kill(proxyPid, 'SIGKILL');
  });

  // 1. The demo says it is ready and names tsproxy's PID and its config file.
  let ready: RegExpExecArray | null = null;
  for (let i = 0; i < 300 && !ready && demoExit === null; i++) {
    ready = /demo: ready \(tsproxy pid (\d+), config (\S+)\)/.exec(output);
    if (!ready) await sleep(100);
  }
  assert.ok(ready, `the demo never said it was ready; its output:\n${output}`);
  proxyPid = Number(ready[1]);
  const configPath = ready[2] ?? '';
  assert.ok(alive(proxyPid), 'tsproxy runs');
  assert.match(readFileSync(`/proc/${proxyPid}/comm`, 'utf8'), /^tsproxy/, 'the kernel knows the process as tsproxy');
  assert.match(output, /curl -v http:\/\/127\.0\.0\.1:\d+\//, 'the demo tells the user what to try');

  // 2. Without a cookie, round robin over the four servers, each answer naming its server.
  const first: Answer[] = [];
  for (let i = 0; i < 4; i++) first.push(await get(proxyPort));
  for (const a of first) {
    assert.equal(a.status, 200);
    assert.match(a.body, /^Hello from web[A-D] /);
  }
  const names = first.map((a) => a.servedBy);
  assert.equal(new Set(names).size, 4, `round robin over four servers, got ${names.join(',')}`);
  const letter = serverIdOf(first[0]?.setCookie ?? []);
  assert.ok(letter, 'tsproxy inserted a SERVERID cookie');
  assert.equal(`web${letter}`, first[0]?.servedBy, 'the cookie names the server that answered');

  // 3. A client that sends the cookie back stays on its server; the server never sees the cookie.
  for (let i = 0; i < 3; i++) {
    const a = await get(proxyPort, `SERVERID=${letter}`);
    assert.equal(a.servedBy, `web${letter}`);
    assert.equal(serverIdOf(a.setCookie), null, 'no new cookie for a client that has one');
    assert.match(a.body, /cookies received: \(none\)/, 'indirect: the cookie is removed before the server');
  }
  const withAppCookie = await get(proxyPort, `theme=dark; SERVERID=${letter}`);
  assert.equal(withAppCookie.servedBy, `web${letter}`);
  assert.match(withAppCookie.body, /cookies received: theme=dark\n/, 'the page shows the cookies the server received: only its own');

  // 4. Stop that server with its key: the health check takes it out and the cookie moves.
  demo.stdin?.write(`${letter}\n`);
  const stoppedAt = Date.now();
  let moved: Answer | null = null;
  for (let i = 0; i < 150 && !moved; i++) {
    const a = await get(proxyPort, `SERVERID=${letter}`).catch(() => null);
    if (a && a.status === 200 && a.servedBy !== `web${letter}`) moved = a;
    else await sleep(200);
  }
  t.diagnostic(`moved after ${Date.now() - stoppedAt} ms`);
  assert.ok(moved, `requests with SERVERID=${letter} never moved to another server; output:\n${output}`);
  const newLetter = serverIdOf(moved.setCookie);
  assert.ok(newLetter && newLetter !== letter, 'the client got a new cookie for its new server');
  assert.equal(`web${newLetter}`, moved.servedBy);

  // Start it again with the same key: the check brings it back UP and round robin includes it again.
  demo.stdin?.write(`${letter}\n`);
  let back = false;
  for (let i = 0; i < 100 && !back; i++) {
    const a = await get(proxyPort).catch(() => null);
    if (a?.servedBy === `web${letter}`) back = true;
    else await sleep(200);
  }
  assert.ok(back, `web${letter} never came back into the rotation; output:\n${output}`);
  assert.match(output, new RegExp(`Server webfarm/web${letter} is UP`), 'tsproxy said so');

  // 5. Ctrl-C: the demo stops tsproxy and its servers, and exits 0.
  assert.ok(demo.pid !== undefined);
  process.kill(demo.pid, 'SIGINT');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
  clearTimeout(timer);
  assert.ok(demoExit, 'the demo exits after SIGINT');
  assert.deepEqual(demoExit, { code: 0, signal: null });
  for (let i = 0; i < 30 && alive(proxyPid); i++) await sleep(100);
  assert.equal(alive(proxyPid), false, 'tsproxy is gone');
  assert.deepEqual(processesMentioning(configPath), [], 'no process runs the demo config any more');
  for (const port of [proxyPort, ...serverPorts]) assert.equal(await refused(port), true, `port ${port} is closed`);
  assert.match(output, /demo: stopped tsproxy and the demo web servers/);
});
