// Bounded fuzzing of the tokenizer, regex translation and parser with random and mutated
// inputs (seeded, reproducible): no crash, no hang, every failure a ConfigError with a place.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { parseConfigText } from '../../src/config/parser.js';
import { compilePosixRegex, RegexSyntaxError } from '../../src/config/regex.js';
import { parseReplacement, ReplacementSyntaxError } from '../../src/config/replacement.js';
import { fakeResolver } from '../support/config-helpers.js';
import { ROOT } from '../support/config-cli.js';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const examples = ['examples', join('examples', 'loopback')].flatMap((d) =>
  readdirSync(join(ROOT, d)).filter((f) => f.endsWith('.cfg')).map((f) => readFileSync(join(ROOT, d, f), 'latin1')),
);

const WORDS = [
  'global', 'defaults', 'listen', 'bind', 'mode', 'http', 'tcp', 'health', 'balance', 'roundrobin', 'source', 'server', 'cookie',
  'insert', 'prefix', 'rewrite', 'indirect', 'nocache', 'check', 'inter', 'rise', 'fall', 'port', 'backup', 'weight', 'maxconn',
  'option', 'httpchk', 'forwardfor', 'except', 'log', 'global', 'local0', 'reqrep', 'reqideny', 'rspadd', 'reqadd', 'capture',
  'request', 'response', 'header', 'len', 'stats', 'enable', 'uri', 'auth', 'errorloc', 'errorfile', 'monitor-net', 'appsession',
  'timeout', 'dispatch', 'contimeout', 'clitimeout', 'transparent', 'disabled', 'redispatch', 'grace', '127.0.0.1:8080', ':80',
  '10.0.0.1', '[::1]:80', '*:81-83', '0', '65536', '-1', 'x', '^(.*)$', '[[:alpha:]]', '\\1', '\\x41', '\\', '#', '\\ ', '(', ')',
  '[', '{2,1}', '*', 'a|b', 'localhost', 'unknown.example', 'user', 'chroot', 'pidfile', 'ulimit-n', 'nbproc', 'daemon',
];
const CHARS = ' \t\\#\r\n:,-*[](){}^$|?+.0123456789abcxyzABC/\'"\x00\xe9\xff';

function mutate(text: string, rnd: () => number): string {
  let s = text;
  const ops = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < ops; k++) {
    const pos = Math.floor(rnd() * (s.length + 1));
    switch (Math.floor(rnd() * 6)) {
      case 0: s = s.slice(0, pos) + CHARS[Math.floor(rnd() * CHARS.length)] + s.slice(pos); break;
      case 1: s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(rnd() * 8)); break;
      case 2: s = s.slice(0, pos) + ' ' + WORDS[Math.floor(rnd() * WORDS.length)] + ' ' + s.slice(pos); break;
      case 3: {
        const lines = s.split('\n');
        const i = Math.floor(rnd() * lines.length);
        lines.splice(Math.floor(rnd() * lines.length), 0, lines[i] ?? '');
        s = lines.join('\n');
        break;
      }
      case 4: {
        const lines = s.split('\n');
        lines.splice(Math.floor(rnd() * lines.length), 1);
        s = lines.join('\n');
        break;
      }
      default: s = s.slice(0, pos) + '\n' + s.slice(pos);
    }
  }
  return s;
}

function soup(rnd: () => number): string {
  const lines: string[] = [];
  const n = 1 + Math.floor(rnd() * 12);
  for (let i = 0; i < n; i++) {
    const words: string[] = [];
    const m = Math.floor(rnd() * 7);
    for (let j = 0; j < m; j++) words.push(rnd() < 0.8 ? (WORDS[Math.floor(rnd() * WORDS.length)] as string) : CHARS[Math.floor(rnd() * CHARS.length)] as string);
    lines.push((rnd() < 0.5 ? '  ' : '') + words.join(rnd() < 0.9 ? ' ' : '\t'));
  }
  return lines.join('\n');
}

function checkOne(text: string): 'ok' | 'error' {
  try {
    const r = parseConfigText(text, 'fuzz.cfg', { resolveHost: fakeResolver, readFile: () => { throw new Error('no file in fuzz'); } });
    assert.ok(r.config.proxies.length > 0);
    return 'ok';
  } catch (e) {
    if (!(e instanceof ConfigError)) {
      assert.fail(`not a ConfigError (${String(e)}) for input:\n${JSON.stringify(text)}`);
    }
    assert.equal(e.file, 'fuzz.cfg');
    assert.ok(e.line > 0 || e.postParse, `error without a line: ${e.message}\n${JSON.stringify(text)}`);
    assert.ok(e.line <= text.split('\n').length, `line ${e.line} past the end`);
    assert.ok(e.message.startsWith('parsing '));
    return 'error';
  }
}

test('fuzz: 1,500 mutated examples and 500 random token soups', () => {
  const rnd = prng(20261125);
  const counts = { ok: 0, error: 0 };
  for (let i = 0; i < 1500; i++) counts[checkOne(mutate(examples[i % examples.length] as string, rnd))]++;
  for (let i = 0; i < 500; i++) counts[checkOne(soup(rnd))]++;
  // Both outcomes must occur, or the fuzzer is not exercising anything.
  assert.ok(counts.ok > 50 && counts.error > 50, JSON.stringify(counts));
});

test('fuzz: 3,000 random POSIX patterns and replacement strings translate or fail cleanly', () => {
  const rnd = prng(42);
  const META = '^$.[]()|*+?{}\\-:=,abcAZ019 \t\xe9';
  let compiled = 0;
  for (let i = 0; i < 3000; i++) {
    let p = '';
    const len = Math.floor(rnd() * 14);
    for (let j = 0; j < len; j++) p += rnd() < 0.1 ? ['[:alpha:]', '[=a=]', '[.-.]', '{1,3}', '\\1'][Math.floor(rnd() * 5)] : META[Math.floor(rnd() * META.length)];
    try {
      const { regex } = compilePosixRegex(p, rnd() < 0.5);
      regex.exec('GET /index.html HTTP/1.0 Host: a-b.c AZ 019');
      compiled++;
    } catch (e) {
      assert.ok(e instanceof RegexSyntaxError, `pattern ${JSON.stringify(p)} threw ${String(e)}`);
    }
    try {
      parseReplacement(p);
    } catch (e) {
      assert.ok(e instanceof ReplacementSyntaxError, `replacement ${JSON.stringify(p)} threw ${String(e)}`);
    }
  }
  assert.ok(compiled > 300, `only ${compiled} patterns compiled`);
});
