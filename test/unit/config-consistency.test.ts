// Post-parse consistency checks (spec §5.3) with HAProxy's texts, and -c output (cli/check.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Options } from '../../src/cli/args.js';
import { configErrorLines, runCheck } from '../../src/cli/check.js';
import { parse, parseError, warningsOf } from '../support/config-helpers.js';

test('consistency: no listen address', () => {
  const e = parseError('listen webfarm\n dispatch 1.1.1.1:80\n');
  assert.equal(e.message, 'parsing test.cfg : listener webfarm has no listen address. Please either specify a valid address on the <listen> line, or use the <bind> keyword.');
  assert.equal(e.line, 0);
  assert.equal(e.postParse, true);
});

test('consistency: no dispatch, not transparent nor balance (observed text, no line number)', () => {
  const e = parseError('listen webfarm 127.0.0.1:8080\n mode http\n server a 1.1.1.1:80\n');
  assert.equal(e.message, 'parsing test.cfg : listener webfarm has no dispatch address and is not in transparent or balance mode.');
});

test('consistency: transparent + balance', () => {
  assert.equal(parseError('listen px 127.0.0.1:8080\n transparent\n balance\n server a 1.1.1.1:80\n').text, 'listener px cannot use both transparent and balance mode.');
});

test('consistency: cookie without servers in http mode', () => {
  assert.equal(parseError('listen px 127.0.0.1:8080\n mode http\n dispatch 1.1.1.1:80\n cookie S insert\n').text, 'HTTP proxy px has a cookie but no server list !');
});

test('consistency: all errors are collected, the first thrown with the others', () => {
  const e = parseError('listen a\n dispatch 1.1.1.1:80\nlisten b 127.0.0.1:8080\nlisten c 127.0.0.1:8081\n dispatch 1.1.1.1:80\n');
  assert.deepEqual([e.text, ...e.others.map((o) => o.text)], [
    'listener a has no listen address. Please either specify a valid address on the <listen> line, or use the <bind> keyword.',
    'listener b has no dispatch address and is not in transparent or balance mode.',
  ]);
  assert.deepEqual(configErrorLines(e), [
    'parsing test.cfg : listener a has no listen address. Please either specify a valid address on the <listen> line, or use the <bind> keyword.',
    'parsing test.cfg : listener b has no dispatch address and is not in transparent or balance mode.',
    'Errors found in configuration file, aborting.',
    'Error reading configuration file : test.cfg',
  ]);
});

test('consistency: disabled proxies are not checked', () => {
  assert.equal(parse('listen a\n disabled\nlisten b 127.0.0.1:8080\n dispatch 1.1.1.1:80\n').config.proxies.length, 2);
});

test('consistency: mode health needs neither servers nor dispatch', () => {
  assert.deepEqual(parse('listen h 127.0.0.1:8080\n mode health\n').diagnostics, []);
});

const WARNINGS: readonly (readonly [string, string])[] = [
  ['listen px 127.0.0.1:8080\n balance\n dispatch 1.1.1.1:80\n server a 1.1.1.1:80\n', 'parsing test.cfg : dispatch address of listener px will be ignored in balance mode.'],
  ['listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n cookie S\n', 'parsing test.cfg : cookie will be ignored for listener px.'],
  ['listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n server a 1.1.1.1:80\n', 'parsing test.cfg : servers will be ignored for listener px.'],
  ['listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n rspdel ^X\n', 'parsing test.cfg : server regular expressions will be ignored for listener px.'],
  ['listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n reqdel ^X\n', 'parsing test.cfg : client regular expressions will be ignored for listener px.'],
  ['listen px 127.0.0.1:8080\n dispatch 1.1.1.1:80\n monitor-uri /x\n', "parsing test.cfg : 'monitor-uri' will be ignored for listener px (HTTP mode only)."],
  ['listen px 127.0.0.1:8080\n balance\n', 'parsing test.cfg : listener px has no server: every connection will get a 503 (HTTP) or be closed (TCP).'],
  ['listen px 127.0.0.1:8080\n mode http\n balance\n server a 1.1.1.1:80 cookie A\n', "parsing test.cfg : listener px has servers with a 'cookie' value but no 'cookie' line: the values will be ignored."],
];
for (const [text, warning] of WARNINGS) {
  test(`consistency warning: ${warning.slice(18)}`, () => {
    assert.deepEqual(warningsOf(text), [warning]);
  });
}

test('consistency: balance without servers but with stats is a stats-only proxy (1.2.14)', () => {
  assert.deepEqual(warningsOf('listen st 127.0.0.1:8080\n mode http\n balance\n stats enable\n'), []);
});

function options(files: string[], extra: Partial<Options> = {}): Options {
  return {
    configFiles: files, check: true, daemon: false, foreground: false, debug: false, quiet: false, verbose: false,
    noEpoll: false, noPoll: false, pidfile: undefined, maxconn: undefined, defaultMaxconn: undefined, memoryLimitMb: undefined,
    finishPids: [], terminatePids: [], masterWorker: false, systemd: false, logFormat: 'legacy', ...extra,
  };
}

function runOn(text: string, extra: Partial<Options> = {}): { code: number; out: string; err: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'tsproxy-check-'));
  try {
    const f = join(dir, 'h.cfg');
    writeFileSync(f, text);
    let out = '';
    const err: string[] = [];
    const code = runCheck(options([f], extra), { stdout: (t) => (out += t), stderr: (t) => err.push(t) });
    return { code, out: out.replaceAll(f, 'F'), err: err.map((l) => l.replaceAll(f, 'F')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PREFIX = /^\[(ALERT|WARNING)\] \d{3}\/\d{6} \(\d+\) : /;

test('check: a good file prints the legacy line on stdout, exit 0', () => {
  const r = runOn('listen px 127.0.0.1:8080\n dispatch 127.0.0.1:80\n');
  assert.deepEqual([r.code, r.out, r.err], [0, 'Configuration file is valid : F\n', []]);
});

test('check: quiet (-q, -D or the quiet keyword) hides the valid line and warnings; -V shows them', () => {
  const text = 'listen 127.0.0.1:8080\n dispatch 127.0.0.1:80\n';
  assert.deepEqual([runOn(text, { quiet: true }).out, runOn(text, { quiet: true }).err.length], ['', 0]);
  assert.equal(runOn(`global\n quiet\n${text}`).out, '');
  const v = runOn(text, { quiet: true, verbose: true });
  assert.equal(v.out, 'Configuration file is valid : F\n');
  assert.equal(v.err.length, 1);
  assert.match(v.err[0] ?? '', PREFIX);
});

test('check: a bad line prints the alert with file:line then the legacy error line, exit 1', () => {
  const r = runOn('listen px 127.0.0.1:8080\n mode htttp\n');
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.deepEqual(r.err.map((l) => l.replace(PREFIX, '[$1] : ')), [
    "[ALERT] : parsing [F:2] : unknown proxy mode 'htttp'.\n",
    '[ALERT] : Error reading configuration file : F\n',
  ]);
});

test('check: alerts stay visible in quiet mode', () => {
  const r = runOn('global\n quiet\n maxconn 1\n maxconn 2\nlisten px 127.0.0.1:8080\n frob\n');
  assert.equal(r.code, 1);
  assert.equal(r.err.length, 3);
  assert.match(r.err[0] ?? '', /'maxconn' already specified\. Continuing\./);
});

test('check: --log-format json writes JSON lines', () => {
  const r = runOn('listen px 127.0.0.1:8080\n frob\n', { logFormat: 'json' });
  const lines = r.err.join('').trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
  assert.deepEqual(lines.map((l) => l.msg), ["parsing [F:2] : unknown keyword 'frob' in 'listen' section", 'Error reading configuration file : F']);
});
