// PLACEHOLDER owned by the logging work: replaced by the pino-backed process log.
import type { ProcessLog } from './types.js';
import { legacyStderrLine } from './stderr.js';

export interface ProcessLogOptions {
  /** quiet / -q: no stderr output (unless verbose). */
  readonly quiet: boolean;
  readonly verbose: boolean;
}

export function createProcessLog(options: ProcessLogOptions): ProcessLog {
  const out = (kind: 'ALERT' | 'WARNING', msg: string) => {
    if (!options.quiet || options.verbose) process.stderr.write(legacyStderrLine(kind, msg));
  };
  return {
    alert: (m) => out('ALERT', m),
    warning: (m) => out('WARNING', m),
    notice: () => {},
    info: () => {},
  };
}
