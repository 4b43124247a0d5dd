// The process log (startup, alerts, warnings, signals, proxy and server state changes) driven by
// pino. Rendered on stderr as HAProxy's own `[ALERT] DDD/HHMMSS (PID) : msg` lines by default, or
// as pino JSON lines with `--log-format json` / TSPROXY_LOG_FORMAT=json. Every write is
// synchronous, so an alert printed just before process.exit() is never lost.
import { writeSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { ProcessLog } from './types.js';
import { legacyStderrLine } from './stderr.js';

export type ProcessLogFormat = 'legacy' | 'json';

/** Environment variable selecting the stderr format when no option does. */
export const FORMAT_ENV = 'TSPROXY_LOG_FORMAT';

export interface ProcessLogOptions {
  /** quiet / -q / -D: warnings hidden, alerts hidden once startup is over (unless verbose). */
  readonly quiet: boolean;
  /** -V: show messages even when quiet (cancelled by daemon once started, as 1.2.9+). */
  readonly verbose: boolean;
  /** Daemon: stderr is closed once started(), nothing is written any more. */
  readonly daemon?: boolean;
  /** 'legacy' (default) or 'json'; undefined = $TSPROXY_LOG_FORMAT, else legacy. */
  readonly format?: ProcessLogFormat;
  /** Where lines go: a file descriptor (default 2) written synchronously, or any sink (tests, embedding). */
  readonly fd?: number;
  readonly sink?: { write(line: string): unknown };
  readonly pid?: number;
}

/** The ProcessLog the process manager drives through startup. */
export interface ManagedProcessLog extends ProcessLog {
  readonly format: ProcessLogFormat;
  /**
   * Startup succeeded (legacy MODE_STARTING ends): with quiet, alerts are hidden from now on;
   * in daemon mode stderr is considered closed and nothing more is written.
   */
  started(): void;
  /** The pino logger behind it (JSON mode writes through it; legacy rendering too). */
  readonly pino: Logger<'alert' | 'warning' | 'notice' | 'info'>;
}

/** Resolves `--log-format` / $TSPROXY_LOG_FORMAT; unknown values fall back to legacy. */
export function processLogFormatOf(option: string | undefined, env: NodeJS.ProcessEnv = process.env): ProcessLogFormat {
  const v = (option ?? env[FORMAT_ENV] ?? '').toLowerCase();
  return v === 'json' ? 'json' : 'legacy';
}

// pino numbers for the syslog-named levels (higher = more severe), all distinct.
const LEVELS = { alert: 60, warning: 40, notice: 35, info: 30 } as const;
const LEGACY_KIND: Readonly<Record<number, 'ALERT' | 'WARNING'>> = { 60: 'ALERT', 40: 'WARNING' };

interface PinoLine {
  level?: number;
  time?: number;
  msg?: string;
}

export function createProcessLog(options: ProcessLogOptions): ManagedProcessLog {
  const format = options.format ?? processLogFormatOf(undefined);
  const pid = options.pid ?? process.pid;
  const fd = options.fd ?? 2;
  const sink = options.sink;
  const emit = (text: string): void => {
    if (sink) {
      sink.write(text);
      return;
    }
    try {
      writeSync(fd, text);
    } catch {
      /* stderr closed (daemon) or broken pipe: nothing to tell anyone */
    }
  };
  // legacy rendering: pino serialises, this destination turns its JSON back into HAProxy's line
  const legacyDestination = {
    write(json: string): void {
      let rec: PinoLine;
      try {
        rec = JSON.parse(json) as PinoLine;
      } catch {
        return;
      }
      const kind = rec.level === undefined ? undefined : LEGACY_KIND[rec.level];
      if (kind === undefined) return; // legacy printed only alerts and warnings on stderr
      emit(legacyStderrLine(kind, rec.msg ?? '', new Date(rec.time ?? Date.now()), pid));
    },
  };
  const jsonDestination = { write: emit };
  const logger = pino(
    {
      customLevels: LEVELS,
      useOnlyCustomLevels: true,
      level: 'info',
      base: format === 'json' ? { pid, name: 'tsproxy' } : { pid },
      formatters: format === 'json' ? { level: (label: string) => ({ level: label }) } : {},
    },
    format === 'json' ? jsonDestination : legacyDestination,
  );

  let starting = true;
  const quiet = options.quiet || options.daemon === true;
  // legacy Alert(): shown unless quiet, or when verbose, or while starting; Warning(): unless quiet, or verbose.
  const visible = (alert: boolean): boolean => {
    if (!starting && options.daemon) return false;
    return !quiet || options.verbose || (alert && starting);
  };

  return {
    format,
    pino: logger,
    alert(message: string): void {
      if (visible(true)) logger.alert(message);
    },
    warning(message: string): void {
      if (visible(false)) logger.warning(message);
    },
    // notices and info never reached legacy stderr; JSON consumers get them
    notice(message: string): void {
      if (format === 'json' && visible(false)) logger.notice(message);
    },
    info(message: string): void {
      if (format === 'json' && visible(false)) logger.info(message);
    },
    started(): void {
      starting = false;
    },
  };
}
