// Broken configurations through the real executable: exit 1, alerts naming file, line and
// keyword in HAProxy's format, then `Error reading configuration file : <file>`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runTsproxy, STDERR_PREFIX } from '../support/config-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tsproxy-e2e-cfg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OK = 'listen webfarm 127.0.0.1:8080\n  mode http\n  balance roundrobin\n  server webA 127.0.0.1:9001 cookie A check\n';

/** [name, file text, expected alert lines (after the prefix, F = the file)]. */
const CASES: readonly (readonly [string, string, readonly string[]])[] = [
  ['unknown keyword in listen', `${OK}  frobnicate\n`, ["parsing [F:5] : unknown keyword 'frobnicate' in 'listen' section"]],
  ['unknown keyword in global', `global\n  frobnicate\n${OK}`, ["parsing [F:2] : unknown keyword 'frobnicate' in 'global' section"]],
  ['unknown option', `${OK}  option frob\n`, ["parsing [F:5] : unknown option 'frob'."]],
  ['keyword out of section', `mode http\n${OK}`, ["parsing [F:1] : unknown keyword 'mode' out of section."]],
  ['bad mode', 'listen webfarm 127.0.0.1:8080\n  mode htttp\n', ["parsing [F:2] : unknown proxy mode 'htttp'."]],
  ['bad cookie option', `${OK}  cookie SERVERID insert sticky\n`, ["parsing [F:5] : 'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache' and 'postonly' options."]],
  ['server without address', `${OK}  server webB\n`, ["parsing [F:5] : 'server' expects <name> and <addr>[:<port>] as arguments."]],
  ['bad regex', `${OK}  reqideny ^(GET\n`, ["parsing [F:5] : bad regular expression '^(GET' : Unmatched ( or \\(."]],
  ['modern timeout', `${OK}  timeout connect 5s\n`, ["parsing [F:5] : 'timeout' is not a legacy keyword (HAProxy 1.3+). Use 'contimeout <ms>' instead of 'timeout connect'."]],
  ['modern frontend', `frontend web\n  bind :80\n`, ["parsing [F:1] : 'frontend' sections do not exist in legacy HAProxy (1.3+ only): use a 'listen' section."]],
  ['bad \\x escape', `${OK}  rspadd X-A:\\x4\n`, ["parsing [F:5] : invalid or incomplete '\\x' sequence in 'rspadd'."]],
  ['no balance, no dispatch (observed: no line number)', 'listen webfarm 127.0.0.1:8080\n  mode http\n  server webA 127.0.0.1:9001\n',
    ['parsing F : listener webfarm has no dispatch address and is not in transparent or balance mode.', 'Errors found in configuration file, aborting.']],
  ['no listen section', 'global\n  daemon\n', ['parsing F : no <listen> line. Nothing to do !']],
  ['non-fatal alert then a fatal error', `global\n  maxconn 10\n  maxconn 20\n${OK}  balance leastconn\n`,
    ["parsing [F:3] : 'maxconn' already specified. Continuing.", "parsing [F:8] : 'balance' only supports 'roundrobin' and 'source' options."]],
];

let n = 0;
for (const [name, text, alerts] of CASES) {
  test(`tsproxy -c on a broken config: ${name}`, () => {
    const file = join(dir, `broken-${n++}.cfg`);
    writeFileSync(file, text);
    const r = runTsproxy(['-c', '-f', file]);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    for (const l of lines) assert.match(l, STDERR_PREFIX);
    assert.deepEqual(
      lines.map((l) => l.replace(STDERR_PREFIX, '').replaceAll(file, 'F')),
      [...alerts, 'Error reading configuration file : F'],
    );
    assert.ok(lines.every((l) => l.startsWith('[ALERT]')));
  });
}

test('tsproxy -c on a missing file: exit 1 naming it', () => {
  const file = join(dir, 'missing.cfg');
  const r = runTsproxy(['-c', '-f', file]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot open configuration file '.*missing\.cfg' : No such file or directory\./);
  assert.match(r.stderr, /Error reading configuration file : .*missing\.cfg\n$/);
});

test('tsproxy -c with several -f: the error names the file that has it', () => {
  const a = join(dir, 'multi-a.cfg');
  const b = join(dir, 'multi-b.cfg');
  writeFileSync(a, 'defaults\n  mode http\n');
  writeFileSync(b, 'listen x 127.0.0.1:8080\n  balance\n  frob\n');
  const r = runTsproxy(['-c', '-f', a, '-f', b]);
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(`parsing [${b}:3] : unknown keyword 'frob' in 'listen' section`), r.stderr);
  assert.ok(r.stderr.includes(`Error reading configuration file : ${b}`));
});

test('the run path refuses a broken config the same way (no -c)', () => {
  const file = join(dir, 'run-broken.cfg');
  writeFileSync(file, `${OK}  frobnicate\n`);
  const r = runTsproxy(['-f', file]);
  assert.equal(r.status, 1);
  assert.ok(r.stderr.includes(`parsing [${file}:5] : unknown keyword 'frobnicate' in 'listen' section`), r.stderr);
  assert.ok(r.stderr.includes(`Error reading configuration file : ${file}`), r.stderr);
});
