// A private network for high-availability tests, made of Linux network namespaces: one namespace
// holds a bridge (the "switch"), every host is a namespace joined to it by a veth pair. Nothing is
// created in the host's own namespace. Hosts may also get a PID namespace of their own, so that
// `killall -0 tsproxy` (keepalived's vrrp_script) sees only that host's processes.
// Every process is tracked and killed by PID, every namespace deleted, in destroy().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const AGENT = join(REPO_ROOT, 'dist', 'test', 'support', 'netns-agent.js');
export const TSPROXY_BIN = join(REPO_ROOT, 'bin', 'tsproxy');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Like sleep, but does not keep the process alive (used in races that usually end sooner). */
const idle = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
/** The namespace prefix of this process's labs; stale ones of dead processes are removed. */
const PREFIX = 'tsha';
/** A pid-namespace init outlives a crashed test by at most this long. */
const INIT_LIFETIME_S = 900;

/** The environment of every lab command: root's sbin directories on PATH even if the caller's lacks them. */
const ENV: NodeJS.ProcessEnv = { ...process.env, PATH: [...new Set([...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/usr/bin', '/sbin', '/bin'])].join(':') };

function which(cmd: string): boolean {
  return (ENV.PATH ?? '').split(':').some((dir) => existsSync(join(dir, cmd)));
}

function sh(argv: readonly string[], timeoutMs = 10_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(argv[0] ?? 'false', argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, env: ENV });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

function must(argv: readonly string[]): string {
  const r = sh(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Why the namespace tests cannot run here, or null when they can. */
export function labUnavailableReason(extraCommands: readonly string[] = []): string | null {
  if (process.platform !== 'linux') return 'needs Linux network namespaces';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (network namespaces, keepalived)';
  for (const cmd of ['ip', 'unshare', 'nsenter', ...extraCommands]) if (!which(cmd)) return `needs the '${cmd}' command (Debian: iproute2, util-linux, keepalived, psmisc)`;
  const probe = `${PREFIX}${process.pid}-probe`;
  const r = sh(['ip', 'netns', 'add', probe]);
  if (r.code !== 0) return `cannot create a network namespace here: ${r.stderr.trim()}`;
  const pidns = sh(['ip', 'netns', 'exec', probe, 'unshare', '--pid', '--fork', '--mount-proc', 'true']);
  const bridge = sh(['ip', '-n', probe, 'link', 'add', 'br0', 'type', 'bridge']);
  const veth = sh(['ip', '-n', probe, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
  sh(['ip', 'netns', 'del', probe]);
  if (pidns.code !== 0) return `cannot create a PID namespace here: ${pidns.stderr.trim()}`;
  if (bridge.code !== 0) return `cannot create a bridge (kernel without bridge support?): ${bridge.stderr.trim()}`;
  if (veth.code !== 0) return `cannot create a veth pair (kernel without veth support?): ${veth.stderr.trim()}`;
  return null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pid` is a running process (a zombie, killed but not reaped, is not). */
function processRuns(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Kills (by PID) every process still inside one of our network namespaces; returns how many. */
function killInside(ns: string): number {
  const pids = sh(['ip', 'netns', 'pids', ns]).stdout.split('\n').filter((l) => /^\d+$/.test(l.trim())).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return pids.length;
}

/** Deletes namespaces left by labs of processes that no longer exist (a crashed earlier run). */
function removeStaleNamespaces(): void {
  const list = sh(['ip', 'netns', 'list']).stdout;
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${PREFIX}(\\d+)[a-z]*-`).exec(name);
    if (m && Number(m[1]) !== process.pid && !processRuns(Number(m[1]))) {
      killInside(name);
      sh(['ip', 'netns', 'del', name]);
    }
  }
}

/** Host PIDs of the children of `pid` (from /proc/<pid>/stat's ppid field). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) out.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

async function waitForChild(pid: number, timeoutMs: number, gone: () => boolean = () => false): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1000 && Date.now() < deadline && !gone(); i++) {
    const kids = childrenOf(pid);
    if (kids.length > 0) return kids[0] as number;
    await sleep(20);
  }
  if (gone()) return pid;
  throw new Error(`process ${pid} started no child within ${timeoutMs} ms`);
}

/** A long-running process inside a host; its output is kept, and JSON lines are parsed as events. */
export class LabProcess {
  readonly lines: string[] = [];
  readonly events: Record<string, unknown>[] = [];
  stderr = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<void>;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly label: string,
    readonly child: ChildProcess,
    /** The PID of the program itself as the host sees it (not nsenter's). */
    public pid: number,
  ) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve();
      });
    });
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) {
        this.lines.push(line);
        if (line.startsWith('{')) {
          try {
            this.events.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            /* not an event */
          }
        }
      }
      this.notify();
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr += chunk;
      this.notify();
    });
  }

  get output(): string {
    return `${this.lines.join('\n')}\n${this.stderr}`;
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Waits until `check()` is true or the time is up; returns its last value. Never throws. */
  async until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return true;
    return new Promise((resolve) => {
      const done = (value: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(onChange);
        resolve(value);
      };
      const onChange = (): void => {
        if (check()) done(true);
        else if (this.exit) done(check());
      };
      const timer = setTimeout(() => done(check()), timeoutMs);
      this.waiters.add(onChange);
    });
  }

  alive(): boolean {
    return this.exit === null && pidAlive(this.pid);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.alive()) process.kill(this.pid, signal);
  }
}

/** A client program in a host: HTTP/TCP requests as JSON lines, answers matched by id. */
export class LabClient {
  private nextId = 1;
  constructor(readonly proc: LabProcess) {}

  private async call(cmd: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.proc.child.stdin?.write(`${JSON.stringify({ id, timeoutMs, ...cmd })}\n`);
    const find = () => this.proc.events.find((e) => e.id === id);
    await this.proc.until(() => find() !== undefined, timeoutMs + 2000);
    return find() ?? { id, error: 'no answer from the client agent' };
  }

  /** GET (HTTP/1.1, Connection: close); resolves with status/headers/body or error, never rejects. */
  async http(host: string, port: number, headers: Record<string, string> = {}, timeoutMs = 3000, path = '/'): Promise<{ status?: number; headers?: Record<string, string | string[]>; body?: string; error?: string }> {
    return (await this.call({ op: 'http', host, port, path, headers }, timeoutMs)) as { status?: number; headers?: Record<string, string | string[]>; body?: string; error?: string };
  }

  async tcp(host: string, port: number, send: string, timeoutMs = 3000): Promise<{ data: string; error?: string; timedOut?: boolean }> {
    return (await this.call({ op: 'tcp', host, port, send }, timeoutMs)) as { data: string; error?: string; timedOut?: boolean };
  }
}

interface HostInfo {
  readonly ns: string;
  /** Set for hosts with their own PID namespace: unshare and the namespace's init (host PIDs). */
  pidns: { unshare: ChildProcess; initPid: number } | null;
}

export class NetnsLab {
  readonly prefix: string;
  readonly switchNs: string;
  private readonly hosts = new Map<string, HostInfo>();
  private readonly namespaces: string[] = [];
  private readonly procs = new Set<LabProcess>();

  private constructor(tag: string) {
    this.prefix = `${PREFIX}${process.pid}${tag}`;
    this.switchNs = `${this.prefix}-sw`;
  }

  /** A lab with its switch. `tag` (a letter or two) keeps labs of one process apart. */
  static create(tag: string): NetnsLab {
    removeStaleNamespaces();
    const lab = new NetnsLab(tag);
    lab.addNamespace(lab.switchNs);
    must(['ip', '-n', lab.switchNs, 'link', 'add', 'br0', 'type', 'bridge']);
    must(['ip', '-n', lab.switchNs, 'link', 'set', 'br0', 'up']);
    return lab;
  }

  private addNamespace(ns: string): void {
    must(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  }

  ns(host: string): string {
    const info = this.hosts.get(host);
    if (!info) throw new Error(`no host ${host} in the lab`);
    return info.ns;
  }

  /**
   * A host joined to the switch by its eth0, with the given addresses (CIDR). With `pidNamespace`,
   * its programs also run in a PID namespace of their own (with its own /proc).
   */
  async addHost(host: string, addresses: readonly string[], opts: { pidNamespace?: boolean; sysctls?: Record<string, string> } = {}): Promise<void> {
    const ns = `${this.prefix}-${host}`;
    this.addNamespace(ns);
    const info: HostInfo = { ns, pidns: null };
    this.hosts.set(host, info);
    // Both ends are created directly in their namespaces: nothing appears in the host's.
    must(['ip', '-n', this.switchNs, 'link', 'add', `v-${host}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    must(['ip', '-n', this.switchNs, 'link', 'set', `v-${host}`, 'master', 'br0', 'up']);
    for (const a of addresses) must(['ip', '-n', ns, 'addr', 'add', a, 'dev', 'eth0']);
    must(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    for (const [key, value] of Object.entries(opts.sysctls ?? {})) must(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', `${key}=${value}`]);
    if (opts.pidNamespace) {
      const unshare = spawn('ip', ['netns', 'exec', ns, 'unshare', '--pid', '--fork', '--mount-proc', '--kill-child', 'sleep', String(INIT_LIFETIME_S)], { stdio: 'ignore', env: ENV });
      if (unshare.pid === undefined) throw new Error('cannot start unshare');
      info.pidns = { unshare, initPid: await waitForChild(unshare.pid, 5000) };
      // unshare mounts the new /proc before it execs sleep: once the init is `sleep`, nsenter may join.
      const initPid = info.pidns.initPid;
      for (let i = 0; i < 250 && !/^sleep/.test(readFileSync(`/proc/${initPid}/comm`, 'utf8')); i++) await sleep(20);
    }
  }

  /** The command line that runs `argv` inside the host (its network and, if any, PID namespace). */
  private wrap(host: string, argv: readonly string[]): string[] {
    const info = this.hosts.get(host);
    if (!info) throw new Error(`no host ${host} in the lab`);
    if (info.pidns) return ['nsenter', '--target', String(info.pidns.initPid), '--pid', '--mount', '--net', '--', ...argv];
    return ['ip', 'netns', 'exec', info.ns, ...argv];
  }

  /** Runs a short command inside the host and returns its result (bounded by timeoutMs). */
  run(host: string, argv: readonly string[], timeoutMs = 10_000): { code: number; stdout: string; stderr: string } {
    return sh(this.wrap(host, argv), timeoutMs);
  }

  /** Starts a long-running program inside the host; it is killed by PID in destroy(). */
  async start(host: string, label: string, argv: readonly string[]): Promise<LabProcess> {
    const info = this.hosts.get(host);
    const full = this.wrap(host, argv);
    const child = spawn(full[0] as string, full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], cwd: REPO_ROOT, env: ENV });
    if (child.pid === undefined) throw new Error(`cannot start ${label}`);
    // `ip netns exec` execs the program (same PID); nsenter forks it as its child.
    const proc = new LabProcess(label, child, child.pid);
    this.procs.add(proc);
    // A program that exits at once (a failed start) leaves no child to find: keep nsenter's pid.
    if (info?.pidns) proc.pid = await waitForChild(child.pid, 5000, () => proc.exit !== null);
    return proc;
  }

  /** Starts the test agent (test/support/netns-agent.ts) in a role and waits until it listens. */
  async agent(host: string, label: string, args: readonly string[]): Promise<LabProcess> {
    const proc = await this.start(host, label, [process.execPath, AGENT, ...args]);
    const ok = await proc.until(() => proc.events.some((e) => e.ev === 'listening'), 10_000);
    if (!ok) throw new Error(`${label} did not start: ${proc.output}`);
    return proc;
  }

  async client(host: string): Promise<LabClient> {
    return new LabClient(await this.agent(host, `client@${host}`, ['client']));
  }

  /** Whether the host's eth0 holds `address` right now. */
  hasAddress(host: string, address: string): boolean {
    const out = sh(['ip', '-n', this.ns(host), '-4', '-o', 'addr', 'show', 'dev', 'eth0']).stdout;
    return out.split('\n').some((l) => l.includes(` ${address}/`));
  }

  /** Unplugs (false) or plugs back (true) the host's cable at the switch. */
  setLink(host: string, up: boolean): void {
    must(['ip', '-n', this.switchNs, 'link', 'set', `v-${host}`, up ? 'up' : 'down']);
  }

  /** The PID a host-side process has inside its own PID namespace (what `cat pidfile` says there). */
  static pidInside(hostPid: number): number {
    const status = readFileSync(`/proc/${hostPid}/status`, 'utf8');
    const ids = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
    return Number(ids[ids.length - 1] ?? hostPid);
  }

  /** Host PIDs of processes inside the host's PID namespace whose kernel name is `comm`. */
  pidsInHost(host: string, comm: string): number[] {
    const info = this.hosts.get(host);
    if (!info?.pidns) throw new Error(`${host} has no PID namespace of its own`);
    const pidNs = readlinkSync(`/proc/${info.pidns.initPid}/ns/pid`);
    const found: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm && readlinkSync(`/proc/${entry}/ns/pid`) === pidNs) found.push(Number(entry));
      } catch {
        /* exited meanwhile */
      }
    }
    return found;
  }

  /** Kills every process the lab started (by PID), then deletes every namespace. Idempotent. */
  async destroy(): Promise<string[]> {
    const problems: string[] = [];
    for (const proc of this.procs) {
      if (proc.alive()) process.kill(proc.pid, 'SIGKILL');
      if (proc.exit === null && proc.child.pid !== undefined && pidAlive(proc.child.pid)) process.kill(proc.child.pid, 'SIGKILL');
    }
    for (const info of this.hosts.values()) {
      if (!info.pidns) continue;
      // Killing a PID namespace's init makes the kernel kill everything left inside it.
      if (pidAlive(info.pidns.initPid)) process.kill(info.pidns.initPid, 'SIGKILL');
      if (info.pidns.unshare.pid !== undefined && pidAlive(info.pidns.unshare.pid)) process.kill(info.pidns.unshare.pid, 'SIGKILL');
    }
    for (const proc of this.procs) {
      await Promise.race([proc.exited, idle(3000)]);
      if (proc.exit === null) problems.push(`${proc.label} (pid ${proc.pid}) did not exit`);
    }
    for (const info of this.hosts.values()) {
      for (let i = 0; i < 100 && info.pidns && pidAlive(info.pidns.initPid); i++) await sleep(20);
    }
    for (const ns of this.namespaces.reverse()) {
      // Anything still inside was started by this lab (e.g. a program a daemon forked).
      const stray = killInside(ns);
      if (stray > 0) problems.push(`${stray} stray process(es) were still in ${ns}`);
      const r = sh(['ip', 'netns', 'del', ns]);
      if (r.code !== 0) problems.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
    }
    this.namespaces.length = 0;
    this.procs.clear();
    this.hosts.clear();
    const left = sh(['ip', 'netns', 'list']).stdout.split('\n').filter((l) => l.startsWith(`${this.prefix}-`));
    if (left.length) problems.push(`namespaces left: ${left.join(', ')}`);
    return problems;
  }
}
