// Test support for the health-check work: parses a configuration text and starts the real
// Runtime in-process, with a recording process log and either recording proxy loggers or the
// real syslog ones; stop() always cleans up.
import { parseConfigText } from '../../src/config/parser.js';
import type { Level } from '../../src/config/model.js';
import type { ClosableProxyLogger } from '../../src/log/proxy-logger.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { RecordingProcessLog, type RecordedLine } from './checks-fakes.js';

export interface SentLine {
  readonly proxy: string;
  readonly level: Level;
  readonly message: string;
}

export interface CheckedRuntime {
  readonly runtime: Runtime;
  readonly processLog: RecordingProcessLog;
  /** Proxy log lines when `recordSyslog` (empty otherwise). */
  readonly sent: SentLine[];
  /** stderr texts of one kind, in order. */
  stderr(kind: 'alert' | 'warning'): string[];
  /** Alert and warning lines (what a non-quiet process prints on stderr), in order. */
  stderrLines(): RecordedLine[];
  stop(): void;
}

export async function startCheckedRuntime(text: string, o: { recordSyslog?: boolean } = {}): Promise<CheckedRuntime> {
  const { config } = parseConfigText(text, 'checks.cfg');
  const processLog = new RecordingProcessLog();
  const sent: SentLine[] = [];
  const recordSyslog = o.recordSyslog ?? true;
  const runtime = new Runtime(
    config,
    { processLog, globalMaxconn: 2000, defaultProxyMaxconn: 2000 },
    recordSyslog
      ? {
          proxyLogger: (pc): ClosableProxyLogger => ({
            enabled: true,
            send: (level, message) => sent.push({ proxy: pc.name, level, message }),
            logConnect() {},
            logTraffic() {},
            close() {},
          }),
        }
      : {},
  );
  await runtime.start();
  return {
    runtime,
    processLog,
    sent,
    stderr: (kind) => processLog.lines.filter((l) => l.via === `stderr-${kind}`).map((l) => l.text),
    stderrLines: () => processLog.lines.filter((l) => l.via === 'stderr-alert' || l.via === 'stderr-warning'),
    stop: () => runtime.stop(),
  };
}
