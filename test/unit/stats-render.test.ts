// The pure parts of the stats: CSV layout, 401 and 200 heads, URI matching, Basic auth, state
// texts from the health counter, durations, HTML well-formedness with hostile names, label
// escaping. Rows come from a real (not started) Runtime built from config text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { parseConfigText } from '../../src/config/parser.js';
import type { StatsConfig } from '../../src/config/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { compileAuth } from '../../src/stats/auth.js';
import { CSV_FIELDS, CSV_HEADER, csvLine, renderCsv } from '../../src/stats/csv.js';
import { escapeHtml, humanDuration, renderHtml, stateClass } from '../../src/stats/html.js';
import { matchTarget, okHead, unauthorizedResponse } from '../../src/stats/intercept.js';
import { labelValue, renderPrometheus } from '../../src/stats/prometheus.js';
import { collectRows, inScope, serverState } from '../../src/stats/rows.js';
import { runtimeOptions } from '../support/runtime-config.js';
import { pageTables, wellFormednessErrors } from '../support/stats-helpers.js';

const require = createRequire(import.meta.url);
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => { name: string; metrics: { labels?: Record<string, string> }[] }[];

function runtimeOf(text: string): Runtime {
  const { config } = parseConfigText(text, 'unit.cfg');
  return new Runtime(config, runtimeOptions());
}

const TWO = `
listen alpha 127.0.0.1:1
  mode http
  balance roundrobin
  stats uri /s
  server a1 127.0.0.1:2 check
  server a2 127.0.0.1:3 backup
listen beta 127.0.0.1:4
  mode tcp
  balance roundrobin
  server x<y&z" 127.0.0.1:5
`;

test('the CSV header is HAProxy 1.4 layout: 51 names and a trailing comma', () => {
  assert.equal(CSV_FIELDS.length, 51);
  assert.equal(CSV_FIELDS[17], 'status');
  assert.equal(CSV_FIELDS[32], 'type');
  assert.equal(CSV_FIELDS[36], 'check_status');
  assert.equal(CSV_FIELDS.at(-1), 'srv_abrt');
  assert.ok(CSV_HEADER.startsWith('# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,'));
  assert.ok(CSV_HEADER.endsWith('cli_abrt,srv_abrt,\n'));
});

test('every CSV line has exactly as many fields as the header; names cannot break the layout', () => {
  const rt = runtimeOf(TWO.replace('x<y&z"', 'we,ird'));
  const rows = collectRows(rt.proxies, { processNumber: 1, nowMs: Date.now() });
  assert.deepEqual(rows.map((r) => `${r.pxname}/${r.svname}`), ['alpha/FRONTEND', 'alpha/a1', 'alpha/a2', 'alpha/BACKEND', 'beta/FRONTEND', 'beta/we_ird', 'beta/BACKEND'].map((s) => s.replace('we_ird', 'we,ird')));
  for (const r of rows) {
    const line = csvLine(r);
    assert.ok(line.endsWith(',\n'));
    assert.equal(line.split(',').length, CSV_FIELDS.length + 1, line);
  }
  const csv = renderCsv(rows);
  assert.match(csv, /^beta,we_ird,/m);
  // a fresh runtime: servers UP, the checked one 'UP', the unchecked 'no check'; iid/sid/type
  assert.match(csv, /^alpha,a1,(?:[^,]*,){15}UP,1,1,0,/m);
  assert.match(csv, /^alpha,a2,(?:[^,]*,){15}no check,1,0,1,/m);
  assert.match(csv, /^alpha,BACKEND,(?:[^,]*,){15}UP,1,1,1,/m);
  const a1 = csv.split('\n').find((l) => l.startsWith('alpha,a1,'))!.split(',');
  assert.deepEqual([a1[26], a1[27], a1[28], a1[32]], ['1', '1', '1', '2']);
  const beFe = csv.split('\n').find((l) => l.startsWith('beta,FRONTEND,'))!.split(',');
  assert.deepEqual([beFe[27], beFe[28], beFe[32], beFe[17]], ['2', '0', '0', 'OPEN']);
});

test('the 401 page is byte-exact (1.2.14) and the 200 head carries Content-Type', () => {
  assert.equal(
    unauthorizedResponse('HAProxy Statistics').toString('latin1'),
    'HTTP/1.0 401 Unauthorized\r\nCache-Control: no-cache\r\nConnection: close\r\nWWW-Authenticate: Basic realm="HAProxy Statistics"\r\n\r\n<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n',
  );
  assert.equal(okHead('text/html', 0), 'HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n');
  assert.equal(okHead('text/plain', 10), 'HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/plain\r\nRefresh: 10\r\n\r\n');
});

test('URI matching: GET and the prefix only; ;csv, ;norefresh, ;up; the Prometheus URI exactly', () => {
  const sc: StatsConfig = {
    enabled: true,
    uri: '/haproxy?stats',
    realm: 'r',
    auth: [],
    scope: [],
    refreshMs: 0,
    hideVersion: false,
    prometheusUri: '/metrics',
  };
  assert.deepEqual(matchTarget(sc, 'GET', '/haproxy?stats'), { kind: 'page', csv: false, norefresh: false, upOnly: false });
  assert.deepEqual(matchTarget(sc, 'GET', '/haproxy?stats;csv;norefresh'), { kind: 'page', csv: true, norefresh: true, upOnly: false });
  assert.deepEqual(matchTarget(sc, 'GET', '/haproxy?stats;up'), { kind: 'page', csv: false, norefresh: false, upOnly: true });
  assert.deepEqual(matchTarget(sc, 'GET', '/haproxy?statsXYZ'), { kind: 'page', csv: false, norefresh: false, upOnly: false });
  assert.equal(matchTarget(sc, 'POST', '/haproxy?stats'), undefined);
  assert.equal(matchTarget(sc, 'HEAD', '/haproxy?stats'), undefined);
  assert.equal(matchTarget(sc, 'GET', '/haproxy'), undefined);
  assert.equal(matchTarget(sc, 'GET', '/'), undefined);
  assert.deepEqual(matchTarget(sc, 'GET', '/metrics'), { kind: 'prometheus' });
  assert.deepEqual(matchTarget(sc, 'GET', '/metrics?x=1'), { kind: 'prometheus' });
  assert.equal(matchTarget(sc, 'GET', '/metricsX'), undefined);
  // `stats prometheus` alone does not enable the page
  assert.equal(matchTarget({ ...sc, enabled: false }, 'GET', '/haproxy?stats'), undefined);
  assert.deepEqual(matchTarget({ ...sc, enabled: false }, 'GET', '/metrics'), { kind: 'prometheus' });
});

test('Basic auth: any configured account, nothing else', () => {
  const ok = compileAuth([
    { user: 'admin', password: 'pw' },
    { user: 'ops', password: 'a:b' },
  ]);
  const h = (cred: string, scheme = 'Basic') => [`Host: x`, `Authorization: ${scheme} ${Buffer.from(cred, 'latin1').toString('base64')}`];
  assert.equal(ok(h('admin:pw')), true);
  assert.equal(ok(h('ops:a:b')), true);
  assert.equal(ok(h('admin:pw', 'basic')), true);
  assert.equal(ok(h('admin:pW')), false);
  assert.equal(ok(h('admin:pw ')), false);
  assert.equal(ok(h('ops:a')), false);
  assert.equal(ok(h('')), false);
  assert.equal(ok(h('admin:pw', 'Bearer')), false);
  assert.equal(ok(['Authorization: Basic not*base64']), false);
  assert.equal(ok(['X-Authorization: Basic YWRtaW46cHc=']), false);
  assert.equal(ok([]), false);
  assert.equal(ok(['AUTHORIZATION:Basic YWRtaW46cHc=']), true);
});

test('server state texts and colours from the health counter (rise 2, fall 3: 0..4)', () => {
  const s = (state: 'UP' | 'DOWN', checkHealth: number | undefined, o: { maintenance?: boolean; check?: boolean } = {}) =>
    serverState({ state, checkHealth, maintenance: o.maintenance ?? false, config: { check: o.check ?? true, rise: 2, fall: 3 } });
  const table: [ReturnType<typeof s>, string, string, string][] = [
    [s('UP', 4), 'UP', 'UP', 'up'],
    [s('UP', undefined), 'UP', 'UP', 'up'],
    [s('UP', 3), 'UP 2/3', 'UP 2/3 \u2193', 'going-down'],
    [s('UP', 2), 'UP 1/3', 'UP 1/3 \u2193', 'going-down'],
    [s('DOWN', 0), 'DOWN', 'DOWN', 'down'],
    [s('DOWN', 1), 'DOWN 1/2', 'DN 1/2 \u2191', 'going-up'],
    [s('DOWN', undefined), 'DOWN', 'DOWN', 'down'],
    [s('UP', 4, { maintenance: true }), 'MAINT', 'MAINT', 'maint'],
    [s('UP', undefined, { check: false }), 'no check', 'no check', 'no-check'],
  ];
  for (const [got, csv, html, shade] of table) assert.deepEqual(got, { csv, html, shade });
  assert.equal(stateClass(false, 'going-down'), 'active_going_down');
  assert.equal(stateClass(true, 'up'), 'backup_up');
  assert.equal(stateClass(true, 'maint'), 'maintain');
});

test('durations as HAProxy prints them', () => {
  assert.deepEqual([0, 59, 60, 61, 3599, 3600, 86399, 86400, 90061].map(humanDuration), ['0s', '59s', '1m0s', '1m1s', '59m59s', '1h0m', '23h59m', '1d0h', '1d1h']);
});

test('the HTML page is well formed, escapes hostile names, and scopes', () => {
  const rt = runtimeOf(TWO);
  const rows = collectRows(rt.proxies, { processNumber: 1, nowMs: Date.now() });
  const html = renderHtml(rows, {
    version: '1.2.3',
    pid: 42,
    processNumber: 1,
    nbproc: 1,
    uptimeSeconds: 75,
    maxConnections: 2000,
    currentConnections: 0,
    uri: '/s?a&b',
    refreshSeconds: 5,
    norefresh: false,
    generatedAt: new Date(0),
  });
  assert.deepEqual(wellFormednessErrors(html), []);
  assert.ok(html.includes('x&lt;y&amp;z&quot;'));
  const tables = pageTables(html);
  assert.deepEqual(tables.map((t) => t.proxy), ['alpha', 'beta']);
  assert.equal(tables[1]!.rows[1]!.server, 'x<y&z"');
  assert.equal(escapeHtml('<a href="x">&'), '&lt;a href=&quot;x&quot;&gt;&amp;');
  // the checker itself catches breakage
  assert.notDeepEqual(wellFormednessErrors('<html><body><td>x</body></html>'), []);
  assert.notDeepEqual(wellFormednessErrors('<p>a & b</p>'), []);
  assert.notDeepEqual(wellFormednessErrors('<p class=x>a</p>'), []);
  // scope: '.' is the proxy serving the page
  const [alpha, beta] = rt.proxies;
  assert.equal(inScope(['.'], alpha, alpha!), true);
  assert.equal(inScope(['.'], alpha, beta!), false);
  assert.equal(inScope(['beta'], alpha, beta!), true);
  assert.equal(inScope([], alpha, beta!), true);
  assert.deepEqual(
    collectRows(rt.proxies, { processNumber: 1, nowMs: 0, scope: ['.'], self: beta }).map((r) => r.pxname),
    ['beta', 'beta', 'beta'],
  );
});

test('Prometheus text: label values escaped, parseable, one sample per row and counter', () => {
  assert.equal(labelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  const rt = runtimeOf(TWO);
  const rows = collectRows(rt.proxies, { processNumber: 1, nowMs: Date.now() });
  const text = renderPrometheus(rows, { version: '1', processNumber: 1, nbproc: 1, startedMs: 0, nowMs: 1000, currentConnections: 0, maxConnections: 10 });
  assert.ok(text.endsWith('\n'));
  const fams = parsePrometheus(text);
  const sessions = fams.find((f) => f.name === 'haproxy_server_sessions_total')!;
  assert.deepEqual(
    sessions.metrics.map((m) => `${m.labels?.proxy}/${m.labels?.server}`),
    ['alpha/a1', 'alpha/a2', 'beta/x<y&z"'],
  );
  // no family without samples
  for (const f of fams) assert.ok(f.metrics.length > 0, f.name);
});
