// `listen`/`defaults` keywords (spec §5): each with good and bad arguments, file:line in errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProxyConfig } from '../../src/config/model.js';
import { parse, parseError, proxyOf, warningsOf } from '../support/config-helpers.js';

const GOOD: readonly (readonly [string, (p: ProxyConfig) => unknown, unknown])[] = [
  ['', (p) => [p.mode, p.retries, p.connectTimeoutMs, p.clientTimeoutMs, p.serverTimeoutMs, p.graceMs, p.enabled, p.maxconn], ['http', 3, 0, 0, 0, 0, true, undefined]],
  ['mode tcp', (p) => p.mode, 'tcp'],
  ['mode health', (p) => p.mode, 'health'],
  ['bind :8081', (p) => p.binds.map((b) => [b.host, b.port, b.portEnd]), [['127.0.0.1', 8080, 8080], ['0.0.0.0', 8081, 8081]]],
  ['bind *:8081-8083', (p) => p.binds[1], { host: '0.0.0.0', family: 4, port: 8081, portEnd: 8083, place: { file: 'test.cfg', line: 5 } }],
  ['bind :3389,:1494,:5900', (p) => p.binds.slice(1).map((b) => b.port), [3389, 1494, 5900]],
  ['bind 10.0.0.1:80,10.0.0.2:81,10.0.0.3:82,10.0.0.4:83', (p) => p.binds.slice(1).map((b) => `${b.host}:${b.port}`), ['10.0.0.1:80', '10.0.0.2:81', '10.0.0.3:82', '10.0.0.4:83']],
  ['bind [::]:80', (p) => [p.binds[1]?.host, p.binds[1]?.family], ['::', 6]],
  ['bind :::80', (p) => [p.binds[1]?.host, p.binds[1]?.port, p.binds[1]?.family], ['::', 80, 6]],
  ['bind ::1:8081', (p) => [p.binds[1]?.host, p.binds[1]?.port], ['::1', 8081]],
  ['bind localhost:8081', (p) => p.binds[1]?.host, '127.0.0.1'],
  ['bind :1\n bind :2', (p) => p.binds.length, 3],
  ['disabled', (p) => p.enabled, false],
  ['disabled\n enabled', (p) => p.enabled, true],
  ['maxconn 100', (p) => p.maxconn, 100],
  ['fullconn 500', (p) => p.fullconn, 500],
  ['grace 20000', (p) => p.graceMs, 20000],
  ['contimeout 5000', (p) => p.connectTimeoutMs, 5000],
  ['clitimeout 30s', (p) => p.clientTimeoutMs, 30000],
  ['srvtimeout 1m', (p) => p.serverTimeoutMs, 60000],
  ['contimeout 1500us', (p) => p.connectTimeoutMs, 2],
  ['retries 0', (p) => p.retries, 0],
  ['retries 10', (p) => p.retries, 10],
  ['balance', (p) => p.balance, 'roundrobin'],
  ['balance source', (p) => p.balance, 'source'],
  ['dispatch 127.0.0.1:80', (p) => p.dispatch, { host: '127.0.0.1', family: 4, port: { kind: 'absolute', port: 80 } }],
  ['redispatch', (p) => p.options.redispatch, true],
  ['redisp', (p) => p.options.redispatch, true],
  ['option redispatch', (p) => p.options.redispatch, true],
  ['source 10.0.0.5', (p) => p.source, { host: '10.0.0.5', family: 4, port: 0 }],
  ['source 10.0.0.5:1024', (p) => p.source?.port, 1024],
  ['source *', (p) => p.source?.host, '0.0.0.0'],
  ['source 0.0.0.0:0', (p) => p.source, { host: '0.0.0.0', family: 4, port: 0 }],
  ['cookie SERVERID', (p) => p.cookie, { name: 'SERVERID', mode: 'passive', indirect: false, nocache: false, postonly: false }],
  ['cookie SERVERID insert indirect nocache postonly', (p) => p.cookie, { name: 'SERVERID', mode: 'insert', indirect: true, nocache: true, postonly: true }],
  ['cookie JSESSIONID prefix', (p) => p.cookie?.mode, 'prefix'],
  ['cookie JSESSIONID rewrite', (p) => p.cookie?.mode, 'rewrite'],
  ['cookie A insert\n cookie B', (p) => [p.cookie?.name, p.cookie?.mode], ['B', 'insert']],
  ['appsession JSESSIONID len 52 timeout 14400000', (p) => p.appsession, { cookie: 'JSESSIONID', length: 52, timeoutMs: 14400000 }],
  ['capture cookie ASPSESSION len 32', (p) => p.captureCookie, { prefix: 'ASPSESSION', length: 32 }],
  ['capture cookie X len 100', (p) => p.captureCookie?.length, 63],
  ['capture request header Host len 20\n capture request header User-Agent len 8', (p) => p.captureRequestHeaders, [{ name: 'Host', length: 20 }, { name: 'User-Agent', length: 8 }]],
  ['capture response header Server len 10', (p) => p.captureResponseHeaders, [{ name: 'Server', length: 10 }]],
  ['log 127.0.0.1 local0', (p) => p.logs.length, 1],
  ['monitor-net 192.168.1.252/31', (p) => p.monitorNets, [{ address: '192.168.1.252', family: 4, prefixLength: 31 }]],
  ['monitor-net 10.0.0.0/255.255.0.0', (p) => p.monitorNets[0]?.prefixLength, 16],
  ['monitor-net 10.0.0.1', (p) => p.monitorNets[0]?.prefixLength, 32],
  ['monitor-net 10.0.0.1/0', (p) => p.monitorNets, []],
  ['monitor-net 10.0.0.0/8\n monitor-net 10.1.0.0/16', (p) => p.monitorNets.map((n) => n.address), ['10.1.0.0']],
  ['monitor-uri /haproxy_test', (p) => p.monitorUri, '/haproxy_test'],
  ['errorloc 503 http://sorry.example/', (p) => p.errorOverrides.get(503), { kind: 'redirect', status: 302, url: 'http://sorry.example/' }],
  ['errorloc302 502 /err', (p) => p.errorOverrides.get(502), { kind: 'redirect', status: 302, url: '/err' }],
  ['errorloc303 504 /err', (p) => p.errorOverrides.get(504), { kind: 'redirect', status: 303, url: '/err' }],
  ['errorloc 404 /x', (p) => p.errorOverrides.size, 0],
  ['reqadd X-Proxy:\\ tsproxy', (p) => p.requestAdds, ['X-Proxy: tsproxy']],
  ['rspadd X-A:\\ 1\n rspadd X-B:\\ 2', (p) => p.responseAdds, ['X-A: 1', 'X-B: 2']],
  ['stats enable', (p) => p.stats, { enabled: true, uri: '/haproxy?stats', realm: 'HAProxy Statistics', auth: [], scope: [], refreshMs: 0, hideVersion: false, prometheusUri: undefined }],
  ['stats uri /st\n stats realm My\\ Stats\n stats auth admin:se:cret\n stats scope .\n stats scope other\n stats refresh 5\n stats hide-version',
    (p) => p.stats, { enabled: true, uri: '/st', realm: 'My Stats', auth: [{ user: 'admin', password: 'se:cret' }], scope: ['.', 'other'], refreshMs: 5000, hideVersion: true, prometheusUri: undefined }],
  ['stats refresh 10s', (p) => p.stats?.refreshMs, 10000],
  ['stats prometheus /metrics', (p) => [p.stats?.enabled, p.stats?.prometheusUri], [false, '/metrics']],
  ['option httpclose\n option forceclose\n option httplog\n option tcplog\n option dontlognull\n option logasap\n option persist\n option checkcache\n option tcpka\n option clitcpka\n option srvtcpka\n option allbackups\n option abortonclose',
    (p) => Object.entries(p.options).filter(([, v]) => v).map(([k]) => k).sort(),
    ['abortonclose', 'allbackups', 'checkcache', 'clitcpka', 'dontlognull', 'forceclose', 'httpclose', 'httplog', 'logasap', 'persist', 'srvtcpka', 'tcpka', 'tcplog']],
  ['option keepalive', (p) => p.options.keepalive, true],
  ['option ssl-hello-chk', (p) => [p.options.sslHelloChk, p.httpCheck], [true, undefined]],
  ['option httpchk', (p) => p.httpCheck, { method: 'OPTIONS', uri: '/', version: 'HTTP/1.0', request: 'OPTIONS / HTTP/1.0\r\n\r\n' }],
  ['option httpchk /health', (p) => p.httpCheck?.request, 'OPTIONS /health HTTP/1.0\r\n\r\n'],
  ['option httpchk HEAD /index.html', (p) => p.httpCheck?.request, 'HEAD /index.html HTTP/1.0\r\n\r\n'],
  ['option httpchk HEAD /index.html HTTP/1.0', (p) => p.httpCheck?.request, 'HEAD /index.html HTTP/1.0\r\n\r\n'],
  ['option httpchk GET / HTTP/1.1\\r\\nHost:\\ www.example', (p) => p.httpCheck?.request, 'GET / HTTP/1.1\r\nHost: www.example\r\n\r\n'],
  ['option httpchk GET /\\x41 HTTP/1.0', (p) => p.httpCheck?.uri, '/A'],
  ['option ssl-hello-chk\n option httpchk', (p) => [p.options.sslHelloChk, p.httpCheck?.method], [false, 'OPTIONS']],
  ['option forwardfor', (p) => p.forwardFor, { except: undefined }],
  ['option forwardfor except 127.0.0.1', (p) => p.forwardFor, { except: { address: '127.0.0.1', family: 4, prefixLength: 32 } }],
  ['option forwardfor except 10.0.0.0/8', (p) => p.forwardFor?.except?.prefixLength, 8],
  ['option forwardfor except ::1', (p) => p.forwardFor?.except?.family, 6],
];

for (const [body, get, want] of GOOD) {
  test(`listen: '${body.replace(/\n/g, ' / ')}'`, () => {
    assert.deepEqual(get(proxyOf(body)), want);
  });
}

/** Bad lines inside a valid listen section; the line number is 5 (the first body line). */
const BAD: readonly (readonly [string, RegExp, string?])[] = [
  ['frobnicate', /^unknown keyword 'frobnicate' in 'listen' section$/],
  ['mode htttp', /^unknown proxy mode 'htttp'\.$/],
  ['mode', /^unknown proxy mode ''\.$/],
  ['bind', /'bind' expects \[addr1\]:port1\[-end1\]\{,\[addr\]:port\[-end\]\}\.\.\. as arguments\./],
  ['bind 127.0.0.1', /^'bind' expects \[addr1\]:port1\[-end1\]\{,\[addr\]:port\[-end\]\}\.\.\. as arguments\.$/],
  ['bind 127.0.0.1:80,127.0.0.2', /^Missing port number: '127\.0\.0\.2'$/],
  ['bind :0', /^Invalid port '0' specified for address ':0'\.$/],
  ['bind :65536', /Invalid port '65536' specified for address ':65536'/],
  ['bind :80-70', /Invalid port range '80-70'/],
  ['bind :80,', /Invalid server address/],
  ['bind :http', /Invalid port 'http'/],
  ['bind no.such.host:80', /Invalid server name: 'no.such.host'/],
  ['bind 1.2.3:80', /Invalid server name: '1.2.3'/],
  ['bind [::1:80', /Missing port number|Invalid server address/],
  ['maxconn', /'maxconn' expects an integer argument/],
  ['maxconn 0', /strictly positive/],
  ['fullconn x', /'fullconn' expects an integer argument/],
  ['grace', /^'grace' expects a time in milliseconds\.$/],
  ['grace soon', /^'grace' expects a time in milliseconds\.$/],
  ['contimeout', /^'contimeout' expects an integer <time_in_ms> as argument\.$/],
  ['clitimeout 5 s', /'clitimeout' ignores extra argument/, 'warning'],
  ['rsprep ^(.*) a\\xZ1', /^invalid or incomplete '\\x' sequence in 'rsprep'\.$/],
  ['srvtimeout 5x', /'srvtimeout' expects an integer <time_in_ms> as argument \(or a number with a unit/],
  ['retries', /^'retries' expects an integer argument \(dispatch counts for one\)\.$/],
  ['retries -1', /'retries' expects an integer argument/],
  ['balance leastconn', /^'balance' only supports 'roundrobin' and 'source' options\.$/],
  ['dispatch', /^'dispatch' expects <addr:port> as argument\.$/],
  ['dispatch 1.2.3.4:99999', /Invalid port '99999'/],
  ['source', /^'source' expects <addr>\[:<port>\] as argument\.$/],
  ['source 1.2.3.4:x', /Invalid port 'x'/],
  ['cookie', /^'cookie' expects <cookie_name> as argument\.$/],
  ['cookie S insert foo', /^'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache' and 'postonly' options\.$/],
  ['cookie S rewrite indirect', /^cookie 'rewrite' and 'indirect' modes are incompatible\.$/],
  ['cookie S insert prefix', /^cookie 'rewrite', 'insert' and 'prefix' modes are incompatible\.$/],
  ['cookie S rewrite insert', /modes are incompatible/],
  ['appsession J len 52', /^'appsession' expects 'appsession' <cookie_name> 'len' <len> 'timeout' <timeout>\.$/],
  ['appsession J len x timeout 10', /'appsession' expects/],
  ['capture', /^'capture' expects 'cookie' or 'request header' or 'response header'\.$/],
  ['capture cookie X', /^'capture' expects 'cookie' <cookie_name> 'len' <len>\.$/],
  ['capture cookie X len 0', /'capture' expects 'cookie'/],
  ['capture request header Host', /^'capture request' expects 'header' <header_name> 'len' <len>\.$/],
  ['capture response header Host size 3', /^'capture response' expects 'header' <header_name> 'len' <len>\.$/],
  ['capture request cookie X len 3', /'capture' expects/],
  ['option', /^'option' expects an option name\.$/],
  ['option frob', /^unknown option 'frob'\.$/],
  ['option http-server-close', /unknown option 'http-server-close'\. It is a HAProxy 1\.3\+ option/],
  ['option forwardfor if-none', /'option forwardfor' only supports an optional 'except <network>' argument/],
  ['option forwardfor except', /'option forwardfor' only supports/],
  ['option forwardfor except 10.0.0.0/33', /invalid mask '33'/],
  ['option forwardfor except 10.0.0.0/255.0.255.0', /invalid mask/],
  ['option forwardfor except nonsense', /^'option forwardfor except' expects address\[\/mask\]; 'nonsense' is not an IP address\.$/],
  ['log', /'log' expects either <address\[:port\]> and <facility> or 'global' as arguments\./],
  ['log 1.2.3.4 bogus', /^unknown log facility 'bogus'$/],
  ['log 1.1.1.1 local0\n log 1.1.1.1 local1\n log 1.1.1.1 local2', /^too many syslog servers$/, '7'],
  ['monitor-net', /^'monitor-net' expects address\[\/mask\]\.$/],
  ['monitor-net 1.2.3.4/40', /invalid mask '40'/],
  ['monitor-uri', /^'monitor-uri' expects an URI\.$/],
  ['errorloc 503', /^<errorloc> expects <error> and <url> as arguments\.$/],
  ['errorloc x /y', /^<errorloc> expects <error> and <url> as arguments\.$/],
  ['errorloc303', /^<errorloc> expects <error> and <url> as arguments\.$/],
  ['errorfile 503 /nonexistent/tsproxy/503.http', /error message file '\/nonexistent\/tsproxy\/503\.http' cannot be read/],
  ['errorfile 503', /'errorfile' expects <error> and <file> as arguments\./],
  ['stats', /'stats' expects 'uri', 'realm', 'auth', 'scope' or 'enable'/],
  ['stats bogus', /^unknown stats parameter 'bogus' \(expects 'uri', 'realm', 'auth' or 'enable'\)\.$/],
  ['stats uri', /^'uri' needs an URI prefix\.$/],
  ['stats realm', /^'realm' needs an realm name\.$/],
  ['stats auth', /^'auth' needs a user:password account\.$/],
  ['stats auth admin', /^'auth' needs a user:password account\.$/],
  ['stats scope', /^'scope' needs a proxy name\.$/],
  ['stats refresh soon', /'refresh' needs a refresh period/],
  ['stats prometheus metrics', /'prometheus' needs an URI starting with '\/'/],
  ['stats socket /x', /'stats socket' is only allowed in the 'global' section/],
  ['reqadd', /^'reqadd' expects <header> as an argument\.$/],
  ['rspadd', /^'rspadd' expects <header> as an argument\.$/],
  ['reqrep ^x', /^'reqrep' expects <search> and <replace> as arguments\.$/],
  ['reqirep', /'reqirep' expects <search> and <replace> as arguments/],
  ['rsprep', /'rsprep' expects <search> and <replace>/],
  ['cliexp a', /'cliexp' expects <search> and <replace>/],
  ['srvexp', /'srvexp' expects <search> and <replace>/],
  ['reqdel', /^'reqdel' expects <regex> as an argument\.$/],
  ['reqideny', /'reqideny' expects <regex> as an argument/],
  ['rspdeny', /^'rspdeny' expects <search> as an argument\.$/],
  ['rspidel', /^'rspidel' expects <search> as an argument\.$/],
  ['reqdeny (abc', /^bad regular expression '\(abc' : Unmatched \( or \\\(\.$/],
  ['reqrep [abc x', /^bad regular expression '\[abc' : Unmatched \[/],
  ['rspidel *x', /^bad regular expression '\*x' : Invalid preceding regular expression\.$/],
  ['reqpass a{2,1}', /bad regular expression 'a\{2,1\}'/],
  ['reqallow (?=x)', /bad regular expression '\(\?=x\)'/],
  ['reqrep ^(.*) \\1\\', /^invalid character or unterminated sequence in replacement string near '\\'\.$/],
  ['rsprep ^(.*) a\\\\xZ1', /invalid character or unterminated sequence in replacement string near 'x'\./],
  ['server', /^'server' expects <name> and <addr>\[:<port>\] as arguments\.$/],
  ['server s2', /'server' expects <name> and <addr>/],
  ['timeout connect 5s', /^'timeout' is not a legacy keyword \(HAProxy 1\.3\+\)\. Use 'contimeout <ms>' instead of 'timeout connect'\.$/],
  ['timeout client 5s', /Use 'clitimeout <ms>' instead of 'timeout client'/],
  ['timeout server 5s', /Use 'srvtimeout <ms>'/],
  ['timeout check 5s', /Use the server's 'inter' instead/],
  ['timeout tunnel 1h', /Use 'contimeout', 'clitimeout' or 'srvtimeout'/],
  ['acl bad src 1.2.3.4', /^'acl' is not a legacy keyword \(HAProxy 1\.3\+ only\)/],
  ['http-request deny', /'http-request' is not a legacy keyword/],
  ['http-response del-header Server', /'http-response' is not a legacy keyword/],
  ['tcp-request connection reject', /'tcp-request' is not a legacy keyword/],
  ['use_backend b if x', /'use_backend' is not a legacy keyword/],
  ['default_backend b', /'default_backend' is not a legacy keyword/],
  ['block if x', /'block' is not a legacy keyword/],
  ['reqtarpit ^x', /'reqtarpit' is not a legacy keyword/],
  ['reqsetbe ^x b', /'reqsetbe' is not a legacy keyword/],
  ['redirect location /', /'redirect' is not a legacy keyword/],
  ['stick-table type ip size 1m', /'stick-table' is not a legacy keyword/],
  ['stick on src', /'stick' is not a legacy keyword/],
  ['rspallow ^x', /'rspallow' is not a legacy keyword/],
  ['no option httpclose', /^'no' is not a legacy keyword \(HAProxy 1\.3\+ only\); legacy HAProxy cannot clear an option set in 'defaults'/],
];

for (const [body, message, kind] of BAD) {
  test(`listen error: '${body.replace(/\n/g, ' / ')}'`, () => {
    const text = `listen px 127.0.0.1:8080\n  mode http\n  balance roundrobin\n  server s1 127.0.0.1:9001\n  ${body}\n`;
    if (kind === 'warning') {
      const w = parse(text).diagnostics.map((d) => d.message);
      assert.ok(w.some((m) => m.startsWith('parsing [test.cfg:5] : ') && message.test(m)), w.join('\n'));
      return;
    }
    const e = parseError(text);
    assert.equal(e.file, 'test.cfg');
    assert.equal(e.line, kind ? Number(kind) : 5);
    assert.match(e.text, message);
    assert.ok(e.message.startsWith(`parsing [test.cfg:${e.line}] : `));
  });
}

test('listen: reqadd beyond 10 → non-fatal alert, extra ignored', () => {
  const lines = Array.from({ length: 11 }, (_, i) => `reqadd X-H${i}:\\ ${i}`).join('\n ');
  const r = parse(`listen px 127.0.0.1:8080\n mode http\n balance\n server s 1.1.1.1:80\n ${lines}\n`);
  assert.equal(r.config.proxies[0]?.requestAdds.length, 10);
  assert.deepEqual(r.diagnostics.map((d) => [d.severity, d.message]), [['alert', "parsing [test.cfg:15] : too many 'reqadd'. Continuing."]]);
});

test('listen: errorloc for an unsupported code warns and is ignored', () => {
  const w = warningsOf(`listen px 127.0.0.1:8080\n mode http\n balance\n server s 1.1.1.1:80\n errorloc 404 /nf\n`);
  assert.deepEqual(w, ['parsing [test.cfg:5] : error 404 relocation will be ignored.']);
});

test('listen: transparent parses but warns that Node.js cannot honour it', () => {
  for (const line of ['transparent', 'option transparent']) {
    const r = parse(`listen px 127.0.0.1:8080\n mode tcp\n ${line}\n`);
    assert.equal(r.config.proxies[0]?.options.transparent, true);
    assert.ok(r.diagnostics.some((d) => d.message.startsWith('parsing [test.cfg:3] : ') && /not supported.*SO_ORIGINAL_DST/.test(d.message)));
  }
});

test('listen: option keepalive warns that it does nothing', () => {
  assert.ok(warningsOf(`listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n option keepalive\n`).some((m) => /does nothing/.test(m)));
});

test('listen: capture cookie longer than 63 is truncated with the legacy warning', () => {
  assert.ok(warningsOf(`listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n capture cookie X len 64\n`).includes('parsing [test.cfg:3] : truncating capture length to 63 bytes.'));
});

test('listen: a timeout already changed from its defaults value → alert, first kept', () => {
  const r = parse(`listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n contimeout 100\n contimeout 200\n`);
  assert.equal(r.config.proxies[0]?.connectTimeoutMs, 100);
  assert.deepEqual(r.diagnostics.map((d) => d.message), ["parsing [test.cfg:4] : 'contimeout' already specified. Continuing."]);
});

test('listen: legacy timeout quirk: setting the defaults value first, then another works', () => {
  const r = parse(`defaults\n clitimeout 100\nlisten px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n clitimeout 100\n clitimeout 300\n`);
  assert.equal(r.config.proxies[0]?.clientTimeoutMs, 300);
  assert.deepEqual(r.diagnostics, []);
});

test('listen: errorfile reads the file at parse time', () => {
  const r = parse(`listen px 127.0.0.1:8080\n mode http\n balance\n server s 1.1.1.1:80\n errorfile 503 /srv/503.http\n`, {
    readFile: (path) => new TextEncoder().encode(`HTTP/1.0 503 Busy\r\n\r\nfrom ${path}`),
  });
  const o = r.config.proxies[0]?.errorOverrides.get(503);
  assert.equal(o?.kind, 'file');
  assert.equal(o?.kind === 'file' ? new TextDecoder().decode(o.content) : '', 'HTTP/1.0 503 Busy\r\n\r\nfrom /srv/503.http');
});

test('listen: a stats line discards the stats settings inherited from defaults', () => {
  const r = parse(`defaults\n stats auth a:b\n stats uri /d\nlisten px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n stats realm R\nlisten py 127.0.0.1:8081\n dispatch 1.1.1.1:80\n`);
  assert.deepEqual([r.config.proxies[0]?.stats?.uri, r.config.proxies[0]?.stats?.auth, r.config.proxies[0]?.stats?.realm], ['/haproxy?stats', [], 'R']);
  assert.deepEqual([r.config.proxies[1]?.stats?.uri, r.config.proxies[1]?.stats?.auth], ['/d', [{ user: 'a', password: 'b' }]]);
});

test('listen: log global copies the global servers at that line, replacing earlier ones', () => {
  const r = parse(`global\n log 10.0.0.1 local0\n log 10.0.0.2 local1 info\nlisten px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n log 10.0.0.9 local7\n log global\n`);
  assert.deepEqual(r.config.proxies[0]?.logs.map((l) => (l.kind === 'udp' ? l.host : '')), ['10.0.0.1', '10.0.0.2']);
});

test('listen: log global without global servers warns', () => {
  assert.ok(warningsOf(`listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n log global\n`).some((m) => /no 'log' line in the 'global' section/.test(m)));
});

test('listen: a regex escape that means a plain letter in POSIX is pointed out', () => {
  const w = warningsOf(`listen px 127.0.0.1:8080\n mode http\n balance\n server s 1.1.1.1:80\n reqdeny ^GET\\ /\\d\n`);
  assert.ok(w.some((m) => m.startsWith('parsing [test.cfg:5] : ') && /'\\d' means the character 'd'/.test(m)), w.join('\n'));
});

test('listen: replacement with a deprecated escape warns with the legacy text', () => {
  const w = warningsOf(`listen px 127.0.0.1:8080\n mode http\n balance\n server s 1.1.1.1:80\n reqrep ^(.*) \\1\\q\n`);
  assert.ok(w.includes("parsing [test.cfg:5] : '\\q' : deprecated use of a backslash before something not '\\','x' or a digit."), w.join('\n'));
});

test('listen: header rules keep configuration order, side and case flag', () => {
  const p = proxyOf('reqrep ^A(.*) B\\1\n reqidel ^X-Foo\n reqdeny ^Y\n reqiallow ^Z\n reqpass ^P\n reqipass ^Q\n cliexp ^C D\n rsprep ^R S\n rspirep ^RR S2\n rspdel ^D\n rspidel ^DD\n rspdeny ^E\n rspideny ^EE\n srvexp ^F G\n reqideny ^H\n reqallow ^I\n reqirep ^J K\n reqdel ^L');
  // The `i` twins match the lower-case spelling of their (upper-case) pattern.
  const icase = (r: { regex: RegExp }): boolean => r.regex.test(r.regex.source.replace(/[^A-Z-]/g, '').toLowerCase());
  assert.deepEqual(p.requestRules.map((r) => [r.keyword, r.action, icase(r)]), [
    ['reqrep', 'replace', false], ['reqidel', 'delete', true], ['reqdeny', 'deny', false], ['reqiallow', 'allow', true],
    ['reqpass', 'pass', false], ['reqipass', 'pass', true], ['cliexp', 'replace', false], ['reqideny', 'deny', true],
    ['reqallow', 'allow', false], ['reqirep', 'replace', true], ['reqdel', 'delete', false],
  ]);
  assert.deepEqual(p.responseRules.map((r) => [r.keyword, r.action, icase(r)]), [
    ['rsprep', 'replace', false], ['rspirep', 'replace', true], ['rspdel', 'delete', false], ['rspidel', 'delete', true],
    ['rspdeny', 'deny', false], ['rspideny', 'deny', true], ['srvexp', 'replace', false],
  ]);
  assert.deepEqual(p.requestRules[0]?.replacement, ['B', { group: 1 }]);
  assert.deepEqual(p.requestRules[0]?.place, { file: 'test.cfg', line: 5 });
});
