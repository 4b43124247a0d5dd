// 1,000 servers checked every 100 ms against one loopback listener: the scheduler keeps up.
// Only coarse correctness is asserted (every server checked, none marked DOWN); the measured CPU,
// event-loop lag and check rate are printed for the report, never asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { startCheckedRuntime } from '../support/checks-runtime.js';
import { freePort } from '../support/checks-targets.js';

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
  const lbPort = await freePort();
  const lines = [`listen big 127.0.0.1:${lbPort}`, '    mode tcp', '    balance roundrobin'];
  for (let i = 0; i < SERVERS; i++) lines.push(`    server s${i} 127.0.0.1:${port} check inter ${INTER_MS}`);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rt = await startCheckedRuntime(lines.join('\n') + '\n');
  t.after(() => {
    rt.stop();
    lag.disable();
  });
  const servers = rt.runtime.proxy('big')!.servers;
  await new Promise((r) => setTimeout(r, RUN_MS));
  rt.stop();
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  lag.disable();
  listener.kill('SIGTERM');
  await listenerExited;
  const accepted = /accepted (\d+)/.exec(out)?.[1] ?? '?';

  const total = Number(accepted);
  // First check of server i at inter + inter*i/n, then every inter: the ideal count in RUN_MS.
  let expected = 0;
  for (let i = 0; i < SERVERS; i++) expected += Math.max(0, Math.floor((RUN_MS - INTER_MS - (INTER_MS * i) / SERVERS) / INTER_MS) + 1);
  const byStatus: Record<string, number> = {};
  for (const s of servers) byStatus[s.checkStatus] = (byStatus[s.checkStatus] ?? 0) + 1;
  console.log(
    `scale: ${SERVERS} servers, inter ${INTER_MS} ms, ${elapsedMs.toFixed(0)} ms: ${total} checks (ideal ${expected}, ` +
      `${((100 * total) / expected).toFixed(1)}%), last result per server ${JSON.stringify(byStatus)}; CPU user ${(cpu.user / 1000).toFixed(0)} ms + system ${(cpu.system / 1000).toFixed(0)} ms ` +
      `(${((100 * (cpu.user + cpu.system)) / 1000 / elapsedMs).toFixed(0)}% of one core); event-loop delay mean ` +
      `${(lag.mean / 1e6).toFixed(1)} ms, p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`,
  );
  assert.ok(servers.every((s) => s.checkStatus === 'L4OK'), 'every server got checked, and its last check succeeded');
  assert.ok(servers.every((s) => s.state === 'UP'), 'no server marked DOWN against a healthy listener');
  assert.deepEqual(rt.stderrLines(), []);
  assert.ok(total >= expected / 4, `coarse rate: ${total} of ${expected} ideal checks`);
});
