// The HTML statistics page: a process summary, a legend, then one table per proxy with its
// FRONTEND, server and BACKEND rows, coloured with HAProxy's classic state palette. Pure: rows
// and figures in, a well-formed (XHTML-style) document out.
import type { Cell, ServerShade, StatRow } from './rows.js';

/** HAProxy's classic stats palette (background colours of server rows by state). */
export const STATE_COLOURS = {
  active_up: '#c0ffc0',
  active_going_down: '#ffffa0',
  active_going_up: '#ffd020',
  active_down: '#ff9090',
  active_no_check: '#e0e0e0',
  backup_up: '#b0d0ff',
  backup_going_down: '#c060ff',
  backup_going_up: '#ff80ff',
  backup_down: '#ff9090',
  backup_no_check: '#e0e0e0',
  maintain: '#c07820',
} as const;

export type StateClass = keyof typeof STATE_COLOURS;

/** The CSS class of a server row. */
export function stateClass(backup: boolean, shade: ServerShade): StateClass {
  if (shade === 'maint') return 'maintain';
  const kind = backup ? 'backup' : 'active';
  return `${kind}_${shade.replace('-', '_')}` as StateClass;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** HAProxy's short durations: 12s, 5m3s, 2h5m, 3d4h. */
export function humanDuration(totalSeconds: number): string {
  const t = Math.max(0, Math.floor(totalSeconds));
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${t % 60}s`;
  if (t < 86400) return `${Math.floor(t / 3600)}h${Math.floor((t % 3600) / 60)}m`;
  return `${Math.floor(t / 86400)}d${Math.floor((t % 86400) / 3600)}h`;
}

export interface PageFigures {
  /** undefined with `stats hide-version`. */
  readonly version: string | undefined;
  readonly pid: number;
  readonly processNumber: number;
  readonly nbproc: number;
  readonly uptimeSeconds: number;
  readonly maxConnections: number;
  readonly currentConnections: number;
  /** The stats URI prefix, for the links. */
  readonly uri: string;
  /** Seconds between automatic refreshes; 0 = off. */
  readonly refreshSeconds: number;
  /** `;norefresh` was asked for. */
  readonly norefresh: boolean;
  readonly generatedAt: Date;
}

const CSS = `body{font-family:arial,helvetica,sans-serif;font-size:12px;color:black;background:white;margin:8px}
h1{font-size:x-large;margin:0 0 0.3em 0}
h1 a{color:#6020a0;text-decoration:none}
h2{font-family:helvetica,arial;font-size:large;font-weight:bold;font-style:italic;color:#6020a0;margin:0.3em 0}
table.info,table.legend{border-collapse:collapse;margin-bottom:1em;display:inline-table;vertical-align:top;margin-right:2em}
table.info td,table.legend td{font-size:11px;padding:1px 4px}
table.px{border-collapse:collapse;border:1px solid #808080;margin-bottom:1em}
table.px th,table.px td{font-size:10px;border:1px solid #808080;padding:1px 3px;text-align:right;white-space:nowrap}
table.px td.name,table.px td.label{text-align:left}
tr.pxname th{background:#b00040;color:#ffff40;font-weight:bold;text-align:left;font-size:12px}
tr.titre th{background:#20d0d0;color:black;font-weight:bold;text-align:center}
tr.frontend,tr.backend{background:#e8e8d0}
tr.backend td{font-weight:bold}
${Object.entries(STATE_COLOURS)
  .map(([k, v]) => `.${k}{background:${v}}`)
  .join('\n')}
a.lnk{margin-right:1em}`;

function td(v: Cell, cls?: string): string {
  const c = cls === undefined ? '' : ` class="${cls}"`;
  if (v === undefined || v === '') return `<td${c}></td>`;
  return `<td${c}>${escapeHtml(String(v))}</td>`;
}

function rowCells(r: StatRow): string {
  const label = r.type === 0 ? 'Frontend' : r.type === 1 ? 'Backend' : r.svname;
  let status: string;
  if (r.type === 2 && typeof r.lastchg === 'number') status = `${humanDuration(r.lastchg)} ${r.htmlStatus}`;
  else status = r.htmlStatus;
  const downtime = typeof r.downtime === 'number' ? humanDuration(r.downtime) : undefined;
  return [
    td(label, r.type === 2 ? 'name' : 'label'),
    td(r.qcur), td(r.qmax), td(r.qlimit),
    td(r.scur), td(r.smax), td(r.slim), td(r.stot), td(r.lbtot),
    td(r.bin), td(r.bout),
    td(r.dreq), td(r.dresp),
    td(r.ereq), td(r.econ), td(r.eresp),
    td(r.wretr), td(r.wredis),
    td(status, 'status'),
    td(r.checkStatus),
    td(r.weight), td(r.type === 2 ? (r.act === 1 ? 'Y' : '-') : r.act), td(r.type === 2 ? (r.bck === 1 ? 'Y' : '-') : r.bck),
    td(r.chkfail), td(r.chkdown), td(downtime),
  ].join('');
}

const HEAD_1 =
  '<tr class="titre"><th rowspan="2"></th><th colspan="3">Queue</th><th colspan="5">Sessions</th><th colspan="2">Bytes</th>' +
  '<th colspan="2">Denied</th><th colspan="3">Errors</th><th colspan="2">Warnings</th><th colspan="8">Server</th></tr>';
const HEAD_2 =
  '<tr class="titre"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th>' +
  '<th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th>' +
  '<th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th></tr>';
const COLUMNS = 26;

function rowClass(r: StatRow): string {
  if (r.type === 0) return 'frontend';
  if (r.type === 1) return 'backend';
  return stateClass(r.bck === 1, r.shade ?? 'up');
}

function legend(): string {
  const items: [StateClass, string][] = [
    ['active_up', 'active UP'],
    ['backup_up', 'backup UP'],
    ['active_going_down', 'active UP, going down'],
    ['backup_going_down', 'backup UP, going down'],
    ['active_going_up', 'active DOWN, going up'],
    ['backup_going_up', 'backup DOWN, going up'],
    ['active_down', 'active or backup DOWN'],
    ['active_no_check', 'not checked'],
    ['maintain', 'active or backup DOWN for maintenance (MAINT)'],
  ];
  return `<table class="legend">${items
    .map(([c, t]) => `<tr><td class="${c}">&#160;&#160;&#160;&#160;</td><td>${escapeHtml(t)}</td></tr>`)
    .join('')}</table>`;
}

/** The whole page. */
export function renderHtml(rows: readonly StatRow[], p: PageFigures): string {
  const product = p.version === undefined ? 'tsproxy' : `tsproxy version ${escapeHtml(p.version)}`;
  const u = escapeHtml(p.uri);
  const out: string[] = [];
  out.push('<!DOCTYPE html>');
  out.push('<html lang="en"><head><meta charset="utf-8"/>');
  out.push(`<title>Statistics Report for tsproxy</title>`);
  out.push(`<style type="text/css">${CSS}</style></head><body>`);
  out.push(`<h1>${product}</h1>`);
  out.push(`<h2>Statistics Report for pid ${p.pid}</h2>`);
  out.push('<table class="info">');
  out.push(`<tr><td><b>pid = </b>${p.pid} (process #${p.processNumber}, nbproc = ${p.nbproc})</td></tr>`);
  out.push(`<tr><td><b>uptime = </b>${humanDuration(p.uptimeSeconds)}</td></tr>`);
  out.push(`<tr><td><b>maxconn = </b>${p.maxConnections}</td></tr>`);
  out.push(`<tr><td><b>current conns = </b>${p.currentConnections}</td></tr>`);
  out.push(`<tr><td><b>generated = </b>${escapeHtml(p.generatedAt.toUTCString())}</td></tr>`);
  out.push('</table>');
  out.push(legend());
  out.push('<p>');
  if (p.refreshSeconds > 0) {
    out.push(p.norefresh ? `<a class="lnk" href="${u}">Enable refresh</a>` : `<a class="lnk" href="${u};norefresh">Disable refresh</a>`);
  }
  out.push(`<a class="lnk" href="${u}${p.norefresh ? ';norefresh' : ''}">Refresh now</a>`);
  out.push(`<a class="lnk" href="${u};csv">CSV export</a>`);
  out.push('</p>');
  let current: string | undefined;
  for (const r of rows) {
    if (r.pxname !== current || r.type === 0) {
      if (current !== undefined) out.push('</table>');
      current = r.pxname;
      out.push(`<table class="px" data-proxy="${escapeHtml(r.pxname)}">`);
      out.push(`<tr class="pxname"><th colspan="${COLUMNS}">${escapeHtml(r.pxname)}</th></tr>`);
      out.push(HEAD_1, HEAD_2);
    }
    const data = r.type === 2 ? ` data-server="${escapeHtml(r.svname)}"` : '';
    out.push(`<tr class="${rowClass(r)}"${data}>${rowCells(r)}</tr>`);
  }
  if (current !== undefined) out.push('</table>');
  out.push('</body></html>');
  return `${out.join('\n')}\n`;
}
