// `npm run bench` (issue 8): the same load through tsproxy (legacy config) and through Debian's
// haproxy 2.6 (nbthread 1, the modern spelling of the same config), in one run, rounds alternating,
// against four loopback nginx backends (one nginx process, one worker, four server blocks on four
// ports), driven by wrk. Also a "direct" row (wrk straight to one backend: the ceiling) and a memory
// check (10 000 idle keep-alive client connections). Every process is started and stopped by PID.
//
// Pinning (2-core machine): the proxy under test runs on cpu1, wrk, nginx and the syslog sink on
// cpu0 (`taskset`), so the proxy has a core to itself and the load generator never steals from it.
// --no-pin turns it off; --scale measures nbproc 2 / nbthread 2 unpinned (see docs/performance.md).
//
// Each proxy gets --warmup seconds (default 2) of the scenario's load before the measured rounds.
//
//   node bench/run.mjs [--rounds N] [--duration S] [--warmup S] [--connections C] [--scenario a,b] [--no-idle]
//                      [--idle-conns N] [--no-pin] [--scale]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : def;
}
const flag = (name) => process.argv.includes(`--${name}`);
if (flag('help')) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport')[0]);
  process.exit(0);
}
const ROUNDS = Number(arg('rounds', '3'));
const DURATION_S = Number(arg('duration', '4'));
const WARMUP_S = Number(arg('warmup', '2'));
const CONNECTIONS = Number(arg('connections', '50'));
const ONLY = arg('scenario', '').split(',').filter(Boolean);
const SCALE = flag('scale');
const PIN = !flag('no-pin') && !SCALE;
const IDLE_CONNS = flag('no-idle') ? 0 : Number(arg('idle-conns', '10000'));
const PROXY_CPU = '1';
const LOAD_CPU = '0';

/** A command line, pinned to `cpu` when pinning is on. */
function pinned(cpu, cmd, args) {
  return PIN ? ['taskset', ['-c', cpu, cmd, ...args]] : [cmd, args];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function waitPort(port, ms = 10000) {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tryOnce = () => {
      const c = net.connect({ host: '127.0.0.1', port });
      c.once('connect', () => {
        c.destroy();
        resolve();
      });
      c.once('error', () => {
        c.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} not open after ${ms} ms`));
        else setTimeout(tryOnce, 50);
      });
    };
    tryOnce();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `pid` and its descendants (from /proc/<pid>/task/<tid>/children), parents first. */
function processTree(pid) {
  const out = [];
  const walk = (p, depth) => {
    if (depth > 8) return;
    out.push(p);
    let children = [];
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const list = readFileSync(`/proc/${p}/task/${tid}/children`, 'latin1').trim();
        if (list) children.push(...list.split(/\s+/).map(Number));
      }
    } catch {
      children = [];
    }
    for (const c of children) walk(c, depth + 1);
  };
  walk(pid, 0);
  return out;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a process, remembers its PID; stop() signals exactly that PID and the children it started. */
function startProcess(name, cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d.toString()));
  return {
    name,
    pid: child.pid,
    stderr: () => stderr,
    async stop() {
      // the tree is read before signalling: an orphaned worker is still ours to stop
      const tree = child.exitCode === null && child.signalCode === null ? processTree(child.pid) : [];
      for (const pid of [...tree].reverse()) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {}
      }
      for (let i = 0; i < 60 && tree.some(alive); i++) await sleep(50);
      for (const pid of tree) {
        if (!alive(pid)) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    },
  };
}

/** CPU time (user + system, ms) used so far by a process tree, from /proc; undefined if unknown. */
function cpuMs(pid) {
  if (pid === undefined) return undefined;
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[11] = utime, fields[12] = stime, in clock ticks (100 Hz on Linux)
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    } catch {
      if (p === pid) return undefined;
    }
  }
  return total;
}

/** A /proc/<pid>/status field (kB) summed over the process tree: VmHWM = peak RSS, VmRSS = now. */
function memKb(pid, field) {
  if (pid === undefined) return undefined;
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${p}/status`, 'latin1'));
      if (m) total += Number(m[1]);
    } catch {}
  }
  return total;
}

// ---- backends ------------------------------------------------------------------------------

const BACKENDS = 4;
const SMALL_BODY = 'x'.repeat(99) + '\n'; // 100 bytes
const BIG_BYTES = 64 * 1024;

async function startNginx(dir) {
  const ports = [];
  for (let i = 0; i < BACKENDS; i++) ports.push(await freePort());
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(BIG_BYTES, 0x61));
  const servers = ports
    .map(
      (p) => `  server {
    listen 127.0.0.1:${p} backlog=4096;
    location = / { default_type text/plain; return 200 "${SMALL_BODY.slice(0, -1)}\\n"; }
    location = /64k { default_type application/octet-stream; alias ${dir}/big.bin; }
  }`,
    )
    .join('\n');
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 30000; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  sendfile on;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${servers}
}
`,
  );
  const [cmd, args] = pinned(LOAD_CPU, 'nginx', ['-c', conf, '-p', dir, '-e', `${dir}/nginx-error.log`]);
  const p = startProcess('nginx', cmd, args);
  for (const port of ports) await waitPort(port);
  return { ports, stop: () => p.stop(), pid: p.pid };
}

/** A UDP syslog sink (counts datagrams) for the httplog scenario. */
async function startSyslogSink(dir) {
  const port = await freePort();
  const script = `const s=require('dgram').createSocket('udp4');let n=0;s.on('message',()=>n++);s.bind(${port},'127.0.0.1');process.on('SIGTERM',()=>{require('fs').writeFileSync(${JSON.stringify(join(dir, 'sink.count'))},String(n));process.exit(0)})`;
  const [cmd, args] = pinned(LOAD_CPU, process.execPath, ['-e', script]);
  const p = startProcess('syslog-sink', cmd, args);
  await sleep(300);
  return { port, pid: p.pid, stop: () => p.stop() };
}

// ---- configurations ------------------------------------------------------------------------

/** The legacy (1.2-grammar) configuration tsproxy runs. */
function legacyConfig(s, listenPort, ports, extra = {}) {
  const http = s.mode === 'http';
  const lines = ['global', `  maxconn ${extra.maxconn ?? 4000}`];
  if (extra.nbproc) lines.push(`  nbproc ${extra.nbproc}`);
  if (s.httplog) lines.push(`  log 127.0.0.1:${extra.syslogPort} local0`);
  lines.push(`listen bench 127.0.0.1:${listenPort}`, `  mode ${s.mode}`, '  balance roundrobin');
  // legacy: a proxy without maxconn holds connections beyond 2000 unaccepted
  if (extra.maxconn) lines.push(`  maxconn ${extra.maxconn}`);
  if (http) lines.push('  cookie SERVERID insert indirect nocache', '  option forwardfor');
  if (http && s.httpclose) lines.push('  option httpclose');
  if (s.httplog) lines.push('  log global', '  option httplog');
  lines.push('  contimeout 5000', '  clitimeout 30000', '  srvtimeout 30000');
  ports.forEach((p, i) => lines.push(`  server s${i + 1} 127.0.0.1:${p}${http ? ` cookie s${i + 1}` : ''}`));
  return lines.join('\n') + '\n';
}

/** The same configuration in haproxy 2.6's spelling. */
function haproxyConfig(s, listenPort, ports, extra = {}) {
  const http = s.mode === 'http';
  const lines = ['global', `  maxconn ${extra.maxconn ?? 4000}`, `  nbthread ${extra.nbthread ?? 1}`];
  if (s.httplog) lines.push(`  log 127.0.0.1:${extra.syslogPort} local0`);
  lines.push('defaults', `  mode ${s.mode}`, '  timeout connect 5s', '  timeout client 30s', '  timeout server 30s');
  lines.push('listen bench', `  bind 127.0.0.1:${listenPort}`, '  balance roundrobin');
  if (extra.maxconn) lines.push(`  maxconn ${extra.maxconn}`);
  if (http) lines.push('  cookie SERVERID insert indirect nocache', '  option forwardfor');
  if (http && s.httpclose) lines.push('  option httpclose');
  if (s.httplog) lines.push('  log global', '  option httplog');
  ports.forEach((p, i) => lines.push(`  server s${i + 1} 127.0.0.1:${p}${http ? ` cookie s${i + 1}` : ''}`));
  return lines.join('\n') + '\n';
}

async function startTsproxy(dir, s, ports, extra = {}) {
  const port = await freePort();
  const cfg = join(dir, `tsproxy-${s.name}-${port}.cfg`);
  writeFileSync(cfg, legacyConfig(s, port, ports, extra));
  // executed through its shebang, as an operator runs it (with the V8 flags it carries)
  const [cmd, args] = pinned(PROXY_CPU, join(ROOT, 'bin/tsproxy'), [...(extra.master ? ['-W'] : []), '-f', cfg]);
  const p = startProcess('tsproxy', cmd, args);
  await waitPort(port).catch((e) => {
    throw new Error(`${e.message}\n${p.stderr()}`);
  });
  return { port, pid: p.pid, stop: () => p.stop(), stderr: p.stderr };
}

async function startHaproxy(dir, s, ports, extra = {}) {
  const port = await freePort();
  const cfg = join(dir, `haproxy-${s.name}-${port}.cfg`);
  writeFileSync(cfg, haproxyConfig(s, port, ports, extra));
  const [cmd, args] = pinned(PROXY_CPU, 'haproxy', ['-f', cfg, '-db']);
  const p = startProcess('haproxy', cmd, args);
  await waitPort(port).catch((e) => {
    throw new Error(`${e.message}\n${p.stderr()}`);
  });
  return { port, pid: p.pid, stop: () => p.stop(), stderr: p.stderr };
}

const PROXIES = [
  {
    // the first backend without any proxy: the ceiling for this machine and load generator
    name: 'direct',
    start: async (_dir, _s, ports) => ({ port: ports[0], pid: undefined, stop: async () => {} }),
  },
  { name: 'haproxy-2.6', start: (dir, s, ports, extra) => startHaproxy(dir, s, ports, extra) },
  { name: 'tsproxy', start: (dir, s, ports, extra) => startTsproxy(dir, s, ports, extra) },
];
const SCALE_PROXIES = [
  { name: 'haproxy-2.6', start: (dir, s, ports, extra) => startHaproxy(dir, s, ports, extra) },
  { name: 'haproxy-nbthread2', start: (dir, s, ports, extra) => startHaproxy(dir, s, ports, { ...extra, nbthread: 2 }) },
  { name: 'tsproxy', start: (dir, s, ports, extra) => startTsproxy(dir, s, ports, extra) },
  { name: 'tsproxy-W-nbproc2', start: (dir, s, ports, extra) => startTsproxy(dir, s, ports, { ...extra, master: true, nbproc: 2 }) },
];

// ---- scenarios -----------------------------------------------------------------------------

const wrkArgs = (port, { path = '/', headers = [], connections = CONNECTIONS } = {}) => [
  '-t', '1', '-c', String(connections), '-d', `DURATION`, '--latency',
  ...headers.flatMap((h) => ['-H', h]),
  `http://127.0.0.1:${port}${path}`,
];

const SCENARIOS = [
  {
    name: 'http-keepalive',
    description: 'mode http, keep-alive, roundrobin over 4 servers, cookie SERVERID insert indirect nocache, option forwardfor, 100-byte responses',
    mode: 'http',
    wrk: (port) => wrkArgs(port),
  },
  {
    name: 'http-keepalive-httplog',
    description: 'the same with option httplog to a local UDP syslog sink',
    mode: 'http',
    httplog: true,
    wrk: (port) => wrkArgs(port),
  },
  {
    name: 'http-close',
    description: 'Connection: close on every request + option httpclose (a client and a server connection per request)',
    mode: 'http',
    httpclose: true,
    wrk: (port) => wrkArgs(port, { headers: ['Connection: close'] }),
  },
  {
    name: 'tcp-keepalive',
    description: 'mode tcp, roundrobin over 4 servers, wrk keep-alive requests through one long TCP session per connection',
    mode: 'tcp',
    wrk: (port) => wrkArgs(port),
  },
  {
    name: 'http-64k',
    description: 'mode http as http-keepalive, 64 KiB responses (throughput in MiB/s)',
    mode: 'http',
    mib: true,
    wrk: (port) => wrkArgs(port, { path: '/64k' }),
  },
  {
    name: 'tcp-close',
    description: 'mode tcp, one TCP session per request (opt-in: --scenario tcp-close)',
    mode: 'tcp',
    defaultRun: false,
    wrk: (port) => wrkArgs(port, { headers: ['Connection: close'] }),
  },
];

// ---- wrk -----------------------------------------------------------------------------------

function toMs(v, unit) {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60000 : n;
}

function toMiB(v, unit) {
  const n = Number(v);
  return unit === 'GB' ? n * 1024 : unit === 'KB' ? n / 1024 : unit === 'B' ? n / 1048576 : n;
}

function runWrk(args, seconds = DURATION_S) {
  const [cmd, a] = pinned(LOAD_CPU, 'wrk', args.map((x) => (x === 'DURATION' ? `${seconds}s` : x)));
  const r = spawnSync(cmd, a, { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const out = r.stdout ?? '';
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s|m)\b/.exec(out);
  const p50 = /\s50%\s+([\d.]+)(us|ms|s|m)\b/.exec(out);
  const xfer = /Transfer\/sec:\s+([\d.]+)(GB|MB|KB|B)/.exec(out);
  const errors = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  const sockErr = /Socket errors: (.*)/.exec(out);
  if (!rps || !p99) throw new Error(`wrk output not understood:\n${out}\n${r.stderr ?? ''}`);
  return {
    rps: Number(rps[1]),
    mibps: xfer ? toMiB(xfer[1], xfer[2]) : NaN,
    p50Ms: p50 ? toMs(p50[1], p50[2]) : NaN,
    p99Ms: toMs(p99[1], p99[2]),
    errors: errors ? Number(errors[1]) : 0,
    requests: total ? Number(total[1]) : NaN,
    socketErrors: sockErr ? sockErr[1].trim() : '',
  };
}

function median(xs) {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---- idle connections ----------------------------------------------------------------------

/**
 * Opens `count` keep-alive client connections to `port`, each makes one request and then stays
 * idle; returns the proxy's RSS before, with them open, and after they are closed.
 */
async function idleCheck(inst, count) {
  const req = Buffer.from('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');
  const sockets = [];
  const one = () =>
    new Promise((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port: inst.port });
      sockets.push(c);
      let done = false;
      const finish = (ok) => {
        if (!done) {
          done = true;
          resolve(ok);
        }
      };
      c.setTimeout(10000, () => finish(false));
      c.on('error', () => finish(false));
      c.on('connect', () => c.write(req));
      c.on('data', () => finish(true));
    });
  // warm-up so that the baseline includes a served request
  await Promise.all(Array.from({ length: 20 }, one));
  for (const s of sockets.splice(0)) s.destroy();
  await sleep(1000);
  const before = memKb(inst.pid, 'VmRSS');
  let ok = 0;
  for (let i = 0; i < count; i += 250) {
    const batch = await Promise.all(Array.from({ length: Math.min(250, count - i) }, one));
    ok += batch.filter(Boolean).length;
  }
  await sleep(2000);
  const during = memKb(inst.pid, 'VmRSS');
  for (const s of sockets.splice(0)) s.destroy();
  await sleep(2000);
  const after = memKb(inst.pid, 'VmRSS');
  return { ok, count, beforeKb: before, duringKb: during, afterKb: after };
}

// ---- main ----------------------------------------------------------------------------------

async function main() {
  for (const tool of ['wrk', 'nginx', 'haproxy', ...(PIN ? ['taskset'] : [])]) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      console.error(`bench: ${tool} not found (Debian: apt-get install wrk nginx haproxy util-linux)`);
      process.exit(1);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-bench-'));
  const running = [];
  const cleanup = async () => {
    for (const p of running.splice(0).reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
  const results = [];
  const idle = [];
  const t0 = Date.now();
  try {
    const nginx = await startNginx(dir);
    running.push(nginx);
    const sink = await startSyslogSink(dir);
    running.push(sink);
    const proxies = SCALE ? SCALE_PROXIES : PROXIES;
    const scenarios = SCENARIOS.filter((s) =>
      ONLY.length ? ONLY.includes(s.name) : SCALE ? s.name === 'http-keepalive' || s.name === 'tcp-keepalive' : s.defaultRun !== false,
    );
    for (const scenario of scenarios) {
      const started = [];
      for (const px of proxies) {
        const inst = await px.start(dir, scenario, nginx.ports, { syslogPort: sink.port });
        running.push(inst);
        started.push({ px, inst });
      }
      // warm-up, not measured: the same load for WARMUP_S on every proxy, so that what is compared
      // is the steady state a long-running proxy is in (tsproxy's JIT compiles its hot path in
      // the first second; HAProxy has nothing to warm, the round costs it nothing)
      if (WARMUP_S > 0) for (const { inst } of started) runWrk(scenario.wrk(inst.port), WARMUP_S);
      const samples = new Map(started.map(({ px }) => [px.name, []]));
      for (let round = 1; round <= ROUNDS; round++) {
        // alternate the order each round so no proxy always runs on a warmer machine
        const order = round % 2 ? started : [...started].reverse();
        for (const { px, inst } of order) {
          const cpu0 = cpuMs(inst.pid);
          const r = runWrk(scenario.wrk(inst.port));
          const cpu1 = cpuMs(inst.pid);
          // CPU per request is what the proxy costs, whatever else runs on the machine
          r.cpuUsPerReq = cpu0 !== undefined && cpu1 !== undefined ? ((cpu1 - cpu0) * 1000) / r.requests : NaN;
          samples.get(px.name).push(r);
          console.error(
            `${scenario.name} round ${round} ${px.name}: ${r.rps.toFixed(0)} req/s${scenario.mib ? ` ${r.mibps.toFixed(0)} MiB/s` : ''}, p99 ${r.p99Ms.toFixed(2)} ms, ` +
              `${Number.isNaN(r.cpuUsPerReq) ? '-' : r.cpuUsPerReq.toFixed(1)} CPU us/req${r.errors || r.socketErrors ? `, errors ${r.errors} ${r.socketErrors}` : ''}`,
          );
        }
      }
      for (const { px, inst } of started) {
        const s = samples.get(px.name);
        results.push({
          scenario: scenario.name,
          mib: scenario.mib === true,
          proxy: px.name,
          rps: median(s.map((x) => x.rps)),
          mibps: median(s.map((x) => x.mibps)),
          cpuUsPerReq: median(s.map((x) => x.cpuUsPerReq)),
          p50Ms: median(s.map((x) => x.p50Ms)),
          p99Ms: median(s.map((x) => x.p99Ms)),
          peakRssMb: inst.pid === undefined ? NaN : memKb(inst.pid, 'VmHWM') / 1024,
          errors: s.reduce((a, x) => a + x.errors, 0) + s.filter((x) => x.socketErrors).length,
        });
      }
      for (const { inst } of started) {
        await inst.stop();
        running.splice(running.indexOf(inst), 1);
      }
    }
    if (IDLE_CONNS > 0 && !SCALE) {
      // each idle client connection holds a kept server connection too: 2 descriptors in the
      // proxy; the count is lowered to fit the descriptor limit (raising it needs privileges)
      const limit = Number(/Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'latin1'))?.[1] ?? 1024);
      const count = Math.min(IDLE_CONNS, Math.floor((limit - 2000) / 2));
      const s = SCENARIOS[0];
      for (const [name, start] of [
        ['tsproxy', () => startTsproxy(dir, s, nginx.ports, { maxconn: count + 50 })],
        ['haproxy-2.6', () => startHaproxy(dir, s, nginx.ports, { maxconn: count + 50 })],
      ]) {
        const inst = await start();
        running.push(inst);
        idle.push({ proxy: name, ...(await idleCheck(inst, count)) });
        await inst.stop();
        running.splice(running.indexOf(inst), 1);
      }
    }
  } finally {
    await cleanup();
  }
  printTable(results, idle, Math.round((Date.now() - t0) / 1000));
}

function printTable(results, idle, elapsedS) {
  const REF = 'haproxy-2.6';
  const ref = (scenario) => results.find((r) => r.scenario === scenario && r.proxy === REF);
  const rows = [['scenario', 'proxy', 'req/s', 'MiB/s', 'p50 ms', 'p99 ms', 'CPU us/req', 'peak RSS MB', `ratio vs ${REF}`, 'p99 vs', 'CPU vs', 'errors']];
  for (const r of results) {
    const h = ref(r.scenario);
    const val = (x) => (r.mib ? x.mibps : x.rps);
    const fx = (x, d) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
    rows.push([
      r.scenario,
      r.proxy,
      r.rps.toFixed(0),
      r.mib ? fx(r.mibps, 0) : '-',
      fx(r.p50Ms, 2),
      fx(r.p99Ms, 2),
      fx(r.cpuUsPerReq, 1),
      fx(r.peakRssMb, 1),
      h ? fx(val(r) / val(h), 2) : '-',
      h ? fx(r.p99Ms / h.p99Ms, 2) : '-',
      h ? fx(r.cpuUsPerReq / h.cpuUsPerReq, 2) : '-',
      String(r.errors),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(
    `\n${ROUNDS} rounds x ${DURATION_S} s after ${WARMUP_S} s warm-up, wrk -t1 -c${CONNECTIONS}, medians; 4 nginx backends (1 process, 1 worker), loopback; ` +
      `${PIN ? `proxy pinned to cpu${PROXY_CPU}, wrk+nginx on cpu${LOAD_CPU}` : 'no pinning'}; ratio = tsproxy/haproxy (req/s, MiB/s for http-64k); ${elapsedS} s`,
  );
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
  if (idle.length > 0) {
    console.log(`\nidle keep-alive client connections (one request each, then idle):`);
    for (const i of idle) {
      console.log(
        `${i.proxy.padEnd(12)} ${i.ok}/${i.count} served; RSS ${(i.beforeKb / 1024).toFixed(1)} MB before, ` +
          `${(i.duringKb / 1024).toFixed(1)} MB with them open (+${((i.duringKb - i.beforeKb) / 1024).toFixed(1)} MB, ` +
          `${(((i.duringKb - i.beforeKb) * 1024) / i.count).toFixed(0)} B/conn, so +${((i.duringKb - i.beforeKb) * 10000 / i.count / 1024).toFixed(1)} MB per 10 000), ` +
          `${(i.afterKb / 1024).toFixed(1)} MB after closing`,
      );
    }
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
