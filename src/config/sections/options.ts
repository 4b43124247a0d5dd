// `option <name>` (spec §5.6): the boolean proxy options, `httpchk` with its exact request
// bytes (spec §8.2) and `forwardfor [except <net>]`.
import { parseNetwork } from '../address.js';
import type { ProxyDraft } from '../draft.js';
import type { ProxyOptions } from '../model.js';
import { warnExtra, type LineContext } from '../values.js';

const FLAGS: Readonly<Record<string, keyof ProxyOptions>> = {
  httpclose: 'httpclose',
  forceclose: 'forceclose',
  httplog: 'httplog',
  tcplog: 'tcplog',
  dontlognull: 'dontlognull',
  logasap: 'logasap',
  persist: 'persist',
  redispatch: 'redispatch',
  checkcache: 'checkcache',
  tcpka: 'tcpka',
  clitcpka: 'clitcpka',
  srvtcpka: 'srvtcpka',
  allbackups: 'allbackups',
  abortonclose: 'abortonclose',
};

/** Options of later releases, refused with a hint (spec §15.4). */
const MODERN_OPTIONS: Readonly<Record<string, string>> = {
  'http-server-close': "'option httpclose'",
  'http-keep-alive': 'nothing (tsproxy already analyses every keep-alive request)',
  'http-pretend-keepalive': "'option httpclose'",
  'http-tunnel': 'nothing (legacy analysed the first request only)',
  'tcp-check': 'a plain TCP check (the default)',
  'mysql-check': 'a plain TCP check',
  'pgsql-check': 'a plain TCP check',
  'redis-check': 'a plain TCP check',
  'smtpchk': 'a plain TCP check',
  'ldap-check': 'a plain TCP check',
  'log-health-checks': 'nothing (state changes are always logged)',
  'dontlog-normal': "'option dontlognull'",
  'log-separate-errors': 'nothing equivalent',
  'httpchk-ssl': "'option ssl-hello-chk'",
  'splice-auto': 'nothing equivalent',
  'originalto': "'option forwardfor'",
  'prefer-last-server': "'cookie' persistence",
  'socket-stats': 'nothing equivalent',
  'independent-streams': 'nothing equivalent',
  'nolinger': 'nothing equivalent',
  'accept-invalid-http-request': 'nothing equivalent',
  'accept-invalid-http-response': 'nothing equivalent',
};

export function parseOptionLine(p: ProxyDraft, ctx: LineContext): void {
  const name = ctx.args[1];
  if (name === undefined || name === '') ctx.fail(`'option' expects an option name.`);
  const flag = FLAGS[name];
  if (flag) {
    p.options[flag] = true;
    warnExtra(ctx, 2, `option ${name}`);
    return;
  }
  switch (name) {
    case 'httpchk':
      return parseHttpchk(p, ctx);
    case 'ssl-hello-chk':
      // legacy: the two check kinds exclude each other, the last one wins.
      p.options.sslHelloChk = true;
      p.httpCheck = undefined;
      warnExtra(ctx, 2, 'option ssl-hello-chk');
      return;
    case 'forwardfor': {
      if (ctx.args[2] === undefined) {
        p.forwardFor = Object.freeze({ except: undefined });
        return;
      }
      if (ctx.args[2] !== 'except' || ctx.args[3] === undefined || ctx.args[3] === '') {
        ctx.fail(`'option forwardfor' only supports an optional 'except <network>' argument.`);
      }
      p.forwardFor = Object.freeze({ except: parseNetwork(ctx, ctx.args[3]) });
      warnExtra(ctx, 4, 'option forwardfor');
      return;
    }
    case 'transparent':
      setTransparent(p, ctx);
      warnExtra(ctx, 2, 'option transparent');
      return;
    case 'keepalive':
      p.options.keepalive = true;
      ctx.warn(`'option keepalive' does nothing (it never did in legacy HAProxy).`);
      warnExtra(ctx, 2, 'option keepalive');
      return;
    default: {
      const hint = MODERN_OPTIONS[name];
      if (hint) ctx.fail(`unknown option '${name}'. It is a HAProxy 1.3+ option; legacy configurations use ${hint}.`);
      ctx.fail(`unknown option '${name}'.`);
    }
  }
}

/**
 * `option httpchk` → `OPTIONS / HTTP/1.0`; `<uri>` → `OPTIONS <uri> HTTP/1.0`;
 * `<meth> <uri> [<ver>]` → as written (the version may carry escaped header lines).
 */
function parseHttpchk(p: ProxyDraft, ctx: LineContext): void {
  const [, , a, b, c] = ctx.args;
  let method = 'OPTIONS';
  let uri = '/';
  let version = 'HTTP/1.0';
  if (a !== undefined && b === undefined) uri = a;
  else if (a !== undefined && b !== undefined) {
    method = a;
    uri = b;
    if (c !== undefined) version = c;
  }
  warnExtra(ctx, 5, 'option httpchk');
  p.httpCheck = Object.freeze({ method, uri, version, request: `${method} ${uri} ${version}\r\n\r\n` });
  p.options.sslHelloChk = false;
}

/** `transparent` / `option transparent`: parsed, but impossible on Node.js, so said so. */
export function setTransparent(p: ProxyDraft, ctx: LineContext): void {
  p.options.transparent = true;
  ctx.warn(
    `'${ctx.args[0] === 'option' ? 'option transparent' : 'transparent'}' is parsed but not supported: Node.js cannot read the original destination of an intercepted connection (no SO_ORIGINAL_DST), so tsproxy cannot connect there.`,
  );
}
