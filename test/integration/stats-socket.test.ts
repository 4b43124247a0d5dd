// The runtime socket on a real Unix socket, with real backends: `disable server` takes a server
// out of rotation for the next client at once and `enable server` brings it back, `set weight`
// shifts the round-robin share, bad commands get an answer and the socket keeps serving, levels
// are enforced, the socket file gets its mode, replaces a stale file and disappears on stop.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpBackend, startHttpProxy, template, type HttpBackend, type HttpProxy } from '../support/http-harness.js';
import { freePorts } from '../support/ports.js';
import { httpGet, socketCommand } from '../support/stats-helpers.js';

const CONFIG = `
global
  stats socket {SOCK} mode 600 level {LEVEL}
listen web 127.0.0.1:{WEB}
  mode http
  balance roundrobin
  contimeout 2000
  clitimeout 5000
  srvtimeout 5000
  server s1 127.0.0.1:{S1} check inter 300
  server s2 127.0.0.1:{S2}
`;

/** Which backend served each of `n` fresh requests. */
async function servedBy(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = await httpGet(port, `/n${i}`);
    assert.equal(a.status, 200, a.raw);
    out.push(a.body.split(':')[0]!);
  }
  return out;
}

const count = (xs: string[], x: string): number => xs.filter((v) => v === x).length;

describe('stats socket', () => {
  let dir: string;
  let s1: HttpBackend;
  let s2: HttpBackend;
  let px: HttpProxy | undefined;
  let web: number;
  let sock: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsproxy-stats-'));
    s1 = await startHttpBackend('s1');
    s2 = await startHttpBackend('s2');
  });
  afterEach(() => {
    px?.stop();
    px = undefined;
  });
  after(async () => {
    await s1?.close();
    await s2?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(level = 'admin', name = 'admin.sock'): Promise<void> {
    [web] = await freePorts(1);
    sock = join(dir, name);
    px = await startHttpProxy(template(CONFIG, { SOCK: sock, LEVEL: level, WEB: web!, S1: s1.port, S2: s2.port }));
  }

  it('binds the path with its mode, replacing a stale file, and removes it on stop', async () => {
    writeFileSync(join(dir, 'stale.sock'), 'left over by a dead process');
    await start('admin', 'stale.sock');
    const st = statSync(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    assert.match(await socketCommand(sock, 'show info\n'), /^Name: tsproxy\n[\s\S]*\nPid: \d+\n[\s\S]*\n\n$/);
    px!.stop();
    px = undefined;
    assert.equal(existsSync(sock), false);
  });

  it('disable server takes it out of rotation at once, enable server brings it back', async () => {
    await start();
    const first = await servedBy(web, 4);
    assert.deepEqual([count(first, 's1'), count(first, 's2')], [2, 2]);
    assert.equal(await socketCommand(sock, 'disable server web/s1\n'), '\n');
    const during = await servedBy(web, 6);
    assert.deepEqual(during, ['s2', 's2', 's2', 's2', 's2', 's2']);
    const csv = await socketCommand(sock, 'show stat\n');
    assert.match(csv, /^web,s1,(?:[^,]*,){15}MAINT,/m);
    const state = await socketCommand(sock, 'show servers state web\n');
    assert.match(state, /^1 web 1 s1 127\.0\.0\.1 2 1 /m, 'admin state 1 = forced maintenance');
    assert.equal(await socketCommand(sock, 'enable server web/s1\n'), '\n');
    const back = await servedBy(web, 6);
    assert.deepEqual([count(back, 's1'), count(back, 's2')], [3, 3]);
  });

  it('set weight changes the round-robin share measurably, get weight reports it', async () => {
    await start();
    assert.equal(await socketCommand(sock, 'get weight web/s1\n'), '1 (initial 1)\n\n');
    assert.equal(await socketCommand(sock, 'set weight web/s1 3\n'), '\n');
    assert.equal(await socketCommand(sock, 'get weight web/s1\n'), '3 (initial 1)\n\n');
    const n = 40;
    const got = await servedBy(web, n);
    // weights 3:1 -> 30:10 over 40 requests (equal weights would give 20:20)
    assert.equal(count(got, 's1'), 30, JSON.stringify(got));
    assert.equal(count(got, 's2'), 10);
    // relative weights are a percentage of the configured weight: 0% drains the server
    assert.equal(await socketCommand(sock, 'set weight web/s1 0%\n'), '\n');
    assert.equal(await socketCommand(sock, 'get weight web/s1\n'), '0 (initial 1)\n\n');
    const drained = await servedBy(web, 6);
    assert.equal(count(drained, 's1'), 0);
    assert.equal(await socketCommand(sock, 'set weight web/s1 100%\n'), '\n');
    assert.equal(await socketCommand(sock, 'get weight web/s1\n'), '1 (initial 1)\n\n');
  });

  it('answers bad commands without crashing and keeps serving', async () => {
    await start();
    const cases: [string, RegExp][] = [
      ['bogus\n', /^Unknown command\. Please enter one of the following commands only :\n[\s\S]*\n\n$/],
      ['show\n', /^Unknown command/],
      ['disable server\n', /^Require 'backend\/server'\.\n\n$/],
      ['disable server web\n', /^Require 'backend\/server'\.\n\n$/],
      ['disable server nope/s1\n', /^No such backend\.\n\n$/],
      ['enable server web/nope\n', /^No such server\.\n\n$/],
      ['set weight web/s1\n', /^Require <backend>\/<server> and <weight> or <weight%>\.\n\n$/],
      ['set weight web/s1 abc\n', /^Require <backend>\/<server> and <weight> or <weight%>\.\n\n$/],
      ['set weight web/s1 300\n', /^Absolute weight can only be between 0 and 256 inclusive\.\n\n$/],
      ['set weight web/s1 120%\n', /^Relative weight can only be set between 0 and 100% inclusive\.\n\n$/],
      ['get weight /\n', /^Require 'backend\/server'\.\n\n$/],
      ['show servers state nope\n', /^Can't find backend\.\n\n$/],
      ['\u00ff\u0000\u0007 ;;; \n', /^Unknown command/],
      [`${'x'.repeat(20000)}`, /^Command line too long\.\n\n$/],
    ];
    for (const [cmd, re] of cases) assert.match(await socketCommand(sock, cmd), re, JSON.stringify(cmd.slice(0, 40)));
    // several commands on one line, each answer ending with an empty line
    const multi = await socketCommand(sock, 'get weight web/s1; get weight web/s2 ;bogus\n');
    const parts = multi.split('\n\n');
    assert.equal(parts[0], '1 (initial 1)');
    assert.equal(parts[1], '1 (initial 1)');
    assert.match(parts[2]!, /^Unknown command/);
    // a half-closed client without a final line feed still gets its answer
    assert.match(await socketCommand(sock, 'help'), /^Unknown command\. Please enter/);
    // still serving, the runtime untouched
    assert.deepEqual((await servedBy(web, 2)).sort(), ['s1', 's2']);
    assert.match(await socketCommand(sock, 'show stat\n'), /^# pxname,svname,/);
  });

  it('interactive mode: prompt keeps the connection for several lines until quit', async () => {
    await start();
    const out = await new Promise<string>((resolve, reject) => {
      const s = net.connect(sock);
      let data = '';
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no close; got ${JSON.stringify(data)}`));
      }, 5000);
      s.setEncoding('latin1');
      s.on('data', (d: string) => {
        data += d;
        if (data.endsWith('> ') && !data.includes('initial 1)\n\n> ')) s.write('get weight web/s2\n');
        else if (data.includes('initial 1)\n\n> ')) s.write('quit\n');
      });
      s.on('close', () => {
        clearTimeout(timer);
        resolve(data);
      });
      s.on('error', reject);
      s.write('prompt\n');
    });
    assert.equal(out, '> 1 (initial 1)\n\n> ');
  });

  it('at level operator (the default) and user, state changes are refused', async () => {
    for (const level of ['operator', 'user']) {
      await start(level, `${level}.sock`);
      for (const cmd of ['disable server web/s1', 'enable server web/s1', 'set weight web/s1 5']) {
        assert.equal(await socketCommand(sock, `${cmd}\n`), 'Permission denied\n\n', `${level}: ${cmd}`);
      }
      assert.equal(await socketCommand(sock, 'get weight web/s1\n'), '1 (initial 1)\n\n');
      assert.match(await socketCommand(sock, 'show stat\n'), /^web,s1,(?:[^,]*,){15}UP,/m);
      px!.stop();
      px = undefined;
    }
  });
});
