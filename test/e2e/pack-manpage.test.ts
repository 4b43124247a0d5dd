// The man page shipped in the package (docs/tsproxy.1) is generated from the option table that
// `tsproxy --help` and the argument parser use (src/cli/args.ts) by scripts/gen-man.mjs: it must
// be current, and name every option the program accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/args.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test('docs/tsproxy.1 is generated from the current option table', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-man.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('the man page names every command-line option', () => {
  const page = readFileSync(join(ROOT, 'docs', 'tsproxy.1'), 'utf8');
  for (const option of buildProgram().options) {
    const legacy = /^(-[A-Za-z]+): /.exec(option.description)?.[1] ?? option.long ?? '';
    assert.ok(page.includes(`.B ${legacy.replace(/-/g, '\\-')}`), `the man page documents ${legacy}`);
  }
  for (const flag of ['-v', '--help']) assert.ok(page.includes(`.B ${flag.replace(/-/g, '\\-')}`), flag);
});
