// The stats page on loopback, in an in-process runtime built from config text: HTML that parses
// and follows a server going DOWN, HTTP Basic auth (401 bytes exact), the CSV export's header and
// counts after a known number of requests, scope, the Prometheus text through a real parser,
// and the `<STATS>`/`PR` log line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startHttpBackend, startHttpProxy, template, type HttpBackend, type HttpProxy } from '../support/http-harness.js';
import { freePorts } from '../support/ports.js';
import { basic, httpGet, pageTables, wellFormednessErrors } from '../support/stats-helpers.js';
import { CSV_HEADER } from '../../src/stats/csv.js';
import { STATE_COLOURS } from '../../src/stats/html.js';

const require = createRequire(import.meta.url);
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => PromFamily[];
interface PromFamily {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

const UNAUTHORIZED =
  'HTTP/1.0 401 Unauthorized\r\nCache-Control: no-cache\r\nConnection: close\r\n' +
  'WWW-Authenticate: Basic realm="Our Stats"\r\n\r\n' +
  '<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n';

const CONFIG = `
listen web 127.0.0.1:{WEB}
  mode http
  balance roundrobin
  contimeout 2000
  clitimeout 5000
  srvtimeout 5000
  option httplog
  log 127.0.0.1:9 local0
  stats enable
  stats uri /admin?stats
  stats realm Our\\ Stats
  stats auth admin:s3cret
  stats auth ops:other:colon
  stats refresh 5s
  stats prometheus /metrics
  server s1 127.0.0.1:{S1} check inter {INTER} rise 2 fall 1
  server s2 127.0.0.1:{S2} check inter {INTER} rise 2 fall 1
listen other 127.0.0.1:{OTHER}
  mode http
  balance roundrobin
  contimeout 2000
  clitimeout 5000
  srvtimeout 5000
  stats uri /st
  stats scope .
  stats hide-version
  server o1 127.0.0.1:{S1}
`;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10000; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 40));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('stats page', () => {
  let s1: HttpBackend;
  let s2: HttpBackend | undefined;
  let px: HttpProxy;
  let web: number;
  let other: number;
  const INTER = 200;
  const auth = basic('admin', 's3cret');

  before(async () => {
    s1 = await startHttpBackend('s1');
    s2 = await startHttpBackend('s2');
    [web, other] = await freePorts(2);
    px = await startHttpProxy(template(CONFIG, { WEB: web!, OTHER: other!, S1: s1.port, S2: s2.port, INTER }));
  });
  after(async () => {
    px?.stop();
    await s1?.close();
    await s2?.close();
  });

  it('answers 401 byte for byte without, with wrong, or with malformed credentials', async () => {
    for (const headers of [[], [basic('admin', 'wrong')], [basic('nobody', 's3cret')], ['Authorization: Basic !!!'], ['Authorization: Digest abc']]) {
      const a = await httpGet(web, '/admin?stats', headers);
      assert.equal(a.raw, UNAUTHORIZED, `headers ${JSON.stringify(headers)}`);
    }
    // a password containing ':' (only the first colon separates user from password)
    const ok2 = await httpGet(web, '/admin?stats;csv', [basic('ops', 'other:colon')]);
    assert.equal(ok2.status, 200);
    // header name case and spacing do not matter (DESIGN.md decision 4)
    const ok3 = await httpGet(web, '/admin?stats;csv', [`authorization:basic   ${Buffer.from('admin:s3cret').toString('base64')}`]);
    assert.equal(ok3.status, 200);
  });

  it('serves well-formed HTML with a row per server, then shows a server DOWN once its target stops answering', async () => {
    const page = await httpGet(web, '/admin?stats', [auth]);
    assert.equal(page.status, 200);
    assert.equal(page.head, 'HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\nRefresh: 5\r\n\r\n');
    assert.deepEqual(wellFormednessErrors(page.body), []);
    const tables = pageTables(page.body);
    assert.deepEqual(tables.map((t) => t.proxy), ['web', 'other']);
    const webRows = tables[0]!.rows;
    assert.deepEqual(webRows.map((r) => r.server ?? r.cls), ['frontend', 's1', 's2', 'backend']);
    assert.equal(webRows[1]!.cls, 'active_up');
    assert.match(webRows[1]!.cells.join('|'), /\bUP\b/);
    assert.match(page.body, /tsproxy version \d+\.\d+\.\d+/);
    assert.ok(page.body.includes(`.active_down{background:${STATE_COLOURS.active_down}}`));

    // s2's target stops answering: the next check fails and, fall 1, marks it DOWN
    await s2!.close();
    s2 = undefined;
    const down = await until('s2 DOWN on the page', async () => {
      const p = await httpGet(web, '/admin?stats;norefresh', [auth]);
      const row = pageTables(p.body)[0]?.rows.find((r) => r.server === 's2');
      return row !== undefined && row.cls === 'active_down' ? { p, row } : undefined;
    });
    assert.deepEqual(wellFormednessErrors(down.p.body), []);
    assert.doesNotMatch(down.p.head, /Refresh:/, ';norefresh drops the Refresh header');
    assert.match(down.row.cells.join('|'), /\bDOWN\b/);
    assert.match(down.row.cells.join('|'), /L4CON/);
    assert.ok(px.processLog.messages().some((m) => /Server web\/s2 is DOWN/.test(m)));
    // s1 still UP
    assert.equal(pageTables(down.p.body)[0]!.rows.find((r) => r.server === 's1')!.cls, 'active_up');
  });

  it('is logged with server <STATS> and termination PR, and never reaches a server', async () => {
    const before1 = s1.requests.length;
    const log = px.log('web');
    await httpGet(web, '/admin?stats;csv;logged', [auth]);
    await httpGet(web, '/admin?stats;logged');
    const mine = () => log.records.filter((r) => r.requestLine?.includes(';logged') === true);
    await until('both log records', async () => (mine().length >= 2 ? true : undefined));
    assert.deepEqual(
      mine().map((r) => [r.requestLine, r.serverName, r.termination, r.status]),
      [
        ['GET /admin?stats;csv;logged HTTP/1.0', '<STATS>', 'PR', 200],
        ['GET /admin?stats;logged HTTP/1.0', '<STATS>', 'PR', 401],
      ],
    );
    assert.equal(s1.requests.length, before1);
  });

  it('lets other URIs and methods through to the servers', async () => {
    const n = s1.requests.length;
    const a = await httpGet(web, '/admin?other');
    const b = await httpGet(web, '/');
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.match(a.body + b.body, /s1:\//);
    assert.ok(s1.requests.length >= n + 1);
  });

  it('honours `stats scope .` and hide-version on the other proxy (no auth there)', async () => {
    const page = await httpGet(other, '/st');
    assert.equal(page.status, 200);
    assert.deepEqual(wellFormednessErrors(page.body), []);
    assert.deepEqual(pageTables(page.body).map((t) => t.proxy), ['other']);
    assert.doesNotMatch(page.body, /version/);
    const csv = await httpGet(other, '/st;csv');
    assert.deepEqual(
      csv.body.split('\n').slice(1, -1).map((l) => l.split(',').slice(0, 2).join('/')),
      ['other/FRONTEND', 'other/o1', 'other/BACKEND'],
    );
  });
});

describe('stats CSV and Prometheus counts', () => {
  let a: HttpBackend;
  let b: HttpBackend;
  let px: HttpProxy;
  let port: number;

  before(async () => {
    a = await startHttpBackend('a');
    b = await startHttpBackend('b');
    [port] = await freePorts(1);
    px = await startHttpProxy(
      template(
        `
listen app 127.0.0.1:{P}
  mode http
  balance roundrobin
  contimeout 2000
  clitimeout 5000
  srvtimeout 5000
  reqideny ^X-Evil:
  stats uri /stats
  stats prometheus /metrics
  server a 127.0.0.1:{A}
  server b 127.0.0.1:{B}
  server spare 127.0.0.1:{A} backup
`,
        { P: port!, A: a.port, B: b.port },
      ),
    );
  });
  after(async () => {
    px?.stop();
    await a?.close();
    await b?.close();
  });

  it('gives the 1.4 CSV header and one row per proxy and server with the right counts', async () => {
    const N = 10;
    for (let i = 0; i < N; i++) assert.equal((await httpGet(port, `/r${i}`)).status, 200);
    assert.equal((await httpGet(port, '/x', ['X-Evil: 1'])).status, 403);
    const csv = await httpGet(port, '/stats;csv');
    assert.equal(csv.head, 'HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n');
    const lines = csv.body.split('\n');
    assert.equal(`${lines[0]}\n`, CSV_HEADER);
    assert.equal(lines[0], '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,');
    assert.equal(lines.at(-1), '');
    const fields = lines[0]!.slice(2).split(',');
    const rows = lines.slice(1, -1).map((l) => {
      const v = l.split(',');
      assert.equal(v.length, fields.length, `field count of ${l}`);
      return Object.fromEntries(fields.map((f, i) => [f, v[i]!]));
    });
    assert.deepEqual(rows.map((r) => `${r.pxname}/${r.svname}/${r.type}`), ['app/FRONTEND/0', 'app/a/2', 'app/b/2', 'app/spare/2', 'app/BACKEND/1']);
    const [fe, sa, sb, spare, be] = rows as Record<string, string>[];
    // 10 forwarded, 1 denied, and the CSV request itself: 12 sessions accepted
    assert.equal(fe!.stot, '12');
    assert.equal(fe!.dreq, '1');
    assert.equal(fe!.status, 'OPEN');
    assert.equal(sa!.stot, '5');
    assert.equal(sb!.stot, '5');
    assert.equal(spare!.stot, '0');
    assert.equal(be!.stot, '10');
    assert.equal(sa!.status, 'no check');
    assert.equal(sa!.act, '1');
    assert.equal(spare!.bck, '1');
    assert.equal(be!.act, '2');
    assert.equal(be!.bck, '1');
    assert.equal(be!.weight, '2');
    assert.equal(sa!.sid, '1');
    assert.equal(spare!.sid, '3');
    assert.ok(Number(sa!.bin) > 0 && Number(sa!.bout) > 0);
    assert.equal(Number(be!.bout), Number(sa!.bout) + Number(sb!.bout));
    if (sa!.hrsp_2xx !== '') assert.equal(sa!.hrsp_2xx, '5');
  });

  it('exposes the same counters as Prometheus text that a real parser reads', async () => {
    const m = await httpGet(port, '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.head, /Content-Type: text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(m.body);
    const byName = new Map(families.map((f) => [f.name, f]));
    const value = (name: string, labels: Record<string, string>): number => {
      const fam = byName.get(name);
      assert.ok(fam !== undefined, `family ${name}`);
      const s = fam.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
      assert.ok(s !== undefined, `${name} ${JSON.stringify(labels)}`);
      return Number(s.value);
    };
    assert.equal(byName.get('haproxy_server_sessions_total')?.type, 'COUNTER');
    assert.equal(byName.get('haproxy_server_status')?.type, 'GAUGE');
    assert.equal(value('haproxy_server_sessions_total', { proxy: 'app', server: 'a' }), 5);
    assert.equal(value('haproxy_server_sessions_total', { proxy: 'app', server: 'b' }), 5);
    assert.equal(value('haproxy_backend_sessions_total', { proxy: 'app' }), 10);
    assert.equal(value('haproxy_frontend_requests_denied_total', { proxy: 'app' }), 1);
    assert.equal(value('haproxy_server_status', { proxy: 'app', server: 'a' }), 1);
    assert.equal(value('haproxy_backend_active_servers', { proxy: 'app' }), 2);
    assert.equal(value('haproxy_process_nbproc', {}), 1);
    // the CSV says the same
    const csv = await httpGet(port, '/stats;csv');
    const aRow = csv.body.split('\n').find((l) => l.startsWith('app,a,'))!.split(',');
    assert.equal(Number(aRow[8]), value('haproxy_server_bytes_in_total', { proxy: 'app', server: 'a' }));
  });
});

describe('stats page: servers going down and up', () => {
  it('shows UP n/fall (going down) between the first failed check and DOWN, when the checks report their counter', async (t) => {
    const target = await startHttpBackend('g1');
    const [port] = await freePorts(1);
    const px = await startHttpProxy(
      template(
        `
listen g 127.0.0.1:{P}
  mode http
  balance roundrobin
  contimeout 2000
  clitimeout 5000
  srvtimeout 5000
  stats uri /st
  server g1 127.0.0.1:{T} check inter 150 rise 2 fall 3
`,
        { P: port!, T: target.port },
      ),
    );
    let closed = false;
    try {
      const server = px.runtime.proxy('g')!.servers[0]!;
      await until('two passed checks', async () => (server.checkStatus === 'L4OK' && server.checkHealth !== undefined ? true : undefined), 3000);
      await until('health at its top', async () => (server.checkHealth === 4 ? true : undefined));
      await target.close();
      closed = true;
      const seen = new Set<string>();
      await until('DOWN after going down', async () => {
        const p = await httpGet(port!, '/st;norefresh');
        const row = pageTables(p.body)[0]!.rows.find((r) => r.server === 'g1')!;
        seen.add(`${row.cls} ${row.cells.find((c) => /UP|DOWN|DN/.test(c))?.replace(/^\S+ /, '')}`);
        return row.cls === 'active_down' ? true : undefined;
      });
      assert.ok(
        [...seen].some((s) => /^active_going_down UP [12]\/3 \u2193$/.test(s)),
        `states seen: ${[...seen].join(', ')}`,
      );
    } finally {
      px.stop();
      if (!closed) await target.close();
    }
  });
});
