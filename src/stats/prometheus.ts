// The Prometheus text exposition (`stats prometheus <uri>`, a tsproxy keyword): the same counters
// as the CSV, named as HAProxy's own exporter names them (haproxy_frontend_*, haproxy_backend_*,
// haproxy_server_*, haproxy_process_*), labels `proxy` and `server`. Text format 0.0.4.
import type { Cell, StatRow } from './rows.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Kind = 'gauge' | 'counter';

interface Family {
  readonly name: string;
  readonly kind: Kind;
  readonly help: string;
  readonly value: (r: StatRow) => Cell;
}

const STATUS_FRONTEND = (r: StatRow): number => (r.status === 'OPEN' ? 1 : 0);
const STATUS_BACKEND = (r: StatRow): number => (r.status === 'UP' ? 1 : 0);
/** 0=DOWN, 1=UP, 2=MAINT (HAProxy's exporter codes); going down counts as UP, going up as DOWN. */
const STATUS_SERVER = (r: StatRow): number => {
  if (r.server?.maintenance === true) return 2;
  return r.server?.state === 'UP' ? 1 : 0;
};

/** HAProxy's check status codes (HCHK_STATUS_*), by the names tsproxy's checks report. */
const CHECK_CODES: Readonly<Record<string, number>> = {
  UNK: 0, INI: 1, SOCKERR: 5, L4OK: 6, L4TOUT: 7, L4CON: 8, L6OK: 9, L6TOUT: 10, L6RSP: 11,
  L7TOUT: 12, L7RSP: 13, L7OK: 15, L7OKC: 16, L7STS: 17,
};

function checkCode(r: StatRow): Cell {
  const s = r.checkStatus;
  return typeof s === 'string' && s !== '' ? CHECK_CODES[s] : undefined;
}

const f = (name: string, kind: Kind, help: string, value: (r: StatRow) => Cell): Family => ({ name, kind, help, value });

const FRONTEND: readonly Family[] = [
  f('haproxy_frontend_status', 'gauge', 'Current status of the frontend (1 = OPEN, 0 = STOP).', STATUS_FRONTEND),
  f('haproxy_frontend_current_sessions', 'gauge', 'Current number of active sessions.', (r) => r.scur),
  f('haproxy_frontend_max_sessions', 'gauge', 'Maximum observed number of active sessions.', (r) => r.smax),
  f('haproxy_frontend_limit_sessions', 'gauge', 'Configured session limit (maxconn).', (r) => r.slim),
  f('haproxy_frontend_sessions_total', 'counter', 'Total number of sessions.', (r) => r.stot),
  f('haproxy_frontend_bytes_in_total', 'counter', 'Current total of incoming bytes.', (r) => r.bin),
  f('haproxy_frontend_bytes_out_total', 'counter', 'Current total of outgoing bytes.', (r) => r.bout),
  f('haproxy_frontend_requests_denied_total', 'counter', 'Total number of denied requests.', (r) => r.dreq),
  f('haproxy_frontend_responses_denied_total', 'counter', 'Total number of denied responses.', (r) => r.dresp),
  f('haproxy_frontend_request_errors_total', 'counter', 'Total number of request errors.', (r) => r.ereq),
  f('haproxy_frontend_http_requests_total', 'counter', 'Total number of HTTP requests received.', (r) => r.reqTot),
];

const BACKEND: readonly Family[] = [
  f('haproxy_backend_status', 'gauge', 'Current status of the backend (1 = UP, 0 = DOWN).', STATUS_BACKEND),
  f('haproxy_backend_current_queue', 'gauge', 'Current number of queued requests not assigned to any server.', (r) => r.qcur),
  f('haproxy_backend_max_queue', 'gauge', 'Maximum observed number of queued requests not assigned to any server.', (r) => r.qmax),
  f('haproxy_backend_current_sessions', 'gauge', 'Current number of active sessions.', (r) => r.scur),
  f('haproxy_backend_max_sessions', 'gauge', 'Maximum observed number of active sessions.', (r) => r.smax),
  f('haproxy_backend_sessions_total', 'counter', 'Total number of sessions.', (r) => r.stot),
  f('haproxy_backend_bytes_in_total', 'counter', 'Current total of incoming bytes.', (r) => r.bin),
  f('haproxy_backend_bytes_out_total', 'counter', 'Current total of outgoing bytes.', (r) => r.bout),
  f('haproxy_backend_responses_denied_total', 'counter', 'Total number of denied responses.', (r) => r.dresp),
  f('haproxy_backend_connection_errors_total', 'counter', 'Total number of connection errors.', (r) => r.econ),
  f('haproxy_backend_response_errors_total', 'counter', 'Total number of response errors.', (r) => r.eresp),
  f('haproxy_backend_retry_warnings_total', 'counter', 'Total number of retry warnings.', (r) => r.wretr),
  f('haproxy_backend_redispatch_warnings_total', 'counter', 'Total number of redispatch warnings.', (r) => r.wredis),
  f('haproxy_backend_weight', 'gauge', 'Service weight (total weight of the usable servers).', (r) => r.weight),
  f('haproxy_backend_active_servers', 'gauge', 'Current number of active servers.', (r) => r.act),
  f('haproxy_backend_backup_servers', 'gauge', 'Current number of backup servers.', (r) => r.bck),
  f('haproxy_backend_loadbalanced_total', 'counter', 'Total number of times a server was selected.', (r) => r.lbtot),
];

const SERVER: readonly Family[] = [
  f('haproxy_server_status', 'gauge', 'Current status of the server (0 = DOWN, 1 = UP, 2 = MAINT).', STATUS_SERVER),
  f('haproxy_server_current_queue', 'gauge', 'Current number of queued requests.', (r) => r.qcur),
  f('haproxy_server_max_queue', 'gauge', 'Maximum observed number of queued requests.', (r) => r.qmax),
  f('haproxy_server_current_sessions', 'gauge', 'Current number of active sessions.', (r) => r.scur),
  f('haproxy_server_max_sessions', 'gauge', 'Maximum observed number of active sessions.', (r) => r.smax),
  f('haproxy_server_limit_sessions', 'gauge', 'Configured session limit (maxconn, dynamic with minconn).', (r) => r.slim),
  f('haproxy_server_sessions_total', 'counter', 'Total number of sessions.', (r) => r.stot),
  f('haproxy_server_bytes_in_total', 'counter', 'Current total of incoming bytes.', (r) => r.bin),
  f('haproxy_server_bytes_out_total', 'counter', 'Current total of outgoing bytes.', (r) => r.bout),
  f('haproxy_server_connection_errors_total', 'counter', 'Total number of connection errors.', (r) => r.econ),
  f('haproxy_server_response_errors_total', 'counter', 'Total number of response errors.', (r) => r.eresp),
  f('haproxy_server_retry_warnings_total', 'counter', 'Total number of retry warnings.', (r) => r.wretr),
  f('haproxy_server_redispatch_warnings_total', 'counter', 'Total number of redispatch warnings.', (r) => r.wredis),
  f('haproxy_server_weight', 'gauge', 'Current effective weight of the server.', (r) => r.weight),
  f('haproxy_server_check_failures_total', 'counter', 'Total number of failed checks while the server was UP.', (r) => r.chkfail),
  f('haproxy_server_check_up_down_total', 'counter', 'Total number of UP to DOWN transitions.', (r) => r.chkdown),
  f('haproxy_server_check_last_change_seconds', 'gauge', 'Seconds since the last UP/DOWN change.', (r) => r.lastchg),
  f('haproxy_server_downtime_seconds_total', 'counter', 'Total downtime in seconds.', (r) => r.downtime),
  f('haproxy_server_check_status', 'gauge', 'Status of the last health check (HAProxy HCHK_STATUS_* code).', checkCode),
  f('haproxy_server_loadbalanced_total', 'counter', 'Total number of times the server was selected.', (r) => r.lbtot),
];

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;

/** Label values escape backslash, double quote and line feed (exposition format). */
export function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(r: StatRow): string {
  const px = `proxy="${labelValue(r.pxname)}"`;
  return r.type === 2 ? `{${px},server="${labelValue(r.svname)}"}` : `{${px}}`;
}

function family(out: string[], fam: Family, rows: readonly StatRow[]): void {
  const samples: string[] = [];
  for (const r of rows) {
    const v = fam.value(r);
    if (typeof v === 'number' && Number.isFinite(v)) samples.push(`${fam.name}${labels(r)} ${v}`);
  }
  if (samples.length === 0) return;
  out.push(`# HELP ${fam.name} ${fam.help}`, `# TYPE ${fam.name} ${fam.kind}`, ...samples);
}

function responses(out: string[], name: string, rows: readonly StatRow[]): void {
  const samples: string[] = [];
  for (const r of rows) {
    const h = r.hrsp;
    if (h === undefined) continue;
    const l = labels(r).slice(0, -1);
    CLASSES.forEach((c, i) => samples.push(`${name}${l},code="${c}"} ${h[i] ?? 0}`));
  }
  if (samples.length === 0) return;
  out.push(`# HELP ${name} Total number of HTTP responses by status class.`, `# TYPE ${name} counter`, ...samples);
}

export interface ProcessFigures {
  readonly version: string;
  readonly processNumber: number;
  readonly nbproc: number;
  readonly startedMs: number;
  readonly nowMs: number;
  readonly currentConnections: number;
  readonly maxConnections: number;
}

/** The whole exposition text, ending with a line feed. */
export function renderPrometheus(rows: readonly StatRow[], p: ProcessFigures): string {
  const out: string[] = [];
  const g = (name: string, kind: Kind, help: string, sample: string): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${kind}`, sample);
  };
  g('haproxy_process_build_info', 'gauge', 'Build info (tsproxy version).', `haproxy_process_build_info{version="${labelValue(p.version)}",implementation="tsproxy"} 1`);
  g('haproxy_process_nbproc', 'gauge', 'Number of processes configured (each one reports its own counters).', `haproxy_process_nbproc ${p.nbproc}`);
  g('haproxy_process_relative_process_id', 'gauge', 'Relative process id, starting at 1.', `haproxy_process_relative_process_id ${p.processNumber}`);
  g('haproxy_process_start_time_seconds', 'gauge', 'Start time in seconds since the epoch.', `haproxy_process_start_time_seconds ${Math.floor(p.startedMs / 1000)}`);
  g('haproxy_process_uptime_seconds', 'gauge', 'How long ago this process started.', `haproxy_process_uptime_seconds ${Math.max(0, Math.floor((p.nowMs - p.startedMs) / 1000))}`);
  g('haproxy_process_current_connections', 'gauge', 'Number of active sessions.', `haproxy_process_current_connections ${p.currentConnections}`);
  g('haproxy_process_max_connections', 'gauge', 'Maximum number of concurrent connections (global maxconn).', `haproxy_process_max_connections ${p.maxConnections}`);
  const fronts = rows.filter((r) => r.type === 0);
  const backs = rows.filter((r) => r.type === 1);
  const servers = rows.filter((r) => r.type === 2);
  for (const fam of FRONTEND) family(out, fam, fronts);
  responses(out, 'haproxy_frontend_http_responses_total', fronts);
  for (const fam of BACKEND) family(out, fam, backs);
  responses(out, 'haproxy_backend_http_responses_total', backs);
  for (const fam of SERVER) family(out, fam, servers);
  responses(out, 'haproxy_server_http_responses_total', servers);
  return `${out.join('\n')}\n`;
}
