// `log <target> <facility> [<max_level>]` (spec §4, §12.1), shared by `global` and `listen`.
// Targets: `addr[:port]` (UDP syslog, port 514), a unix socket path, or stdout/stderr.
import type { LogTarget } from '../model.js';
import { parseLogAddress } from '../address.js';
import { facilityCode, levelCode, pathFromWord, warnExtra, type LineContext } from '../values.js';

export function parseLogLine(ctx: LineContext, inGlobal: boolean): LogTarget {
  const [, target, facilityName, levelName] = ctx.args;
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
  warnExtra(ctx, 4, 'log');
  if (target === 'stdout' || target === 'stderr') {
    return Object.freeze({ kind: target, path: '', facility, maxLevel, place: ctx.place });
  }
  if (target.startsWith('/')) {
    return Object.freeze({ kind: 'unix', path: pathFromWord(target), facility, maxLevel, place: ctx.place });
  }
  const a = parseLogAddress(ctx, target);
  return Object.freeze({ kind: 'udp', host: a.host, family: a.family, port: a.port, facility, maxLevel, place: ctx.place });
}
