// The SIGHUP dump of every server's state (spec §13.4, 1.2.13+ texts): one header line per proxy,
// one line per server, one summary per proxy, to stderr and to the proxy's syslog at notice.
// The signal itself is wired by the process manager (cli/).
import type { ProxyRuntime, ServerRuntime } from '../runtime/types.js';
import type { ProcessLog } from '../log/types.js';
import { LOG_NOTICE } from '../log/types.js';

export function serverDumpLine(proxy: ProxyRuntime, server: ServerRuntime): string {
  return (
    `SIGHUP: Server ${proxy.config.name}/${server.config.name} is ${server.state}. ` +
    `Conn: ${server.currentSessions} act, ${server.queueLength} pend, ${server.totalSessions} tot.`
  );
}

export function proxySummaryLine(proxy: ProxyRuntime): string {
  let active = 0;
  let backup = 0;
  let serverQueues = 0;
  for (const server of proxy.servers) {
    if (server.usable) {
      if (server.config.backup) backup++;
      else active++;
    }
    serverQueues += server.queueLength;
  }
  // pend = every waiting session (server queues + the proxy queue), unass = the proxy queue only.
  const conn =
    `Conn: ${proxy.currentSessions} act, ${serverQueues + proxy.queueLength} pend (${proxy.queueLength} unass), ` +
    `${proxy.totalSessions} tot.`;
  const name = proxy.config.name;
  if (active > 0) return `SIGHUP: Proxy ${name} has ${active} active servers and ${backup} backup servers available. ${conn}`;
  if (backup > 0) return `SIGHUP: Proxy ${name} is running on backup servers ! ${conn}`;
  return `SIGHUP: Proxy ${name} has no server available ! ${conn}`;
}

/** Dumps every proxy's server states (SIGHUP). */
export function dumpServerStates(proxies: readonly ProxyRuntime[], processLog: ProcessLog): void {
  for (const proxy of proxies) {
    const lines = [`SIGHUP received, dumping servers states for proxy ${proxy.config.name}.`];
    for (const server of proxy.servers) lines.push(serverDumpLine(proxy, server));
    lines.push(proxySummaryLine(proxy));
    for (const line of lines) {
      processLog.warning(line);
      proxy.log.send(LOG_NOTICE, line);
    }
  }
}
