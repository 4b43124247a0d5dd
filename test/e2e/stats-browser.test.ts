// The stats page of a real bin/tsproxy in headless Chromium (Debian's, driven by playwright-core):
// the rendered table has a row per server with HAProxy's state colours (UP, DOWN, MAINT set over
// the runtime socket with socat, backup, not checked). A screenshot is taken; with
// TSPROXY_UPDATE_SCREENSHOTS=1 it replaces docs/images/stats-page.png (the one docs/stats.md shows).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/ports.js';
import { ProcessJanitor, ROOT, waitFor, waitForPort, writeConfig } from '../support/process-harness.js';
import { startHttpBackend, type HttpBackend } from '../support/http-harness.js';
import { httpGet, socketCommand } from '../support/stats-helpers.js';
import { STATE_COLOURS } from '../../src/stats/html.js';

const CHROMIUM = '/usr/bin/chromium';
const SOCAT = '/usr/bin/socat';
const janitor = new ProcessJanitor();
const backends: HttpBackend[] = [];

before(async () => {
  for (const name of ['a1', 'a2', 'a3', 'a4', 'b1']) backends.push(await startHttpBackend(name));
});
after(async () => {
  janitor.killAll();
  for (const b of backends) await b.close().catch(() => {});
});

/** `echo <cmd> | socat stdio unix-connect:<path>` as an operator types it (net fallback without socat). */
function socat(path: string, cmd: string): Promise<string> {
  if (!existsSync(SOCAT)) return socketCommand(path, `${cmd}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(SOCAT, ['stdio', `unix-connect:${path}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    janitor.track(child.pid);
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.stdout.setEncoding('latin1').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.stdin.end(`${cmd}\n`);
  });
}

function rgb(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}

test('headless Chromium renders the stats page of bin/tsproxy with state colours', { timeout: 90000 }, async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is absent (install Debian's chromium to run this test)`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const dir = janitor.tempDir();
  const port = await freePort();
  const sock = join(dir, 'admin.sock');
  const [a1, a2, a3, a4, b1] = backends as [HttpBackend, HttpBackend, HttpBackend, HttpBackend, HttpBackend];
  const cfg = writeConfig(
    dir,
    'stats.cfg',
    `global
    stats socket ${sock} mode 600 level admin
listen web
    bind 127.0.0.1:${port}
    mode http
    balance roundrobin
    contimeout 2000
    clitimeout 20000
    srvtimeout 20000
    stats enable
    stats uri /haproxy?stats
    stats realm tsproxy\\ stats
    stats auth admin:pa55
    server app1 127.0.0.1:${a1.port} check inter 300 fall 1
    server app2 127.0.0.1:${a2.port} check inter 300 fall 1
    server app3 127.0.0.1:${a3.port} check inter 300
    server static 127.0.0.1:${a4.port}
    server spare 127.0.0.1:${b1.port} check inter 300 backup
`,
  );
  const p = janitor.start(['-f', cfg]);
  await waitForPort(port);
  await waitFor('stats socket', () => existsSync(sock));
  for (let i = 0; i < 12; i++) assert.equal((await httpGet(port, `/p${i}`)).status, 200);
  // app2's target goes away: DOWN at its next check; app3 goes to maintenance over the socket
  await a2.close();
  assert.equal(await socat(sock, 'disable server web/app3'), '\n');
  await waitFor('app2 DOWN', async () => /^web,app2,(?:[^,]*,){15}DOWN,/m.test(await socat(sock, 'show stat')), 10000, 100);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: 'pa55' },
      viewport: { width: 840, height: 400 },
    });
    const page = await context.newPage();
    const response = await page.goto(`http://127.0.0.1:${port}/haproxy?stats`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), 'Statistics Report for tsproxy');
    const rows = await page.$$eval('table.px[data-proxy="web"] tr', (trs) =>
      trs
        .filter((tr) => tr.className !== 'titre' && tr.className !== 'pxname')
        .map((tr) => ({
          name: tr.getAttribute('data-server') ?? tr.className,
          cls: tr.className,
          // the test's tsconfig has no DOM lib: reach the page's getComputedStyle through globalThis
          bg: (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(tr).backgroundColor,
          status: tr.querySelector('td.status')?.textContent ?? '',
          cells: tr.querySelectorAll('td').length,
        })),
    );
    assert.deepEqual(rows.map((r) => r.name), ['frontend', 'app1', 'app2', 'app3', 'static', 'spare', 'backend']);
    for (const r of rows) assert.equal(r.cells, 26, `${r.name} cells`);
    const by = new Map(rows.map((r) => [r.name, r]));
    const expect: [string, keyof typeof STATE_COLOURS, RegExp][] = [
      ['app1', 'active_up', /UP$/],
      ['app2', 'active_down', /DOWN$/],
      ['app3', 'maintain', /MAINT$/],
      ['static', 'active_no_check', /no check$/],
      ['spare', 'backup_up', /UP$/],
    ];
    for (const [name, cls, status] of expect) {
      const r = by.get(name)!;
      assert.equal(r.cls, cls, name);
      assert.equal(r.bg, rgb(STATE_COLOURS[cls]), `${name} colour`);
      assert.match(r.status, status, name);
    }
    const shot = join(dir, 'stats-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    if (process.env.TSPROXY_UPDATE_SCREENSHOTS === '1') copyFileSync(shot, join(ROOT, 'docs', 'images', 'stats-page.png'));
  } finally {
    await browser.close();
  }
  // the socket goes with the process
  process.kill(p.pid, 'SIGTERM');
  await p.exited;
  assert.equal(existsSync(sock), false);
});
