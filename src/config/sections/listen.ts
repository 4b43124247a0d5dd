// The `listen` and `defaults` section keywords (spec §5): one line into the proxy draft.
// The `listen` line itself and the inheritance from `defaults` are handled by parser.ts.
import type { ErrorCode, HeaderRule, LogTarget } from '../model.js';
import { parseBindList, parseNetwork, parseServerAddress, parseSourceAddress } from '../address.js';
import type { ProxyDraft } from '../draft.js';
import { compilePosixRegex, RegexSyntaxError } from '../regex.js';
import { parseReplacement, ReplacementSyntaxError } from '../replacement.js';
import { parseServerLine } from '../server-line.js';
import { intArg, parseTimeMs, parseUnsigned, pathFromWord, timeArg, warnExtra, type LineContext } from '../values.js';
import { parseLogLine } from './log-line.js';
import { parseOptionLine, setTransparent } from './options.js';
import { parseStatsLine } from './stats.js';

/** Keywords of later HAProxy releases, refused with a pointer to the legacy way (spec §15.4). */
const MODERN: Readonly<Record<string, string>> = {
  frontend: "legacy configurations use a 'listen' section",
  backend: "legacy configurations use a 'listen' section",
  use_backend: "legacy configurations use one 'listen' section per farm",
  default_backend: "legacy configurations use one 'listen' section per farm",
  acl: "legacy configurations use 'reqdeny'/'reqallow' regex rules",
  'http-request': "legacy configurations use the 'req*' regex rules ('reqadd', 'reqrep', 'reqdel', 'reqdeny', ...)",
  'http-response': "legacy configurations use the 'rsp*' regex rules ('rspadd', 'rsprep', 'rspdel', 'rspdeny', ...)",
  'http-check': "legacy configurations use 'option httpchk <method> <uri> <version>'",
  'tcp-request': "legacy configurations use 'monitor-net' or a 'reqdeny' rule",
  'tcp-response': 'legacy HAProxy has nothing equivalent',
  block: "legacy configurations use 'reqdeny'",
  reqtarpit: "legacy configurations use 'reqdeny'",
  reqitarpit: "legacy configurations use 'reqideny'",
  reqsetbe: "legacy configurations use one 'listen' section per farm",
  reqisetbe: "legacy configurations use one 'listen' section per farm",
  redirect: "legacy configurations use 'errorloc' or a redirect from the server",
  'stick-table': "legacy configurations use 'cookie' persistence or 'balance source'",
  'default-server': "legacy configurations repeat the options on each 'server' line",
  'http-reuse': 'legacy HAProxy has nothing equivalent (server connections are not shared)',
  'unique-id-format': 'legacy HAProxy has nothing equivalent',
  'log-format': "legacy configurations use 'option httplog' or 'option tcplog'",
  no: "legacy HAProxy cannot clear an option set in 'defaults' (start a new 'defaults' section instead)",
  description: 'legacy HAProxy has nothing equivalent (use a # comment)',
  'hash-type': "legacy 'balance source' has a single hash",
  rspallow: "legacy HAProxy only has 'rspdeny' response rules",
  rsppass: "legacy HAProxy only has 'rspdeny' response rules",
  rspiallow: "legacy HAProxy only has 'rspideny' response rules",
  rspipass: "legacy HAProxy only has 'rspideny' response rules",
};

const TIMEOUT_HINTS: Readonly<Record<string, string>> = {
  connect: 'contimeout',
  client: 'clitimeout',
  server: 'srvtimeout',
  queue: 'contimeout',
  'http-request': 'clitimeout',
  check: "the server's 'inter'",
};

/** Keywords refused in `defaults` (spec §5). */
const NOT_IN_DEFAULTS = new Set([
  'bind', 'dispatch', 'server',
  'reqadd', 'reqrep', 'reqirep', 'reqdel', 'reqidel', 'reqdeny', 'reqideny', 'reqallow', 'reqiallow', 'reqpass', 'reqipass', 'cliexp',
  'rspadd', 'rspdel', 'rspdeny', 'rspirep', 'rspidel', 'rspideny',
]);

interface RuleKind {
  readonly side: 'request' | 'response';
  readonly action: HeaderRule['action'];
  readonly icase: boolean;
}

const RULES: Readonly<Record<string, RuleKind>> = {
  reqrep: { side: 'request', action: 'replace', icase: false },
  cliexp: { side: 'request', action: 'replace', icase: false },
  reqirep: { side: 'request', action: 'replace', icase: true },
  reqdel: { side: 'request', action: 'delete', icase: false },
  reqidel: { side: 'request', action: 'delete', icase: true },
  reqdeny: { side: 'request', action: 'deny', icase: false },
  reqideny: { side: 'request', action: 'deny', icase: true },
  reqallow: { side: 'request', action: 'allow', icase: false },
  reqiallow: { side: 'request', action: 'allow', icase: true },
  reqpass: { side: 'request', action: 'pass', icase: false },
  reqipass: { side: 'request', action: 'pass', icase: true },
  rsprep: { side: 'response', action: 'replace', icase: false },
  srvexp: { side: 'response', action: 'replace', icase: false },
  rspirep: { side: 'response', action: 'replace', icase: true },
  rspdel: { side: 'response', action: 'delete', icase: false },
  rspidel: { side: 'response', action: 'delete', icase: true },
  rspdeny: { side: 'response', action: 'deny', icase: false },
  rspideny: { side: 'response', action: 'deny', icase: true },
};

const ERROR_CODES: readonly number[] = [400, 403, 408, 500, 502, 503, 504];

/** Max `reqadd`/`rspadd` lines per proxy (legacy MAX_NEWHDR). */
const MAX_ADDS = 10;

/** What a `listen`/`defaults` line may need from outside its section. */
export interface ListenEnv {
  /** The global log servers known so far (`log global` copies them at that line). */
  readonly globalLogs: readonly LogTarget[];
}

export function parseListenLine(p: ProxyDraft, ctx: LineContext, env: ListenEnv): void {
  const kw = ctx.args[0] ?? '';
  const section = p.isDefaults ? 'defaults' : 'listen';
  if (p.isDefaults && NOT_IN_DEFAULTS.has(kw)) ctx.fail(`'${kw}' not allowed in 'defaults' section.`, kw);
  const rule = RULES[kw];
  if (rule) return parseRule(p, ctx, kw, rule);
  switch (kw) {
    case 'bind': {
      const text = ctx.args[1];
      if (text === undefined || !text.includes(':')) ctx.fail(`'bind' expects [addr1]:port1[-end1]{,[addr]:port[-end]}... as arguments.`);
      p.binds.push(...parseBindList(ctx, text));
      warnExtra(ctx, 2);
      return;
    }
    case 'mode': {
      const m = ctx.args[1];
      if (m !== 'tcp' && m !== 'http' && m !== 'health') ctx.fail(`unknown proxy mode '${m ?? ''}'.`);
      p.mode = m;
      warnExtra(ctx, 2);
      return;
    }
    case 'disabled':
      p.enabled = false;
      warnExtra(ctx, 1);
      return;
    case 'enabled':
      p.enabled = true;
      warnExtra(ctx, 1);
      return;
    case 'maxconn':
    case 'fullconn': {
      const v = intArg(ctx, 1);
      if (v === 0) ctx.fail(`'${kw}' expects a strictly positive integer argument.`);
      if (kw === 'maxconn') p.maxconn = v;
      else p.fullconn = v;
      warnExtra(ctx, 2);
      return;
    }
    case 'grace':
      if (parseTimeMs(ctx.args[1]) === undefined) ctx.fail(`'grace' expects a time in milliseconds.`);
      p.graceMs = timeArg(ctx, 1);
      warnExtra(ctx, 2);
      return;
    case 'contimeout':
    case 'clitimeout':
    case 'srvtimeout': {
      const field = kw === 'contimeout' ? 'connectTimeoutMs' : kw === 'clitimeout' ? 'clientTimeoutMs' : 'serverTimeoutMs';
      // legacy: a second occurrence is ignored only when the value already differs from defaults'.
      if (p.parent && p[field] !== p.parent[field]) {
        ctx.alert(`'${kw}' already specified. Continuing.`);
        return;
      }
      p[field] = timeArg(ctx, 1);
      warnExtra(ctx, 2);
      return;
    }
    case 'retries': {
      const v = parseUnsigned(ctx.args[1]);
      if (v === undefined) ctx.fail(`'${kw}' expects an integer argument (dispatch counts for one).`);
      p.retries = v;
      warnExtra(ctx, 2);
      return;
    }
    case 'balance': {
      const a = ctx.args[1];
      if (a === undefined || a === 'roundrobin') p.balance = 'roundrobin';
      else if (a === 'source') p.balance = 'source';
      else ctx.fail(`'balance' only supports 'roundrobin' and 'source' options.`);
      warnExtra(ctx, 2);
      return;
    }
    case 'dispatch': {
      const a = ctx.args[1];
      if (a === undefined || a === '') ctx.fail(`'dispatch' expects <addr:port> as argument.`);
      p.dispatch = parseServerAddress(ctx, a);
      warnExtra(ctx, 2);
      return;
    }
    case 'transparent':
      setTransparent(p, ctx);
      warnExtra(ctx, 1);
      return;
    case 'redispatch':
    case 'redisp':
      p.options.redispatch = true;
      warnExtra(ctx, 1);
      return;
    case 'source': {
      const a = ctx.args[1];
      if (a === undefined || a === '') ctx.fail(`'source' expects <addr>[:<port>] as argument.`);
      p.source = parseSourceAddress(ctx, a);
      warnExtra(ctx, 2);
      return;
    }
    case 'server':
      p.servers.push(parseServerLine(ctx));
      return;
    case 'cookie':
      return parseCookie(p, ctx);
    case 'appsession':
      return parseAppsession(p, ctx);
    case 'capture':
      return parseCapture(p, ctx);
    case 'option':
      return parseOptionLine(p, ctx);
    case 'log':
      return parseProxyLog(p, ctx, env);
    case 'monitor-net': {
      const a = ctx.args[1];
      if (a === undefined || a === '') ctx.fail(`'monitor-net' expects address[/mask].`);
      const net = parseNetwork(ctx, a);
      if (p.seen.has('monitor-net')) {
        ctx.warn(`'monitor-net' replaces the network given before (legacy keeps only the last 'monitor-net').`);
      }
      p.seen.add('monitor-net');
      if (net.prefixLength === 0) {
        ctx.warn(`'monitor-net ${a}' has a null mask, which disables monitor-net (legacy rule).`);
        p.monitorNets = [];
      } else {
        p.monitorNets = [net];
      }
      warnExtra(ctx, 2);
      return;
    }
    case 'monitor-uri': {
      const a = ctx.args[1];
      if (a === undefined || a === '') ctx.fail(`'monitor-uri' expects an URI.`);
      p.monitorUri = a;
      warnExtra(ctx, 2);
      return;
    }
    case 'errorloc':
    case 'errorloc302':
    case 'errorloc303':
      return parseErrorloc(p, ctx, kw);
    case 'errorfile':
      return parseErrorfile(p, ctx);
    case 'stats':
      return parseStatsLine(p, ctx);
    case 'reqadd':
    case 'rspadd': {
      const a = ctx.args[1];
      if (a === undefined || a === '') ctx.fail(`'${kw}' expects <header> as an argument.`);
      const list = kw === 'reqadd' ? p.requestAdds : p.responseAdds;
      if (list.length >= MAX_ADDS) {
        ctx.alert(`too many '${kw}'. Continuing.`);
        return;
      }
      list.push(a);
      warnExtra(ctx, 2);
      return;
    }
    case 'timeout': {
      const what = ctx.args[1] ?? '';
      const hint = TIMEOUT_HINTS[what];
      ctx.fail(
        `'timeout' is not a legacy keyword (HAProxy 1.3+).${hint ? ` Use ${hint.includes(' ') ? hint : `'${hint} <ms>'`} instead of 'timeout ${what}'.` : " Use 'contimeout', 'clitimeout' or 'srvtimeout'."}`,
      );
    }
    // falls through (fail never returns)
    default: {
      const modern = MODERN[kw] ?? (kw.startsWith('stick') ? MODERN['stick-table'] : undefined);
      if (modern) ctx.fail(`'${kw}' is not a legacy keyword (HAProxy 1.3+ only); ${modern}.`);
      ctx.fail(`unknown keyword '${kw}' in '${section}' section`);
    }
  }
}


function parseRule(p: ProxyDraft, ctx: LineContext, kw: string, rule: RuleKind): void {
  const re = ctx.args[1];
  const isReplace = rule.action === 'replace';
  if (re === undefined || re === '' || (isReplace && ctx.args[2] === undefined)) {
    // legacy wording: response deletes/denies take a <search>, request ones a <regex>.
    ctx.fail(isReplace ? `'${kw}' expects <search> and <replace> as arguments.` : `'${kw}' expects <${rule.side === 'response' ? 'search' : 'regex'}> as an argument.`);
  }
  let compiled;
  try {
    compiled = compilePosixRegex(re, rule.icase);
  } catch (e) {
    if (e instanceof RegexSyntaxError) ctx.fail(`bad regular expression '${re}' : ${e.message}.`);
    throw e;
  }
  for (const note of compiled.notes) ctx.warn(`'${kw}' : ${note}.`);
  let replacement;
  if (isReplace) {
    try {
      const r = parseReplacement(ctx.args[2] as string);
      for (const w of r.warnings) ctx.warn(w);
      replacement = r.parts;
    } catch (e) {
      if (e instanceof ReplacementSyntaxError) ctx.fail(e.message);
      throw e;
    }
    for (const part of replacement) {
      if (typeof part !== 'string' && part.group > compiled.groups) {
        ctx.warn(`'${kw}' : '\\${part.group}' refers to a group the regex does not have; it inserts nothing.`);
      }
    }
    warnExtra(ctx, 3);
  } else {
    warnExtra(ctx, 2);
  }
  const h: HeaderRule = Object.freeze({ action: rule.action, keyword: kw, regex: compiled.regex, replacement, place: ctx.place });
  if (p.isDefaults) {
    // legacy: `rsprep`/`srvexp` were accepted in defaults and silently never copied.
    ctx.warn(`'${kw}' in a 'defaults' section is ignored: header rules are not inherited.`);
    return;
  }
  (rule.side === 'request' ? p.requestRules : p.responseRules).push(h);
}

function parseCookie(p: ProxyDraft, ctx: LineContext): void {
  const name = ctx.args[1];
  if (name === undefined || name === '') ctx.fail(`'cookie' expects <cookie_name> as argument.`);
  p.cookieName = name;
  for (let i = 2; i < ctx.args.length; i++) {
    switch (ctx.args[i]) {
      case 'rewrite': p.cookieRewrite = true; break;
      case 'insert': p.cookieInsert = true; break;
      case 'prefix': p.cookiePrefix = true; break;
      case 'indirect': p.cookieIndirect = true; break;
      case 'nocache': p.cookieNocache = true; break;
      case 'postonly': p.cookiePostonly = true; break;
      default:
        ctx.fail(`'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache' and 'postonly' options.`);
    }
  }
  // legacy: the checks include the mode words inherited from defaults.
  if (p.cookieRewrite && p.cookieIndirect) ctx.fail(`cookie 'rewrite' and 'indirect' modes are incompatible.`);
  if (Number(p.cookieRewrite) + Number(p.cookieInsert) + Number(p.cookiePrefix) > 1) {
    ctx.fail(`cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.`);
  }
}

function parseAppsession(p: ProxyDraft, ctx: LineContext): void {
  const [, cookie, lenKw, lenText, toKw, toText] = ctx.args;
  const len = lenText !== undefined && /^[0-9]+$/.test(lenText) ? Number(lenText) : undefined;
  const timeoutMs = parseTimeMs(toText);
  if (!cookie || lenKw !== 'len' || len === undefined || len === 0 || toKw !== 'timeout' || timeoutMs === undefined) {
    ctx.fail(`'appsession' expects 'appsession' <cookie_name> 'len' <len> 'timeout' <timeout>.`);
  }
  warnExtra(ctx, 6);
  if (p.isDefaults) {
    ctx.warn(`'appsession' in a 'defaults' section is ignored: it is not inherited (legacy rule).`);
    return;
  }
  if (p.appsession) ctx.alert(`'appsession' already specified. Continuing.`);
  else p.appsession = Object.freeze({ cookie, length: len, timeoutMs });
}

function parseCapture(p: ProxyDraft, ctx: LineContext): void {
  const what = ctx.args[1];
  if (what === 'cookie') {
    const [, , name, lenKw, lenText] = ctx.args;
    if (!name || lenKw !== 'len' || lenText === undefined || !/^[0-9]+$/.test(lenText) || Number(lenText) === 0) {
      ctx.fail(`'capture' expects 'cookie' <cookie_name> 'len' <len>.`);
    }
    let length = Number(lenText);
    if (length > 63) {
      ctx.warn(`truncating capture length to 63 bytes.`);
      length = 63;
    }
    p.captureCookie = Object.freeze({ prefix: name, length });
    warnExtra(ctx, 5, 'capture cookie');
    return;
  }
  if ((what === 'request' || what === 'response') && ctx.args[2] === 'header') {
    const kw = `capture ${what} header`;
    if (p.isDefaults) ctx.fail(`'capture ${what}' not allowed in 'defaults' section.`);
    const [, , , name, lenKw, lenText] = ctx.args;
    if (!name || lenKw !== 'len' || lenText === undefined || !/^[0-9]+$/.test(lenText) || Number(lenText) === 0) {
      ctx.fail(`'capture ${what}' expects 'header' <header_name> 'len' <len>.`);
    }
    (what === 'request' ? p.captureRequestHeaders : p.captureResponseHeaders).push(Object.freeze({ name, length: Number(lenText) }));
    warnExtra(ctx, 6, kw);
    return;
  }
  ctx.fail(`'capture' expects 'cookie' or 'request header' or 'response header'.`);
}

function parseProxyLog(p: ProxyDraft, ctx: LineContext, env: ListenEnv): void {
  if (ctx.args[1] === 'global') {
    // legacy: copies both global servers as they are at this line, replacing earlier ones.
    if (env.globalLogs.length === 0) {
      ctx.warn(`'log global' : no 'log' line in the 'global' section so far, this proxy will not log.`);
    }
    p.logs = [...env.globalLogs];
    warnExtra(ctx, 2);
    return;
  }
  const t = parseLogLine(ctx, false);
  if (p.logs.length >= 2) ctx.fail('too many syslog servers');
  p.logs.push(t);
}

function errorCode(ctx: LineContext, text: string | undefined): number {
  if (text === undefined || !/^[0-9]+$/.test(text)) {
    ctx.fail(ctx.args[0] === 'errorfile' ? `'errorfile' expects <error> and <file> as arguments.` : `<errorloc> expects <error> and <url> as arguments.`);
  }
  return Number(text);
}

function parseErrorloc(p: ProxyDraft, ctx: LineContext, kw: string): void {
  const code = errorCode(ctx, ctx.args[1]);
  const url = ctx.args[2];
  if (url === undefined || url === '') ctx.fail(`<errorloc> expects <error> and <url> as arguments.`);
  warnExtra(ctx, 3);
  if (!ERROR_CODES.includes(code)) {
    ctx.warn(`error ${code} relocation will be ignored.`);
    return;
  }
  p.errorOverrides.set(code as ErrorCode, Object.freeze({ kind: 'redirect', status: kw === 'errorloc303' ? 303 : 302, url }));
}

function parseErrorfile(p: ProxyDraft, ctx: LineContext): void {
  const code = errorCode(ctx, ctx.args[1]);
  const file = ctx.args[2];
  if (file === undefined || file === '') ctx.fail(`'errorfile' expects <error> and <file> as arguments.`);
  warnExtra(ctx, 3);
  const path = pathFromWord(file);
  let content: Uint8Array;
  try {
    content = ctx.readFile(path);
  } catch (e) {
    ctx.fail(`error message file '${path}' cannot be read : ${(e as Error).message}.`);
  }
  if (!ERROR_CODES.includes(code)) {
    ctx.warn(`errorfile for status ${code} will be ignored (only 400, 403, 408, 500, 502, 503 and 504 can be replaced).`);
    return;
  }
  p.errorOverrides.set(code as ErrorCode, Object.freeze({ kind: 'file', path, content }));
}
