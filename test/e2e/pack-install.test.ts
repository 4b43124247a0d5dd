// `npm pack` then `npm install -g` of the tarball gives a working `tsproxy` command: installed
// into a private prefix, run from there (not from the work tree): -v, -c -f on the shipped
// examples, and a real proxied request. The build itself is `npm test`'s first step, so the pack
// skips the prepack build (--ignore-scripts) and packs the dist/ that the suite is testing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { createServer as createHttpServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function npm(args: readonly string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(NPM, args, { cwd, encoding: 'utf8', timeout: 45_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('npm pack + npm install -g of the tarball gives a working tsproxy', { timeout: 90_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'tsproxy-pack-'));
  const stop: Array<() => void> = [];
  t.after(() => {
    for (const f of stop) f();
    rmSync(work, { recursive: true, force: true });
  });

  const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
  assert.equal(packed.code, 0, `npm pack: ${packed.stderr}`);
  const info = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const tarball = join(work, info[0]?.filename ?? '');
  assert.ok(existsSync(tarball), 'the tarball exists');
  const paths = new Set(info[0]?.files.map((f) => f.path));
  for (const p of ['bin/tsproxy', 'dist/src/cli/main.js', 'dist/src/demo/demo.js', 'examples/demo.cfg', 'docs/tsproxy.1', 'README.md', 'package.json']) assert.ok(paths.has(p), `the tarball holds ${p}`);
  assert.ok(![...paths].some((p) => p.startsWith('test/') || p.startsWith('dist/test/') || p.startsWith('src/')), 'no tests or TypeScript sources in the tarball');

  const prefix = join(work, 'prefix');
  const installed = npm(['install', '-g', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund'], work);
  assert.equal(installed.code, 0, `npm install -g: ${installed.stderr}`);
  const bin = join(prefix, 'bin', 'tsproxy');
  const pkgDir = join(prefix, 'lib', 'node_modules', 'tsproxy');
  assert.ok(realpathSync(bin).startsWith(realpathSync(pkgDir)), 'the command on PATH is the installed copy');
  assert.ok(!realpathSync(bin).startsWith(realpathSync(ROOT)), 'not the work tree');

  // -v, found on PATH as a user who added the prefix's bin/ to it would run it
  const version = spawnSync('tsproxy', ['-v'], { cwd: work, encoding: 'utf8', timeout: 15_000, env: { ...process.env, PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}` } });
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^tsproxy version \d+\.\d+\.\d+/);

  // -c -f on every shipped example: exit 0 (the message may be silenced by `quiet` in the file).
  const examplesDir = join(pkgDir, 'examples');
  const examples = existsSync(examplesDir) ? readdirSync(examplesDir).filter((f) => f.endsWith('.cfg')) : [];
  assert.ok(examples.length > 0, 'the package ships example configurations');
  for (const name of examples) {
    const r = spawnSync(bin, ['-c', '-f', join(examplesDir, name)], { cwd: work, encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 0, `-c -f examples/${name}: ${r.stdout}${r.stderr}`);
  }

  // A real request through the installed tsproxy.
  const backend = createHttpServer((_req, res) => res.end('from the backend\n'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  stop.push(() => backend.close());
  const backendPort = (backend.address() as AddressInfo).port;
  const port = await freePort();
  const cfg = join(work, 'smoke.cfg');
  writeFileSync(cfg, `listen smoke 127.0.0.1:${port}\n    mode http\n    balance roundrobin\n    contimeout 3000\n    clitimeout 10000\n    srvtimeout 10000\n    server s1 127.0.0.1:${backendPort}\n`);
  const proxy = spawn(bin, ['-f', cfg], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proxy.stdout?.on('data', (d: Buffer) => (output += d));
  proxy.stderr?.on('data', (d: Buffer) => (output += d));
  stop.push(() => {
    if (proxy.exitCode === null && proxy.pid !== undefined) process.kill(proxy.pid, 'SIGKILL');
  });
  let body = '';
  for (let i = 0; i < 50 && !body; i++) {
    body = await new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d));
        res.on('end', () => resolve(b));
      });
      req.on('error', () => resolve(''));
      req.on('timeout', () => req.destroy());
      req.end();
    });
    if (!body) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(body, 'from the backend\n', `a request through the installed tsproxy; its output:\n${output}`);
});
