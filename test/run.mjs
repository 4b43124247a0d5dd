// Runs the compiled tests (dist/test/**/*.test.js) with Node's built-in runner.
// `node test/run.mjs [subdir...]` limits the run to test/<subdir>/.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../dist/test/', import.meta.url).pathname;
const only = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
})(root);
const selected = only.length ? files.filter((f) => only.some((o) => f.startsWith(join(root, o)))) : files;
if (selected.length === 0) {
  console.error('no test files found under', root);
  process.exit(1);
}
const args = ['--test', '--test-concurrency=2', '--test-timeout=120000', ...selected];
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
