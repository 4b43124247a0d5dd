// The runtime socket's commands (HAProxy's management CLI, `doc/management.txt` §9.3): one line
// in, the text to answer out. `show info`, `show stat`, `show servers state`, `disable|enable
// server`, `set|get weight`, `set server … state|weight`, `help`, `prompt`, `quit`; several
// commands per line with `;`.
// Every answer ends with an empty line, as HAProxy's do. Unknown or malformed commands get a
// message, never an exception.
import { hostname } from 'node:os';
import type { ProxyRuntime, ServerRuntime } from '../runtime/types.js';
import { renderCsv } from './csv.js';
import type { StatsEnvironment } from './env.js';
import { collectRows } from './rows.js';

export type AccessLevel = 'user' | 'operator' | 'admin';

const RANK: Readonly<Record<AccessLevel, number>> = { user: 0, operator: 1, admin: 2 };

export const HELP_TEXT =
  'Unknown command. Please enter one of the following commands only :\n' +
  '  help           : this message\n' +
  '  prompt         : toggle interactive mode with prompt\n' +
  '  quit           : disconnect\n' +
  '  show info      : report information about the running process\n' +
  '  show stat [<iid> <type> <sid>] : report counters for each proxy and server (CSV)\n' +
  '  show servers state [<proxy>] : dump the servers\' state\n' +
  '  get weight     : report a server\'s current weight\n' +
  '  set weight     : change a server\'s weight (admin)\n' +
  '  set server     : set server <px>/<srv> state ready|maint, or weight <w> (admin)\n' +
  '  disable server : put a server in maintenance mode (admin)\n' +
  '  enable server  : take a server out of maintenance mode (admin)\n';

export interface CommandResult {
  readonly output: string;
  /** `prompt` toggles interactive mode. */
  readonly togglePrompt: boolean;
  /** `quit`: close after the output. */
  readonly quit: boolean;
}

/** "0d 0h02m05s" as `show info` writes its Uptime. */
export function infoUptime(totalSeconds: number): string {
  const t = Math.max(0, Math.floor(totalSeconds));
  const d = Math.floor(t / 86400);
  const h = Math.floor((t % 86400) / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  return `${d}d ${h}h${String(m).padStart(2, '0')}m${String(s).padStart(2, '0')}s`;
}

export function showInfo(env: StatsEnvironment, nowMs: number): string {
  const up = Math.max(0, Math.floor((nowMs - env.startedMs) / 1000));
  let cum = 0;
  for (const p of env.proxies()) cum += p.totalSessions;
  const lines = [
    'Name: tsproxy',
    `Version: ${env.version}`,
    `Nbproc: ${env.nbproc}`,
    `Process_num: ${env.processNumber}`,
    `Pid: ${env.pid}`,
    `Uptime: ${infoUptime(up)}`,
    `Uptime_sec: ${up}`,
    `Memmax_MB: 0`,
    `Maxconn: ${env.globalMaxconn}`,
    `CurrConns: ${env.processSessions()}`,
    `CumConns: ${cum}`,
    `Node: ${hostname()}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** HAProxy's numeric check statuses (HCHK_STATUS_*) for `show servers state`. */
const CHECK_CODES: Readonly<Record<string, number>> = {
  SOCKERR: 5, L4OK: 6, L4TOUT: 7, L4CON: 8, L6OK: 9, L6TOUT: 10, L6RSP: 11, L7TOUT: 12, L7RSP: 13, L7OK: 15, L7OKC: 16, L7STS: 17,
};

const SERVERS_STATE_HEADER =
  '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight ' +
  'srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state ' +
  'srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port\n';

function serverStateLine(iid: number, p: ProxyRuntime, s: ServerRuntime, nowMs: number): string {
  const c = s.config;
  const checked = c.check;
  const status = checked ? CHECK_CODES[s.checkStatus] ?? 0 : 0;
  // CHK_RES_*: 0 unknown, 2 failed, 3 passed
  const result = !checked || s.checkStatus === '' ? 0 : s.checkStatus.endsWith('OK') ? 3 : 2;
  const port = c.address.port.kind === 'absolute' ? c.address.port.port : 0;
  return [
    iid, p.config.name, s.index + 1, c.name, c.address.host,
    s.state === 'UP' ? 2 : 0,
    s.maintenance ? 1 : 0,
    s.weight, c.weight > 0 ? c.weight : 1,
    Math.max(0, Math.floor((nowMs - s.lastChangeMs) / 1000)),
    status, result, s.checkHealth ?? 0,
    checked ? (s.maintenance ? 14 : 6) : 0,
    0, 0, 0, '-', port,
  ].join(' ') + '\n';
}

export function showServersState(env: StatsEnvironment, only: string | undefined, nowMs: number): string {
  const proxies = env.proxies();
  if (only !== undefined && !proxies.some((p) => p.config.name === only)) return "Can't find backend.\n";
  let out = `1\n${SERVERS_STATE_HEADER}`;
  proxies.forEach((p, i) => {
    if (only !== undefined && p.config.name !== only) return;
    for (const s of p.servers) out += serverStateLine(i + 1, p, s, nowMs);
  });
  return out;
}

const STAT_USAGE = 'Usage: show stat [<iid>|<proxy> <type> <sid>] (type: -1, or 1 frontends + 2 backends + 4 servers).\n';

/** `show stat [<iid> <type> <sid>]`: -1 = any; <iid> may also be a proxy name (later releases). */
export function showStat(env: StatsEnvironment, args: readonly string[], nowMs: number): string {
  const rows = collectRows(env.proxies(), { processNumber: env.processNumber, nowMs });
  if (args.length === 0) return renderCsv(rows);
  if (args.length !== 3) return STAT_USAGE;
  const int = (v: string): number | undefined => (/^-?[0-9]{1,9}$/.test(v) ? Number(v) : undefined);
  const [pxArg, typeArg, sidArg] = args as [string, string, string];
  const iid = int(pxArg);
  const type = int(typeArg);
  const sid = int(sidArg);
  if (type === undefined || sid === undefined || (type !== -1 && (type < 1 || type > 7))) return STAT_USAGE;
  const mask = type === -1 ? 7 : type;
  return renderCsv(
    rows.filter((r) => {
      if (iid !== undefined ? iid !== -1 && r.iid !== iid : r.pxname !== pxArg) return false;
      if ((mask & (r.type === 0 ? 1 : r.type === 1 ? 2 : 4)) === 0) return false;
      return sid === -1 || r.type !== 2 || r.sid === sid;
    }),
  );
}

type Lookup = { readonly server: ServerRuntime } | { readonly error: string };

/** `<proxy>/<server>` → the server, or HAProxy's error text. */
export function findServer(env: StatsEnvironment, arg: string | undefined): Lookup {
  const slash = arg === undefined ? -1 : arg.indexOf('/');
  if (arg === undefined || slash <= 0 || slash === arg.length - 1) return { error: "Require 'backend/server'.\n" };
  const px = env.proxies().find((p) => p.config.name === arg.slice(0, slash));
  if (px === undefined) return { error: 'No such backend.\n' };
  const server = px.servers.find((s) => s.config.name === arg.slice(slash + 1));
  if (server === undefined) return { error: 'No such server.\n' };
  return { server };
}

/** `set weight <px>/<srv> <w>|<w>%`: absolute 0..256 or relative to the configured weight. */
export function parseWeight(text: string | undefined, initial: number): number | { error: string } {
  if (text === undefined || text === '') return { error: 'Require <backend>/<server> and <weight> or <weight%>.\n' };
  const rel = text.endsWith('%');
  const digits = rel ? text.slice(0, -1) : text;
  if (!/^[0-9]{1,6}$/.test(digits)) return { error: 'Require <backend>/<server> and <weight> or <weight%>.\n' };
  const n = Number(digits);
  if (rel) {
    if (n > 100) return { error: 'Relative weight can only be set between 0 and 100% inclusive.\n' };
    return Math.floor((initial * n) / 100);
  }
  if (n > 256) return { error: 'Absolute weight can only be between 0 and 256 inclusive.\n' };
  return n;
}

const DENIED = 'Permission denied\n';

/** `set server <px>/<srv> state ready|maint` and `set server <px>/<srv> weight <w>` (1.6+ spelling). */
function setServer(env: StatsEnvironment, level: AccessLevel, args: readonly string[]): string {
  if (RANK[level] < RANK.admin) return DENIED;
  const found = findServer(env, args[0]);
  if ('error' in found) return found.error;
  const s = found.server;
  const [what, value] = [args[1], args[2]];
  if (what === 'state') {
    if (value === 'ready') s.setMaintenance(false);
    else if (value === 'maint') s.setMaintenance(true);
    else if (value === 'drain') return "'set server <srv> state drain' is not supported by tsproxy; use 'set weight <srv> 0' or 'state maint'.\n";
    else return "'set server <srv> state' expects 'ready' or 'maint'.\n";
    return '';
  }
  if (what === 'weight') {
    const w = parseWeight(value, s.config.weight > 0 ? s.config.weight : 1);
    if (typeof w !== 'number') return w.error;
    s.setWeight(w);
    return '';
  }
  return "'set server <srv>' only supports 'state ready|maint' and 'weight <w>'.\n";
}

/** Runs one command (already split on `;`); returns its output without the final empty line. */
export function runCommand(words: readonly string[], env: StatsEnvironment, level: AccessLevel, nowMs: number): CommandResult {
  const r = (output: string, o: Partial<CommandResult> = {}): CommandResult => ({ output, togglePrompt: false, quit: false, ...o });
  const [w0, w1, w2, w3] = words;
  if (w0 === undefined) return r('');
  switch (w0) {
    case 'help':
      return r(HELP_TEXT);
    case 'prompt':
      return r('', { togglePrompt: true });
    case 'quit':
      return r('', { quit: true });
    case 'show':
      if (w1 === 'info') return r(showInfo(env, nowMs));
      if (w1 === 'stat') return r(showStat(env, words.slice(2), nowMs));
      if (w1 === 'servers' && w2 === 'state') return r(showServersState(env, w3, nowMs));
      return r(HELP_TEXT);
    case 'get':
      if (w1 !== 'weight') return r(HELP_TEXT);
      {
        const found = findServer(env, w2);
        if ('error' in found) return r(found.error);
        const s = found.server;
        return r(`${s.weight} (initial ${s.config.weight > 0 ? s.config.weight : 1})\n`);
      }
    case 'set':
      if (w1 === 'server') return r(setServer(env, level, words.slice(2)));
      if (w1 !== 'weight') return r(HELP_TEXT);
      if (RANK[level] < RANK.admin) return r(DENIED);
      {
        const found = findServer(env, w2);
        if ('error' in found) return r(found.error);
        const s = found.server;
        const w = parseWeight(w3, s.config.weight > 0 ? s.config.weight : 1);
        if (typeof w !== 'number') return r(w.error);
        s.setWeight(w);
        return r('');
      }
    case 'disable':
    case 'enable':
      if (w1 !== 'server') return r(HELP_TEXT);
      if (RANK[level] < RANK.admin) return r(DENIED);
      {
        const found = findServer(env, w2);
        if ('error' in found) return r(found.error);
        found.server.setMaintenance(w0 === 'disable');
        return r('');
      }
    default:
      return r(HELP_TEXT);
  }
}

/** Splits a line on `;` (a `\;` stays literal) and each command into words. */
export function splitCommands(line: string): string[][] {
  const cmds: string[][] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && line[i + 1] === ';') {
      cur += ';';
      i++;
    } else if (ch === ';') {
      cmds.push(words(cur));
      cur = '';
    } else cur += ch;
  }
  cmds.push(words(cur));
  return cmds.filter((w) => w.length > 0);
}

function words(s: string): string[] {
  return s.split(/[ \t]+/).filter((w) => w !== '');
}

/** A whole input line: every command's output followed by an empty line. */
export function runLine(line: string, env: StatsEnvironment, level: AccessLevel, nowMs = Date.now()): CommandResult {
  let output = '';
  let togglePrompt = false;
  let quit = false;
  for (const cmd of splitCommands(line)) {
    let res: CommandResult;
    try {
      res = runCommand(cmd, env, level, nowMs);
    } catch (err) {
      res = { output: `Internal error: ${(err as Error).message}\n`, togglePrompt: false, quit: false };
    }
    if (res.togglePrompt) togglePrompt = !togglePrompt;
    if (res.quit) {
      quit = true;
      break;
    }
    if (!res.togglePrompt) output += `${res.output}\n`;
  }
  return { output, togglePrompt, quit };
}
