// `stats enable|uri|realm|auth|scope` (spec §11.4, 1.2.14), plus `refresh`, `hide-version`
// (later releases) and `stats prometheus <uri>` (tsproxy extension).
import type { ProxyDraft, StatsDraft } from '../draft.js';
import { parseTimeMs, warnExtra, type LineContext } from '../values.js';

function fresh(): StatsDraft {
  return {
    enabled: false,
    uri: '/haproxy?stats',
    realm: 'HAProxy Statistics',
    auth: [],
    scope: [],
    refreshMs: 0,
    hideVersion: false,
    prometheusUri: undefined,
  };
}

export function parseStatsLine(p: ProxyDraft, ctx: LineContext): void {
  const sub = ctx.args[1];
  const arg = ctx.args[2];
  const need = (msg: string): string => {
    if (arg === undefined || arg === '') ctx.fail(msg);
    return arg;
  };
  // Validate before touching the draft.
  switch (sub) {
    case 'enable':
    case 'hide-version':
      warnExtra(ctx, 2, `stats ${sub}`);
      break;
    case 'uri': need(`'uri' needs an URI prefix.`); break;
    case 'realm': need(`'realm' needs an realm name.`); break;
    case 'auth':
      if (!need(`'auth' needs a user:password account.`).includes(':')) ctx.fail(`'auth' needs a user:password account.`);
      break;
    case 'scope': need(`'scope' needs a proxy name.`); break;
    case 'refresh':
      if (parseTimeMs(need(`'refresh' needs a refresh period.`)) === undefined) ctx.fail(`'refresh' needs a refresh period (e.g. 5s).`);
      break;
    case 'prometheus':
      if (!need(`'prometheus' needs an URI.`).startsWith('/')) ctx.fail(`'prometheus' needs an URI starting with '/'.`);
      break;
    case 'socket':
      ctx.fail(`'stats socket' is only allowed in the 'global' section.`);
    // falls through (fail never returns)
    case undefined:
      ctx.fail(`'stats' expects 'uri', 'realm', 'auth', 'scope' or 'enable'.`);
    // falls through (fail never returns)
    default:
      ctx.fail(`unknown stats parameter '${sub}' (expects 'uri', 'realm', 'auth' or 'enable').`);
  }
  if (sub !== 'enable' && sub !== 'hide-version') warnExtra(ctx, 3, `stats ${sub}`);
  // legacy: the first `stats` line of a section discards the settings inherited from defaults.
  if (!p.seen.has('stats')) {
    p.seen.add('stats');
    p.stats = undefined;
  }
  const s = p.stats ?? (p.stats = fresh());
  const value = arg as string;
  // Every legacy `stats` line enables the page; `prometheus` only adds the exposition URI.
  if (sub !== 'prometheus') s.enabled = true;
  switch (sub) {
    case 'uri': s.uri = value; break;
    case 'realm': s.realm = value; break;
    case 'auth': {
      const colon = value.indexOf(':');
      s.auth.push({ user: value.slice(0, colon), password: value.slice(colon + 1) });
      break;
    }
    case 'scope': s.scope.push(value); break;
    // As in later releases, a bare number of seconds.
    case 'refresh': s.refreshMs = /^[0-9]+$/.test(value) ? Number(value) * 1000 : (parseTimeMs(value) as number); break;
    case 'hide-version': s.hideVersion = true; break;
    case 'prometheus': s.prometheusUri = value; break;
    default: break;
  }
}
