// Proxy-level events that legacy wrote both to stderr and to the proxy's syslog targets, each at
// its own level (spec §8.4, §12.7, §13.2–§13.4). Callers name the event and give the exact text;
// this sends it to both places, so the levels live in one table instead of at every call site.
import type { Level } from '../config/model.js';
import type { ProcessLog, ProxyLogger } from './types.js';
import { LOG_ALERT, LOG_EMERG, LOG_NOTICE, LOG_WARNING } from './types.js';

/** How the process log shows an event: as an alert, a warning, a notice (JSON format only), or not at all. */
export type StderrKind = 'alert' | 'warning' | 'notice' | 'none';

export interface LegacyEventLevels {
  readonly stderr: StderrKind;
  readonly syslog: Level;
}

export const PROXY_EVENTS = {
  /** `Proxy <px> started.` */
  proxyStarted: { stderr: 'notice', syslog: LOG_NOTICE },
  /** `Stopping proxy <px> in <grace> ms.` (SIGUSR1) */
  proxyStopping: { stderr: 'warning', syslog: LOG_WARNING },
  /** `Proxy <px> stopped.` */
  proxyStopped: { stderr: 'warning', syslog: LOG_WARNING },
  /** `Pausing proxy <px>.`, `Proxy <px> failed to enter pause mode.` (SIGTTOU) */
  proxyPausing: { stderr: 'warning', syslog: LOG_WARNING },
  /** `Enabling proxy <px>.`, `Port <port> busy while trying to enable proxy <px>.` (SIGTTIN) */
  proxyEnabling: { stderr: 'warning', syslog: LOG_WARNING },
  /** `Server <px>/<srv> is DOWN. …` (1.2.14 text) */
  serverDown: { stderr: 'warning', syslog: LOG_ALERT },
  /** `Server <px>/<srv> is UP. …` */
  serverUp: { stderr: 'warning', syslog: LOG_NOTICE },
  /** `Proxy <px> has no server available !` */
  noServerAvailable: { stderr: 'alert', syslog: LOG_EMERG },
  /** SIGHUP dump lines (`SIGHUP received, dumping servers states for proxy <px>.`, `SIGHUP: Server …`). */
  stateDump: { stderr: 'warning', syslog: LOG_NOTICE },
  /** `Proxy <px> reached system FD limit …`, `Connect() failed for server …: no free ports.` */
  resourceExhausted: { stderr: 'none', syslog: LOG_EMERG },
} as const satisfies Record<string, LegacyEventLevels>;

export type ProxyEvent = keyof typeof PROXY_EVENTS;

/** Sends `message` to the proxy's syslog targets and to the process log at the event's legacy levels. */
export function reportProxyEvent(
  target: { readonly log: ProxyLogger; readonly processLog: ProcessLog },
  event: ProxyEvent,
  message: string,
): void {
  const levels: LegacyEventLevels = PROXY_EVENTS[event];
  target.log.send(levels.syslog, message);
  switch (levels.stderr) {
    case 'alert':
      target.processLog.alert(message);
      break;
    case 'warning':
      target.processLog.warning(message);
      break;
    case 'notice':
      target.processLog.notice(message);
      break;
    case 'none':
      break;
  }
}
