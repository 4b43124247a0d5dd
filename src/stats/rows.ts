// The statistics rows: one FRONTEND, one per server and one BACKEND row per proxy, read from the
// runtime's plain counters at the moment of the request. Pure: the CSV, the HTML page, the
// Prometheus text and the runtime socket all render these same rows.
import type { ServerConfig } from '../config/model.js';
import type { ProxyRuntime, ServerRuntime } from '../runtime/types.js';

/** CSV `type`: 0 = frontend, 1 = backend, 2 = server. */
export type RowType = 0 | 1 | 2;

/** How a server row is coloured (HAProxy's classic palette, see html.ts). */
export type ServerShade =
  | 'up'
  | 'going-down'
  | 'going-up'
  | 'down'
  | 'maint'
  | 'no-check';

/** A value: a number, a text, or undefined for an empty CSV field. */
export type Cell = number | string | undefined;

export interface StatRow {
  readonly type: RowType;
  readonly pxname: string;
  /** FRONTEND, BACKEND or the server name. */
  readonly svname: string;
  readonly proxy: ProxyRuntime;
  readonly server: ServerRuntime | undefined;
  readonly qcur: Cell;
  readonly qmax: Cell;
  readonly scur: Cell;
  readonly smax: Cell;
  readonly slim: Cell;
  readonly stot: Cell;
  readonly bin: Cell;
  readonly bout: Cell;
  readonly dreq: Cell;
  readonly dresp: Cell;
  readonly ereq: Cell;
  readonly econ: Cell;
  readonly eresp: Cell;
  readonly wretr: Cell;
  readonly wredis: Cell;
  /** CSV status: OPEN/STOP (frontend), UP/DOWN (backend), UP, DOWN, "UP 1/3", "DOWN 1/2", MAINT, "no check" (server). */
  readonly status: string;
  readonly weight: Cell;
  readonly act: Cell;
  readonly bck: Cell;
  readonly chkfail: Cell;
  readonly chkdown: Cell;
  /** Seconds since the last UP/DOWN change. */
  readonly lastchg: Cell;
  /** Seconds spent DOWN. */
  readonly downtime: Cell;
  readonly qlimit: Cell;
  readonly pid: number;
  readonly iid: number;
  readonly sid: number;
  readonly lbtot: Cell;
  readonly checkStatus: Cell;
  /** [1xx, 2xx, 3xx, 4xx, 5xx, other], undefined when not counted. */
  readonly hrsp: readonly number[] | undefined;
  readonly reqTot: Cell;
  /** Server rows: the shade used by the HTML page; frontend/backend: undefined. */
  readonly shade: ServerShade | undefined;
  /** Server rows: the state as the HTML page writes it (with ↑/↓ while going up/down). */
  readonly htmlStatus: string;
}

/** Which proxies a page shows (`stats scope`): '.' is the proxy serving the page; none = all. */
export function inScope(scope: readonly string[], self: ProxyRuntime | undefined, proxy: ProxyRuntime): boolean {
  if (scope.length === 0) return true;
  for (const s of scope) {
    if (s === '.' ? proxy === self : s === proxy.config.name) return true;
  }
  return false;
}

interface ServerState {
  readonly csv: string;
  readonly html: string;
  readonly shade: ServerShade;
}

/**
 * A server's state as HAProxy's stats show it: with checks, the health counter (0..rise+fall-1,
 * below rise = DOWN) gives "DOWN 1/2" (going up: successes so far / rise) and "UP 2/3" (going
 * down: health left / fall).
 */
export function serverState(
  s: Pick<ServerRuntime, 'maintenance' | 'state' | 'checkHealth'> & { readonly config: Pick<ServerConfig, 'check' | 'rise' | 'fall'> },
): ServerState {
  if (s.maintenance) return { csv: 'MAINT', html: 'MAINT', shade: 'maint' };
  if (!s.config.check) {
    // legacy: an unchecked server is always UP unless set down administratively
    return s.state === 'UP'
      ? { csv: 'no check', html: 'no check', shade: 'no-check' }
      : { csv: 'DOWN', html: 'DOWN', shade: 'down' };
  }
  const rise = Math.max(1, s.config.rise);
  const fall = Math.max(1, s.config.fall);
  const h = s.checkHealth;
  if (s.state === 'UP') {
    const top = rise + fall - 1;
    if (h !== undefined && h >= rise && h < top) {
      const left = h - rise + 1;
      return { csv: `UP ${left}/${fall}`, html: `UP ${left}/${fall} \u2193`, shade: 'going-down' };
    }
    return { csv: 'UP', html: 'UP', shade: 'up' };
  }
  if (h !== undefined && h > 0 && h < rise) {
    return { csv: `DOWN ${h}/${rise}`, html: `DN ${h}/${rise} \u2191`, shade: 'going-up' };
  }
  return { csv: 'DOWN', html: 'DOWN', shade: 'down' };
}

function sum(servers: readonly ServerRuntime[], f: (s: ServerRuntime) => number | undefined): number | undefined {
  let t = 0;
  for (const s of servers) {
    const v = f(s);
    if (v === undefined) return undefined;
    t += v;
  }
  return t;
}

function addClasses(servers: readonly ServerRuntime[]): number[] | undefined {
  // no server, no response from one: zeros are the truth
  let out: number[] | undefined = servers.length === 0 ? [0, 0, 0, 0, 0, 0] : undefined;
  for (const s of servers) {
    const h = s.httpResponses;
    if (h === undefined) continue;
    out ??= [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 6; i++) out[i]! += h[i] ?? 0;
  }
  return out;
}

const seconds = (ms: number): number => Math.max(0, Math.floor(ms / 1000));

export interface RowOptions {
  /** CSV `pid`: the process number (1 for the first/only process). */
  readonly processNumber: number;
  readonly nowMs: number;
  /** `;up`: only servers that are UP. */
  readonly upOnly?: boolean;
}

/** The rows of one proxy, in HAProxy's order: FRONTEND, servers, BACKEND. */
export function proxyRows(proxy: ProxyRuntime, iid: number, o: RowOptions): StatRow[] {
  const rows: StatRow[] = [];
  const name = proxy.config.name;
  const http = proxy.config.mode === 'http';
  const servers = proxy.servers;
  const bytesIn = proxy.bytesIn ?? sum(servers, (s) => s.bytesIn);
  const bytesOut = proxy.bytesOut ?? sum(servers, (s) => s.bytesOut);
  const closed = proxy.stopped === true;
  const base = {
    pxname: name,
    proxy,
    pid: o.processNumber,
    iid,
    qlimit: undefined,
  };
  rows.push({
    ...base,
    type: 0,
    svname: 'FRONTEND',
    server: undefined,
    qcur: undefined,
    qmax: undefined,
    scur: proxy.currentSessions,
    smax: proxy.maxSessions,
    slim: proxy.maxconn ?? proxy.config.maxconn,
    stot: proxy.totalSessions,
    bin: bytesIn,
    bout: bytesOut,
    dreq: proxy.deniedRequests,
    dresp: proxy.deniedResponses,
    ereq: proxy.requestErrors,
    econ: undefined,
    eresp: undefined,
    wretr: undefined,
    wredis: undefined,
    status: closed ? 'STOP' : 'OPEN',
    weight: undefined,
    act: undefined,
    bck: undefined,
    chkfail: undefined,
    chkdown: undefined,
    lastchg: undefined,
    downtime: undefined,
    sid: 0,
    lbtot: undefined,
    checkStatus: undefined,
    hrsp: http ? proxy.httpResponses : undefined,
    reqTot: http ? proxy.httpRequests : undefined,
    shade: undefined,
    htmlStatus: closed ? 'STOP' : 'OPEN',
  });
  let actUp = 0;
  let bckUp = 0;
  let weightActive = 0;
  let weightBackup = 0;
  for (const s of servers) {
    const st = serverState(s);
    if (s.usable) {
      if (s.config.backup) {
        bckUp++;
        weightBackup += s.weight;
      } else {
        actUp++;
        weightActive += s.weight;
      }
    }
    if (o.upOnly === true && !s.usable) continue;
    const checked = s.config.check;
    const downNow = s.state === 'DOWN' ? o.nowMs - s.lastChangeMs : 0;
    const limit = s.sessionLimit;
    rows.push({
      ...base,
      type: 2,
      svname: s.config.name,
      server: s,
      qcur: s.queueLength,
      qmax: s.maxQueueLength,
      scur: s.currentSessions,
      smax: s.maxSessions,
      slim: limit !== undefined && limit > 0 ? limit : s.config.maxconn > 0 ? s.config.maxconn : undefined,
      stot: s.totalSessions,
      bin: s.bytesIn,
      bout: s.bytesOut,
      dreq: undefined,
      dresp: undefined,
      ereq: undefined,
      econ: s.connectErrors,
      eresp: s.responseErrors,
      wretr: s.retries,
      wredis: s.redispatches,
      status: st.csv,
      weight: s.weight,
      act: s.config.backup ? 0 : 1,
      bck: s.config.backup ? 1 : 0,
      chkfail: checked ? s.checkFailures : undefined,
      chkdown: checked ? s.downTransitions : undefined,
      lastchg: seconds(o.nowMs - s.lastChangeMs),
      downtime: checked ? seconds(s.downtimeMs + downNow) : undefined,
      sid: s.index + 1,
      lbtot: s.lbTotal,
      checkStatus: checked ? s.checkStatus : undefined,
      hrsp: http ? s.httpResponses : undefined,
      reqTot: undefined,
      shade: st.shade,
      htmlStatus: st.html,
    });
  }
  // legacy: backups weigh in only when no active server is left
  const weight = actUp > 0 ? weightActive : weightBackup;
  rows.push({
    ...base,
    type: 1,
    svname: 'BACKEND',
    server: undefined,
    qcur: proxy.queueLength,
    qmax: proxy.maxQueueLength,
    scur: sum(servers, (s) => s.currentSessions),
    smax: proxy.maxSessions,
    slim: proxy.fullconn ?? proxy.maxconn,
    stot: sum(servers, (s) => s.totalSessions),
    bin: sum(servers, (s) => s.bytesIn),
    bout: sum(servers, (s) => s.bytesOut),
    dreq: proxy.deniedRequests,
    dresp: proxy.deniedResponses,
    ereq: undefined,
    econ: sum(servers, (s) => s.connectErrors),
    eresp: sum(servers, (s) => s.responseErrors),
    wretr: sum(servers, (s) => s.retries),
    wredis: sum(servers, (s) => s.redispatches),
    status: actUp + bckUp > 0 || servers.length === 0 ? 'UP' : 'DOWN',
    weight,
    act: actUp,
    bck: bckUp,
    chkfail: undefined,
    chkdown: undefined,
    lastchg: undefined,
    downtime: undefined,
    sid: 0,
    lbtot: sum(servers, (s) => s.lbTotal),
    checkStatus: undefined,
    hrsp: http ? addClasses(servers) : undefined,
    reqTot: undefined,
    shade: undefined,
    htmlStatus: actUp + bckUp > 0 || servers.length === 0 ? 'UP' : 'DOWN',
  });
  return rows;
}

/** Every row of the proxies in scope; `iid` is the proxy's position in the runtime (1-based). */
export function collectRows(
  proxies: readonly ProxyRuntime[],
  o: RowOptions & { readonly scope?: readonly string[]; readonly self?: ProxyRuntime },
): StatRow[] {
  const rows: StatRow[] = [];
  proxies.forEach((p, i) => {
    if (o.scope !== undefined && !inScope(o.scope, o.self, p)) return;
    for (const r of proxyRows(p, i + 1, o)) rows.push(r);
  });
  return rows;
}
