// The documentation that ships in the package: docs/README.md indexes every page in docs/, and
// the links of the index, the getting-started guide and the HA guide point at files that exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCS = join(ROOT, 'docs');

function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const m of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1] ?? '';
    if (/^[a-z]+:/.test(target) || target.startsWith('#')) continue;
    links.push(target.replace(/#.*$/, ''));
  }
  return links;
}

test('docs/README.md links every page of docs/', () => {
  const index = readFileSync(join(DOCS, 'README.md'), 'utf8');
  const linked = new Set(relativeLinks(index));
  for (const page of readdirSync(DOCS).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
    assert.ok(linked.has(page), `docs/README.md links ${page}`);
  }
  assert.ok(linked.has('tsproxy.1'), 'the man page is indexed');
});

test('every shipped example configuration is listed in docs/README.md', () => {
  const index = readFileSync(join(DOCS, 'README.md'), 'utf8');
  for (const cfg of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.cfg'))) {
    assert.ok(index.includes(`examples/${cfg}`), `docs/README.md lists examples/${cfg}`);
  }
});

for (const page of ['README.md', 'getting-started.md', 'high-availability.md']) {
  test(`the links of docs/${page} resolve`, () => {
    const text = readFileSync(join(DOCS, page), 'utf8');
    const missing = relativeLinks(text).filter((link) => !existsSync(join(dirname(join(DOCS, page)), link)));
    assert.deepEqual(missing, [], `docs/${page} links to files that do not exist`);
  });
}
