// The `global` section keywords (spec §4): process-wide settings, log servers, stats socket.
import { spawnSync } from 'node:child_process';
import type { LogTarget, StatsSocket } from '../model.js';
import { intArg, pathFromWord, warnExtra, type LineContext } from '../values.js';
import { parseLogLine } from './log-line.js';

export interface GlobalDraft {
  daemon: boolean;
  quiet: boolean;
  debug: boolean;
  nbproc: number | undefined;
  maxconn: number | undefined;
  uid: number | undefined;
  gid: number | undefined;
  user: string | undefined;
  group: string | undefined;
  chroot: string | undefined;
  pidfile: string | undefined;
  ulimitN: number | undefined;
  logs: LogTarget[];
  statsSocket: StatsSocket | undefined;
}

export function emptyGlobal(): GlobalDraft {
  return {
    daemon: false,
    quiet: false,
    debug: false,
    nbproc: undefined,
    maxconn: undefined,
    uid: undefined,
    gid: undefined,
    user: undefined,
    group: undefined,
    chroot: undefined,
    pidfile: undefined,
    ulimitN: undefined,
    logs: [],
    statsSocket: undefined,
  };
}

/** True when `getent <db> <name>` finds nothing; false when found or when getent is unavailable. */
function accountMissing(db: 'passwd' | 'group', name: string): boolean {
  const r = spawnSync('getent', [db, name], { encoding: 'utf8', timeout: 5000 });
  if (r.error) return false;
  return r.status === 2;
}

/** Global keywords of later releases (not in 1.1/1.2), named as such in the error. */
const MODERN_GLOBAL = new Set([
  'nbthread', 'master-worker', 'hard-stop-after', 'spread-checks', 'description', 'node', 'ca-base', 'crt-base',
  'lua-load', 'setenv', 'presetenv', 'resetenv', 'unsetenv', 'log-send-hostname', 'log-tag', 'server-state-file',
  'server-state-base', 'maxsslconn', 'maxconnrate', 'maxsessrate', 'cpu-map', 'localpeer', 'h1-case-adjust',
  'expose-experimental-directives', 'insecure-fork-wanted', 'external-check', 'grace', 'busy-polling', 'profiling.tasks',
]);

function already(ctx: LineContext, what: string): void {
  ctx.alert(`'${what}' already specified. Continuing.`);
}

export function parseGlobalLine(g: GlobalDraft, ctx: LineContext): void {
  const kw = ctx.args[0] ?? '';
  const a1 = ctx.args[1];
  switch (kw) {
    case 'daemon':
      g.daemon = true;
      warnExtra(ctx, 1);
      return;
    case 'debug':
      g.debug = true;
      warnExtra(ctx, 1);
      return;
    case 'quiet':
      g.quiet = true;
      warnExtra(ctx, 1);
      return;
    case 'noepoll':
    case 'nopoll':
      // legacy: poller switches; Node's event loop chooses its own poller.
      warnExtra(ctx, 1);
      return;
    case 'nbproc':
    case 'maxconn':
    case 'uid':
    case 'gid':
    case 'ulimit-n': {
      const field = kw === 'ulimit-n' ? 'ulimitN' : kw;
      if (g[field] !== undefined && g[field] !== 0) return already(ctx, kw);
      if ((kw === 'uid' && g.user !== undefined) || (kw === 'gid' && g.group !== undefined)) {
        ctx.alert(`${kw === 'uid' ? 'user/uid' : 'group/gid'} already specified. Continuing.`);
        return;
      }
      const v = intArg(ctx, 1);
      if ((kw === 'nbproc' || kw === 'maxconn' || kw === 'ulimit-n') && v === 0) {
        ctx.fail(`'${kw}' expects a strictly positive integer argument.`);
      }
      g[field] = v;
      warnExtra(ctx, 2);
      return;
    }
    case 'user':
    case 'group': {
      const taken = kw === 'user' ? g.user !== undefined || (g.uid ?? 0) !== 0 : g.group !== undefined || (g.gid ?? 0) !== 0;
      if (taken) {
        ctx.alert(`${kw === 'user' ? 'user/uid' : 'group/gid'} already specified. Continuing.`);
        return;
      }
      if (a1 === undefined || a1 === '') ctx.fail(`'${kw}' expects a ${kw} name as an argument.`);
      if (accountMissing(kw === 'user' ? 'passwd' : 'group', a1)) {
        ctx.fail(`cannot find ${kw === 'user' ? 'user' : 'group'} id for '${a1}'.`);
      }
      if (kw === 'user') g.user = a1;
      else g.group = a1;
      warnExtra(ctx, 2);
      return;
    }
    case 'chroot':
      if (g.chroot !== undefined) return already(ctx, kw);
      if (a1 === undefined || a1 === '') ctx.fail(`'${kw}' expects a directory as an argument.`);
      g.chroot = pathFromWord(a1);
      ctx.warn(`'chroot' is parsed but not supported: Node.js cannot chroot, tsproxy keeps the root directory '/' (run it in a container or under systemd's RootDirectory= instead).`);
      warnExtra(ctx, 2);
      return;
    case 'pidfile':
      if (g.pidfile !== undefined) return already(ctx, kw);
      if (a1 === undefined || a1 === '') ctx.fail(`'${kw}' expects a file name as an argument.`);
      g.pidfile = pathFromWord(a1);
      warnExtra(ctx, 2);
      return;
    case 'log': {
      if (a1 === 'global') ctx.fail(`'log global' is only allowed in 'listen' and 'defaults' sections.`);
      const t = parseLogLine(ctx, true);
      if (g.logs.length >= 2) ctx.fail('too many syslog servers');
      g.logs.push(t);
      return;
    }
    case 'stats':
      parseGlobalStats(g, ctx);
      return;
    default:
      if (MODERN_GLOBAL.has(kw) || kw.startsWith('tune.') || kw.startsWith('ssl-')) {
        ctx.fail(`unknown keyword '${kw}' in 'global' section (a keyword of later HAProxy releases, not in the legacy grammar).`, kw);
      }
      ctx.fail(`unknown keyword '${kw}' in 'global' section`, kw);
  }
}

/**
 * `stats socket <path> [mode <octal>] [level user|operator|admin]` (later releases; default level
 * `operator`, as HAProxy documents it). Bare `stats` is a legacy no-op.
 */
function parseGlobalStats(g: GlobalDraft, ctx: LineContext): void {
  const sub = ctx.args[1];
  if (sub === undefined) {
    ctx.warn(`'stats' without arguments does nothing (legacy: an unused statistics flag). Use 'stats socket <path>' for the runtime socket.`);
    return;
  }
  if (sub === 'timeout' || sub === 'maxconn') {
    // Often written next to `stats socket` in modern files; tsproxy's socket has no such limits.
    ctx.warn(`'stats ${sub}' is accepted and ignored (tsproxy's stats socket has no ${sub === 'timeout' ? 'idle timeout' : 'connection limit'} setting).`);
    return;
  }
  if (sub !== 'socket') ctx.fail(`'stats' in 'global' section only supports 'socket <path> [mode <octal>] [level user|operator|admin]', not '${sub}'.`);
  if (g.statsSocket !== undefined) return already(ctx, 'stats socket');
  const path = ctx.args[2];
  if (path === undefined || path === '') ctx.fail(`'stats socket' expects a socket path as an argument.`);
  let mode: number | undefined;
  let level: StatsSocket['level'] = 'operator';
  for (let i = 3; i < ctx.args.length; i += 2) {
    const opt = ctx.args[i];
    const val = ctx.args[i + 1];
    if (opt === 'mode') {
      if (val === undefined || !/^[0-7]{1,4}$/.test(val)) ctx.fail(`'stats socket' : 'mode' expects an octal file mode (e.g. 660).`);
      mode = parseInt(val, 8);
    } else if (opt === 'level') {
      if (val !== 'user' && val !== 'operator' && val !== 'admin') ctx.fail(`'stats socket' : 'level' only supports 'user', 'operator' and 'admin'.`);
      level = val;
    } else if (opt === 'expose-fd' && val === 'listeners') {
      ctx.warn(`'stats socket … expose-fd listeners' is ignored: tsproxy hands its listening sockets over itself on reload (-sf/-st, -W).`);
    } else {
      ctx.fail(`'stats socket' only supports 'mode <octal>' and 'level user|operator|admin', not '${opt}'.`);
    }
  }
  g.statsSocket = Object.freeze({ path: pathFromWord(path), mode, level, place: ctx.place });
}
