// `npm run demo`: four demo web servers on 127.0.0.1 and the real tsproxy in front of them on
// examples/demo.cfg (the guide's section 1), a short "what to try" text, keys to stop and start
// a server, and a clean stop of everything on Ctrl-C or SIGTERM.
// Ports can be moved with TSPROXY_DEMO_PORT and TSPROXY_DEMO_SERVER_PORTS (four, comma-separated);
// the demo then runs a copy of examples/demo.cfg moved onto those ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adaptDemoConfig, builtinDemoConfig, isDefaultPorts, portsFromEnv, SERVER_LETTERS, type DemoPorts } from './config.js';
import { DemoWebServer } from './web-server.js';

// dist/src/demo/demo.js → the package root, in the work tree and in an installed package alike.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'tsproxy');
const EXAMPLE = join(ROOT, 'examples', 'demo.cfg');
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Picks the configuration file: examples/demo.cfg as is, or a moved/built-in copy in a temp dir. */
function chooseConfig(ports: DemoPorts): { path: string; tempDir: string | null; note: string } {
  const example = existsSync(EXAMPLE) ? readFileSync(EXAMPLE, 'utf8') : null;
  if (example !== null && isDefaultPorts(ports)) return { path: EXAMPLE, tempDir: null, note: `examples/demo.cfg` };
  const tempDir = mkdtempSync(join(tmpdir(), 'tsproxy-demo-'));
  const path = join(tempDir, 'demo.cfg');
  const moved = example === null ? null : adaptDemoConfig(example, ports);
  if (moved !== null) {
    writeFileSync(path, moved);
    return { path, tempDir, note: `a copy of examples/demo.cfg moved to the ports asked for (${path})` };
  }
  writeFileSync(path, builtinDemoConfig(ports));
  const why = example === null ? 'examples/demo.cfg is missing' : 'examples/demo.cfg does not use the default demo addresses';
  return { path, tempDir, note: `the built-in demo configuration (${why}; written to ${path})` };
}

/** Resolves true when nothing listens on 127.0.0.1:port (so that tsproxy, not a stranger, answers there). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Resolves once 127.0.0.1:port accepts a connection, or rejects after READY_TIMEOUT_MS. */
function waitForPort(port: number, isGone: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (isGone()) return reject(new Error('tsproxy exited before it was ready'));
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`tsproxy did not listen on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Signals our child by its PID; it may have exited a moment ago (ESRCH is not an error then). */
function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    /* already gone */
  }
}

function prefixLines(stream: NodeJS.ReadableStream, prefix: string, out: NodeJS.WritableStream): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) out.write(`${prefix}${line}\n`);
  });
  stream.on('end', () => {
    if (pending) out.write(`${prefix}${pending}\n`);
  });
}

function instructions(ports: DemoPorts, configNote: string, proxyPid: number | undefined): string {
  const url = `http://127.0.0.1:${ports.proxyPort}/`;
  const servers = ports.serverPorts.map((p, i) => `web${SERVER_LETTERS[i]} on 127.0.0.1:${p}`).join(', ');
  return `
tsproxy demo is running.
  tsproxy (pid ${proxyPid ?? '?'}) listens on ${url} with ${configNote}
  demo web servers: ${servers}

Try:
  curl -v ${url}
      round robin: run it a few times, another server answers each time; note the
      "Set-Cookie: SERVERID=..." header tsproxy adds to the answer
  curl -c /tmp/jar -b /tmp/jar ${url}
      with a cookie jar the client sends SERVERID back: the same server every time
  ${url} in a browser
      the browser keeps the cookie too: reloads stay on one server
  press 1-4 (or a-d) here to stop/start webA-webD (or kill -USR1 ${process.pid} for webA,
  kill -USR2 ${process.pid} for webB): within a few seconds the health check (HEAD /index.html)
      marks the server DOWN, and a client whose cookie names it moves to another server
      with a new cookie; start it again and the check brings it back UP
  press s for the servers' state, q or Ctrl-C to stop everything.
`;
}

async function main(): Promise<void> {
  let ports: DemoPorts;
  try {
    ports = portsFromEnv(process.env);
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) {
    process.stderr.write('demo: tsproxy is not built; run "npm run build" (or "npm run demo") first\n');
    process.exitCode = 1;
    return;
  }

  const servers = ports.serverPorts.map((port, i) => new DemoWebServer(`web${SERVER_LETTERS[i]}`, port));
  let proxy: ChildProcess | null = null;
  let proxyExited = false;
  let config: { path: string; tempDir: string | null; note: string } | null = null;
  let stopping: Promise<void> | null = null;

  const stopAll = (exitCode: number): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (process.stdin.isTTY) process.stdin.setRawMode(false);
      process.stdin.pause();
      const child = proxy;
      if (child && !proxyExited && child.pid !== undefined) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        // SIGTERM stops tsproxy at once (as it stops haproxy); SIGKILL only if it does not obey.
        signalChild(child, 'SIGTERM');
        const timer = setTimeout(() => {
          if (!proxyExited) signalChild(child, 'SIGKILL');
        }, STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      await Promise.all(servers.map((s) => s.stop()));
      if (config?.tempDir) rmSync(config.tempDir, { recursive: true, force: true });
      say('demo: stopped tsproxy and the demo web servers');
      process.exitCode = exitCode;
      // stdin may still hold the event loop (a pipe from a parent); nothing else is left to do.
      setImmediate(() => process.exit(exitCode));
    })();
    return stopping;
  };

  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  process.on('SIGHUP', () => void stopAll(0));

  try {
    for (const s of servers) await s.start();
  } catch (err) {
    process.stderr.write(`demo: cannot start the demo web servers: ${(err as Error).message}\n` + '  (another program uses one of the ports? set TSPROXY_DEMO_SERVER_PORTS=p1,p2,p3,p4)\n');
    await stopAll(1);
    return;
  }

  if (!(await portIsFree(ports.proxyPort))) {
    process.stderr.write(`demo: 127.0.0.1:${ports.proxyPort} is already in use (set TSPROXY_DEMO_PORT to another port)\n`);
    await stopAll(1);
    return;
  }
  config = chooseConfig(ports);
  const child = spawn(process.execPath, [BIN, '-f', config.path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  proxy = child;
  if (child.stdout) prefixLines(child.stdout, '[tsproxy] ', process.stdout);
  if (child.stderr) prefixLines(child.stderr, '[tsproxy] ', process.stderr);
  child.on('exit', (code, signal) => {
    proxyExited = true;
    if (!stopping) {
      process.stderr.write(`demo: tsproxy exited (${signal ?? `code ${code}`}); stopping the demo\n`);
      void stopAll(1);
    }
  });
  child.on('error', (err) => {
    proxyExited = true;
    process.stderr.write(`demo: cannot run tsproxy: ${err.message}\n`);
    void stopAll(1);
  });

  try {
    await waitForPort(ports.proxyPort, () => proxyExited);
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    await stopAll(1);
    return;
  }
  if (stopping) return;
  say(instructions(ports, config.note, child.pid));
  say(`demo: ready (tsproxy pid ${child.pid}, config ${config.path})`);

  const toggle = async (index: number): Promise<void> => {
    const server = servers[index];
    if (!server) return;
    if (server.running) {
      await server.stop();
      say(`demo: ${server.name} stopped (127.0.0.1:${server.port} refuses connections); watch tsproxy mark it DOWN`);
    } else {
      try {
        await server.start();
        say(`demo: ${server.name} started again; tsproxy's check will bring it back UP`);
      } catch (err) {
        say(`demo: ${server.name} cannot start again: ${(err as Error).message}`);
      }
    }
  };
  const status = (): void => {
    say(`demo: ${servers.map((s) => `${s.name} ${s.running ? 'running' : 'stopped'}`).join(', ')}`);
  };
  const command = (key: string): void => {
    const k = key.toLowerCase();
    if (k === 'q' || k === '\u0003') void stopAll(0);
    else if (k === 's') status();
    else if (/^[1-4]$/.test(k)) void toggle(Number(k) - 1);
    else if (/^[a-d]$/.test(k)) void toggle(k.charCodeAt(0) - 97);
  };

  process.on('SIGUSR1', () => void toggle(0));
  process.on('SIGUSR2', () => void toggle(1));

  // A terminal gives single keys; a pipe (scripts, tests) gives one command per line.
  process.stdin.setEncoding('utf8');
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', (chunk: string) => {
      for (const key of chunk) command(key);
    });
  } else {
    let pending = '';
    process.stdin.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) command(line.trim());
    });
  }
  process.stdin.resume();
}

void main();
