// `log <target> <facility> [<max_level>]` (spec §4, §12.1), shared by `global` and `listen`.
// Targets: `addr[:port]` (UDP syslog, port 514), a unix socket path, or stdout/stderr.
import type { LogTarget } from '../model.js';
import { parseLogAddress } from '../address.js';
import { facilityCode, levelCode, pathFromWord, warnExtra, type LineContext } from '../values.js';

export function parseLogLine(ctx: LineContext, inGlobal: boolean): LogTarget {
  const words = withoutModernOptions(ctx);
  const [, target, facilityName, levelName] = words;
  if (target === undefined || target === '' || facilityName === undefined || facilityName === '') {
    // legacy: the two sections word it differently.
    ctx.fail(
      inGlobal ? `'log' expects <address> and <facility> as arguments.` : `'log' expects either <address[:port]> and <facility> or 'global' as arguments.`,
      'log',
    );
  }
  const facility = facilityCode(facilityName);
  if (facility === undefined) ctx.fail(`unknown log facility '${facilityName}'`, 'log');
  let maxLevel = 7;
  if (levelName !== undefined) {
    const l = levelCode(levelName);
    if (l === undefined) ctx.fail(`unknown optional log level '${levelName}'`, 'log');
    maxLevel = l;
  }
  if (words === ctx.args) warnExtra(ctx, 4, 'log');
  else if (words.length > 4) ctx.warn(`'log' ignores extra arguments '${words.slice(4).join(' ')}'.`);
  if (target === 'stdout' || target === 'stderr') {
    return Object.freeze({ kind: target, path: '', facility, maxLevel, place: ctx.place });
  }
  if (target.startsWith('/')) {
    return Object.freeze({ kind: 'unix', path: pathFromWord(target), facility, maxLevel, place: ctx.place });
  }
  const a = parseLogAddress(ctx, target);
  return Object.freeze({ kind: 'udp', host: a.host, family: a.family, port: a.port, facility, maxLevel, place: ctx.place });
}

/**
 * Later HAProxy releases accept `len <n>`, `format <fmt>` and `sample <r>:<s>` between the target
 * and the facility (`log stdout format raw local0`). tsproxy sends legacy RFC 3164 lines (raw
 * messages on stdout/stderr) whatever they say, so they are skipped with a warning, not refused.
 */
function withoutModernOptions(ctx: LineContext): readonly string[] {
  const a = ctx.args;
  if (a.length < 3) return a;
  const out = [a[0]!, a[1]!];
  let i = 2;
  while (i + 1 < a.length && (a[i] === 'len' || a[i] === 'format' || a[i] === 'sample')) {
    ctx.warn(`'log ... ${a[i]} ${a[i + 1]}' is a later HAProxy option; ignored (tsproxy writes legacy RFC 3164 lines, raw text on stdout/stderr).`);
    i += 2;
  }
  return i === 2 ? a : [...out, ...a.slice(i)];
}
