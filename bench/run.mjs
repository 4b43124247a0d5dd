// `npm run bench`: the same load through tsproxy and through Debian's haproxy 2.6 (nbthread 1),
// in one run, against an nginx backend on loopback, driven by wrk with keep-alive.
// Structured as a list of scenarios × a list of proxies so that more scenarios (HTTP mode...)
// and more proxies can be added. Every process is started and stopped by its PID.
//
//   node bench/run.mjs [--rounds N] [--duration S] [--connections C] [--scenario name]
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
const ROUNDS = Number(arg('rounds', '3'));
const DURATION_S = Number(arg('duration', '5'));
const CONNECTIONS = Number(arg('connections', '50'));
const ONLY = arg('scenario', '');

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
      for (let i = 0; i < 60 && tree.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
      for (const pid of tree) {
        if (!alive(pid)) continue;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    },
  };
}

// ---- backend -------------------------------------------------------------------------------

async function startNginx(dir) {
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / { default_type text/plain; return 200 "hello from nginx\\n"; }
  }
}
`,
  );
  const p = startProcess('nginx', 'nginx', ['-c', conf, '-p', dir, '-e', `${dir}/nginx-error.log`]);
  await waitPort(port);
  return { port, stop: () => p.stop(), pid: p.pid };
}

// ---- proxies -------------------------------------------------------------------------------

/** A legacy config both proxies accept (haproxy 2.6 gets its modern spelling). */
function legacyConfig(scenario, listenPort, backendPort) {
  return `global
  maxconn 4000
listen bench
  bind 127.0.0.1:${listenPort}
  mode ${scenario.mode}
  balance roundrobin
  contimeout 5000
  clitimeout 30000
  srvtimeout 30000
${scenario.mode === 'http' ? '  option httpclose\n'.repeat(scenario.httpclose ? 1 : 0) : ''}  server nginx 127.0.0.1:${backendPort}
`;
}

function haproxyConfig(scenario, listenPort, backendPort) {
  return `global
  maxconn 4000
  nbthread 1
defaults
  mode ${scenario.mode}
  timeout connect 5s
  timeout client 30s
  timeout server 30s
listen bench
  bind 127.0.0.1:${listenPort}
  balance roundrobin
${scenario.mode === 'http' && scenario.httpclose ? '  option httpclose\n' : ''}  server nginx 127.0.0.1:${backendPort}
`;
}

const PROXIES = [
  {
    // the backend without any proxy: the ceiling for this machine and load generator
    name: 'direct',
    async start(_dir, _scenario, backendPort) {
      return { port: backendPort, pid: undefined, stop: async () => {} };
    },
  },
  {
    name: 'tsproxy',
    async start(dir, scenario, backendPort) {
      const port = await freePort();
      const cfg = join(dir, `tsproxy-${scenario.name}.cfg`);
      writeFileSync(cfg, legacyConfig(scenario, port, backendPort));
      const p = startProcess('tsproxy', process.execPath, [join(ROOT, 'bin/tsproxy'), '-f', cfg]);
      await waitPort(port).catch((e) => {
        throw new Error(`${e.message}\n${p.stderr()}`);
      });
      return { port, pid: p.pid, stop: () => p.stop() };
    },
  },
  {
    name: 'haproxy-2.6',
    async start(dir, scenario, backendPort) {
      const port = await freePort();
      const cfg = join(dir, `haproxy-${scenario.name}.cfg`);
      writeFileSync(cfg, haproxyConfig(scenario, port, backendPort));
      const p = startProcess('haproxy', 'haproxy', ['-f', cfg, '-db']);
      await waitPort(port).catch((e) => {
        throw new Error(`${e.message}\n${p.stderr()}`);
      });
      return { port, pid: p.pid, stop: () => p.stop() };
    },
  },
];

// ---- scenarios -----------------------------------------------------------------------------

const SCENARIOS = [
  {
    name: 'tcp-keepalive',
    description: 'mode tcp, wrk HTTP/1.1 keep-alive requests through one long TCP session per connection',
    mode: 'tcp',
    httpclose: false,
    wrk: (port) => ['-t', '1', '-c', String(CONNECTIONS), '-d', `${DURATION_S}s`, '--latency', `http://127.0.0.1:${port}/`],
  },
  {
    name: 'http-keepalive',
    description: 'mode http, keep-alive on both sides (each request analysed and balanced)',
    mode: 'http',
    httpclose: false,
    // opt-in (--scenario http-keepalive) until the performance work owns the HTTP scenarios
    defaultRun: false,
    wrk: (port) => ['-t', '1', '-c', String(CONNECTIONS), '-d', `${DURATION_S}s`, '--latency', `http://127.0.0.1:${port}/`],
  },
  {
    name: 'tcp-close',
    description: 'mode tcp, one TCP session per request (accept + server connect each time)',
    mode: 'tcp',
    httpclose: false,
    // opt-in (--scenario tcp-close): thousands of TIME_WAIT sockets per second can exhaust
    // loopback ephemeral ports on a shared machine
    defaultRun: false,
    wrk: (port) => [
      '-t', '1', '-c', String(Math.min(CONNECTIONS, 20)), '-d', `${DURATION_S}s`, '--latency',
      '-H', 'Connection: close', `http://127.0.0.1:${port}/`,
    ],
  },
];

// ---- wrk -----------------------------------------------------------------------------------

function toMs(v, unit) {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60000 : n;
}

/** CPU time (user + system, ms) used so far by a process and its descendants (bin/tsproxy
 *  serves from a child process), from /proc; undefined if unknown. */
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

function runWrk(args) {
  const r = spawnSync('wrk', args, { encoding: 'utf8', timeout: (DURATION_S + 30) * 1000 });
  const out = r.stdout ?? '';
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s|m)\b/.exec(out);
  const p50 = /\s50%\s+([\d.]+)(us|ms|s|m)\b/.exec(out);
  const errors = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  const sockErr = /Socket errors: (.*)/.exec(out);
  if (!rps || !p99) throw new Error(`wrk output not understood:\n${out}\n${r.stderr ?? ''}`);
  return {
    rps: Number(rps[1]),
    p50Ms: p50 ? toMs(p50[1], p50[2]) : NaN,
    p99Ms: toMs(p99[1], p99[2]),
    errors: (errors ? Number(errors[1]) : 0),
    requests: total ? Number(total[1]) : NaN,
    socketErrors: sockErr ? sockErr[1].trim() : '',
  };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// ---- main ----------------------------------------------------------------------------------

async function main() {
  for (const tool of ['wrk', 'nginx', 'haproxy']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      console.error(`bench: ${tool} not found`);
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
  try {
    const nginx = await startNginx(dir);
    running.push(nginx);
    const scenarios = SCENARIOS.filter((s) => (ONLY ? s.name === ONLY : s.defaultRun !== false));
    for (const scenario of scenarios) {
      const started = [];
      for (const px of PROXIES) {
        const inst = await px.start(dir, scenario, nginx.port);
        running.push(inst);
        started.push({ px, inst });
      }
      const samples = new Map(started.map(({ px }) => [px.name, []]));
      for (let round = 1; round <= ROUNDS; round++) {
        // alternate the order each round so neither proxy always runs on a warmer machine
        const order = round % 2 ? started : [...started].reverse();
        for (const { px, inst } of order) {
          const cpu0 = cpuMs(inst.pid);
          const r = runWrk(scenario.wrk(inst.port));
          const cpu1 = cpuMs(inst.pid);
          // CPU per request is what the proxy costs, whatever else runs on the machine
          r.cpuUsPerReq = cpu0 !== undefined && cpu1 !== undefined ? ((cpu1 - cpu0) * 1000) / r.requests : NaN;
          samples.get(px.name).push(r);
          console.error(`${scenario.name} round ${round} ${px.name}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99Ms.toFixed(2)} ms, ${Number.isNaN(r.cpuUsPerReq) ? '-' : r.cpuUsPerReq.toFixed(1)} CPU us/req${r.errors || r.socketErrors ? `, errors ${r.errors} ${r.socketErrors}` : ''}`);
        }
      }
      for (const { inst } of started) {
        await inst.stop();
        running.splice(running.indexOf(inst), 1);
      }
      for (const { px } of started) {
        const s = samples.get(px.name);
        results.push({
          scenario: scenario.name,
          proxy: px.name,
          rps: median(s.map((x) => x.rps)),
          bestRps: Math.max(...s.map((x) => x.rps)),
          cpuUsPerReq: median(s.map((x) => x.cpuUsPerReq)),
          bestP99Ms: Math.min(...s.map((x) => x.p99Ms)),
          p50Ms: median(s.map((x) => x.p50Ms)),
          p99Ms: median(s.map((x) => x.p99Ms)),
          errors: s.reduce((a, x) => a + x.errors, 0),
        });
      }
    }
  } finally {
    await cleanup();
  }
  printTable(results);
}

function printTable(results) {
  const ref = (scenario) => results.find((r) => r.scenario === scenario && r.proxy === 'haproxy-2.6');
  // medians, plus the best round: on a shared machine the best round is the least disturbed one
  const rows = [['scenario', 'proxy', 'req/s', 'p50 ms', 'p99 ms', 'req/s vs haproxy', 'p99 vs haproxy', 'best req/s', 'best p99 ms', 'CPU us/req', 'CPU vs haproxy', 'errors']];
  for (const r of results) {
    const h = ref(r.scenario);
    rows.push([
      r.scenario,
      r.proxy,
      r.rps.toFixed(0),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      h ? (r.rps / h.rps).toFixed(2) : '-',
      h ? (r.p99Ms / h.p99Ms).toFixed(2) : '-',
      r.bestRps.toFixed(0),
      r.bestP99Ms.toFixed(2),
      Number.isNaN(r.cpuUsPerReq) ? '-' : r.cpuUsPerReq.toFixed(1),
      h && !Number.isNaN(r.cpuUsPerReq) ? (r.cpuUsPerReq / h.cpuUsPerReq).toFixed(2) : '-',
      String(r.errors),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`\n${ROUNDS} rounds x ${DURATION_S} s, ${CONNECTIONS} connections, medians (wrk -t1, nginx backend, loopback)`);
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
