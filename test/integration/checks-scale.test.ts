// 1,000 servers checked every 100 ms against one loopback listener: the scheduler keeps up.
// Only coarse correctness is asserted (every server checked, in order, none lost); the measured CPU,
// event-loop lag and check rate are printed for the report, never asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { startChecks } from '../../src/checks/scheduler.js';
import { proxyConfig, serverConfig, TestProxy } from '../support/checks-fakes.js';

const SERVERS = 1000;
const INTER_MS = 100;
const RUN_MS = 3000;

test(`${SERVERS} servers checked every ${INTER_MS} ms for ${RUN_MS} ms`, async (t) => {
  // The listener runs in its own process so that the CPU measured here is the checker's alone.
  const listener = spawn(
    process.execPath,
    [
      '-e',
      `let n = 0; const srv = require('net').createServer((s) => { n++; s.on('error', () => {}); s.on('end', () => s.end()); });
       srv.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => console.log(srv.address().port));
       process.on('SIGTERM', () => { console.log('accepted ' + n); process.exit(0); });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  listener.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const listenerExited = new Promise<void>((r) => listener.once('exit', () => r()));
  t.after(async () => {
    if (listener.exitCode === null) listener.kill('SIGTERM');
    await listenerExited;
  });
  const portLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('listener did not start')), 5000);
    listener.stdout.on('data', () => {
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.split('\n')[0]!);
      }
    });
  });
  const port = Number(portLine);
  const servers = Array.from({ length: SERVERS }, (_, i) =>
    serverConfig(`s${i}`, { address: { host: '127.0.0.1', family: 4, port: { kind: 'absolute', port } }, interMs: INTER_MS }),
  );
  const px = new TestProxy(proxyConfig('big', servers, { mode: 'tcp' }));
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const checks = startChecks(px);
  t.after(() => {
    checks.stop();
    lag.disable();
  });
  await new Promise((r) => setTimeout(r, RUN_MS));
  checks.stop();
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  lag.disable();
  listener.kill('SIGTERM');
  await listenerExited;
  const accepted = /accepted (\d+)/.exec(out)?.[1] ?? '?';

  const perServer = px.servers.map((s) => s.statuses.length);
  const total = perServer.reduce((a, b) => a + b, 0);
  const failures = px.servers.reduce((a, s) => a + s.statuses.filter((st) => st !== 'L4OK').length, 0);
  // First check of server i at inter + inter*i/n, then every inter: expected checks in RUN_MS.
  const expected = px.servers.reduce((a, _s, i) => a + Math.max(0, Math.floor((RUN_MS - INTER_MS - (INTER_MS * i) / SERVERS) / INTER_MS) + 1), 0);
  console.log(
    `scale: ${SERVERS} servers, inter ${INTER_MS} ms, ${elapsedMs.toFixed(0)} ms: ${total} checks (ideal ${expected}, ` +
      `${((100 * total) / expected).toFixed(1)}%), ${failures} failed, per server min ${Math.min(...perServer)} max ${Math.max(...perServer)}, ` +
      `listener accepted ${accepted}; CPU user ${(cpu.user / 1000).toFixed(0)} ms + system ${(cpu.system / 1000).toFixed(0)} ms ` +
      `(${((100 * (cpu.user + cpu.system)) / 1000 / elapsedMs).toFixed(0)}% of one core); event-loop delay mean ` +
      `${(lag.mean / 1e6).toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`,
  );
  const byStatus: Record<string, number> = {};
  for (const s of px.servers) for (const st of s.statuses) byStatus[st] = (byStatus[st] ?? 0) + 1;
  console.log(`scale: results by status ${JSON.stringify(byStatus)}`);
  assert.ok(perServer.every((n) => n >= 1), 'every server got checks');
  assert.ok(px.servers.every((s) => s.state === 'UP'), 'no server marked DOWN against a healthy listener');
  assert.ok(total >= expected / 4, `coarse rate: ${total} of ${expected} ideal checks`);
});
