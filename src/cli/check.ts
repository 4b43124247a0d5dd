// Check mode (`-c`, spec §2): parse the configuration, print the warnings and alerts as
// HAProxy does, then `Configuration file is valid : <file>` (exit 0) or
// `Error reading configuration file : <file>` (exit 1). Nothing is bound.
import { ConfigError } from '../config/errors.js';
import type { ConfigDiagnostic } from '../config/model.js';
import { parseConfigFiles, type ParseOptions } from '../config/parser.js';
import { createProcessLog } from '../log/process-log.js';
import { legacyStderrLine } from '../log/stderr.js';
import type { Options } from './args.js';

export interface CheckIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: CheckIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

type Emit = (kind: 'ALERT' | 'WARNING', message: string) => void;

function emitter(options: Pick<Options, 'logFormat'>, io: CheckIo): Emit {
  if (options.logFormat === 'json') {
    const log = createProcessLog({ quiet: false, verbose: true, format: 'json', sink: { write: (l: string) => io.stderr(l) } });
    return (kind, message) => (kind === 'ALERT' ? log.alert(message) : log.warning(message));
  }
  return (kind, message) => io.stderr(legacyStderrLine(kind, message));
}

/** The alert lines for a configuration error, in HAProxy's order (spec §3.4). */
export function configErrorLines(err: ConfigError): string[] {
  const lines = [err.message, ...err.others.map((o) => o.message)];
  if (err.postParse && err.text !== 'no <listen> line. Nothing to do !') lines.push('Errors found in configuration file, aborting.');
  lines.push(`Error reading configuration file : ${err.file}`);
  return lines;
}

/** Prints parse diagnostics: alerts always (legacy shows alerts while starting), warnings unless quiet. */
export function printDiagnostics(diagnostics: readonly ConfigDiagnostic[], quiet: boolean, verbose: boolean, emit: Emit): void {
  for (const d of diagnostics) {
    if (d.severity === 'alert') emit('ALERT', d.message);
    else if (!quiet || verbose) emit('WARNING', d.message);
  }
}

/** Runs `-c`; returns the exit status. */
export function runCheck(options: Options, io: CheckIo = processIo, parseOptions: ParseOptions = {}): number {
  const emit = emitter(options, io);
  let result;
  try {
    result = parseConfigFiles(options.configFiles, parseOptions);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    printDiagnostics(e.diagnostics, options.quiet, options.verbose, emit);
    for (const line of configErrorLines(e)) emit('ALERT', line);
    return 1;
  }
  const quiet = options.quiet || result.config.global.quiet;
  printDiagnostics(result.diagnostics, quiet, options.verbose, emit);
  if (!quiet || options.verbose) {
    io.stdout(`Configuration file is valid : ${options.configFiles.join(' ')}\n`);
  }
  return 0;
}
