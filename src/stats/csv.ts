// The CSV export (`<stats uri>;csv`, `show stat`): HAProxy 1.4's column layout, 50 fields with a
// trailing comma, so that scripts and dashboards written for the later 1.x releases read it.
import type { Cell, StatRow } from './rows.js';

export const CSV_FIELDS = [
  'pxname', 'svname', 'qcur', 'qmax', 'scur', 'smax', 'slim', 'stot', 'bin', 'bout',
  'dreq', 'dresp', 'ereq', 'econ', 'eresp', 'wretr', 'wredis', 'status', 'weight', 'act',
  'bck', 'chkfail', 'chkdown', 'lastchg', 'downtime', 'qlimit', 'pid', 'iid', 'sid', 'throttle',
  'lbtot', 'tracked', 'type', 'rate', 'rate_lim', 'rate_max', 'check_status', 'check_code', 'check_duration', 'hrsp_1xx',
  'hrsp_2xx', 'hrsp_3xx', 'hrsp_4xx', 'hrsp_5xx', 'hrsp_other', 'hanafail', 'req_rate', 'req_rate_max', 'req_tot', 'cli_abrt',
  'srv_abrt',
] as const;

/** `# pxname,svname,…,srv_abrt,` and a line feed. */
export const CSV_HEADER = `# ${CSV_FIELDS.join(',')},\n`;

/** Names and texts cannot hold a comma or a line end in the CSV (HAProxy writes them raw; we replace). */
function text(v: string): string {
  return /[,\r\n]/.test(v) ? v.replace(/[,\r\n]/g, '_') : v;
}

function cell(v: Cell): string {
  if (v === undefined) return '';
  return typeof v === 'number' ? String(v) : text(v);
}

/** One CSV line (without the header). */
export function csvLine(r: StatRow): string {
  const h = r.hrsp;
  const values: Cell[] = [
    r.pxname, r.svname, r.qcur, r.qmax, r.scur, r.smax, r.slim, r.stot, r.bin, r.bout,
    r.dreq, r.dresp, r.ereq, r.econ, r.eresp, r.wretr, r.wredis, r.status, r.weight, r.act,
    r.bck, r.chkfail, r.chkdown, r.lastchg, r.downtime, r.qlimit, r.pid, r.iid, r.sid, undefined,
    r.lbtot, undefined, r.type, undefined, undefined, undefined, r.checkStatus === '' ? undefined : r.checkStatus, undefined, undefined, h?.[0],
    h?.[1], h?.[2], h?.[3], h?.[4], h?.[5], undefined, undefined, undefined, r.reqTot, undefined,
    undefined,
  ];
  let out = '';
  for (const v of values) out += `${cell(v)},`;
  return `${out}\n`;
}

/** The header and one line per row. */
export function renderCsv(rows: readonly StatRow[]): string {
  let out = CSV_HEADER;
  for (const r of rows) out += csvLine(r);
  return out;
}
