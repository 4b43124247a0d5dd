// POSIX ERE → JavaScript translation (spec §9.3) and replacement strings: what matches what.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compilePosixRegex, posixToJs, RegexSyntaxError } from '../../src/config/regex.js';
import { parseReplacement, ReplacementSyntaxError } from '../../src/config/replacement.js';

/** [POSIX pattern, case-insensitive, subject, expected match (whole match) or null]. */
const MATCHES: readonly (readonly [string, boolean, string, string | null])[] = [
  ['^Host:\\ ', false, 'Host: a', 'Host: '], // `\<space>` is a literal space
  ['^Host: ', false, 'Host: a', 'Host: '],
  ['^host: ', false, 'Host: a', null],
  ['^host: ', true, 'Host: a', 'Host: '],
  ['^[^:\\ ]*[\\ ]*$', false, 'GET / HTTP/1.0', null],
  ['^[^: ]*[ ]*$', false, 'GARBAGE', 'GARBAGE'],
  ['^[^: ]*[ ]*$', false, 'Host: x', null],
  // Inside brackets a backslash is an ordinary character.
  ['[\\.]', false, 'a\\b', '\\'],
  ['[\\.]', false, 'a.b', '.'],
  ['[\\d]', false, 'd', 'd'],
  ['[\\d]', false, '5', null],
  // Outside brackets `\c` is the literal c (glibc): `\d` is the letter d, `\.` a dot.
  ['\\d', false, '5', null],
  ['\\d', false, 'd', 'd'],
  ['a\\.b', false, 'axb', null],
  ['a\\.b', false, 'a.b', 'a.b'],
  ['\\(x\\)', false, '(x)', '(x)'],
  // Character classes.
  ['^[[:alpha:]]+', false, 'abcDEF12', 'abcDEF'],
  ['^[[:digit:][:space:]]+', false, '12 3x', '12 3'],
  ['[[:upper:]]', false, 'abc', null],
  ['[[:upper:]]', true, 'abc', 'a'],
  ['^[[:alnum:]_-]+$', false, 'X-Forwarded_For2', 'X-Forwarded_For2'],
  ['[[:punct:]]', false, 'ab;c', ';'],
  ['[[:xdigit:]]+', false, 'zz0aFg', '0aF'],
  ['[[:blank:]]', false, 'a\tb', '\t'],
  ['[[:cntrl:]]', false, 'a\x01b', '\x01'],
  ['^[[:print:]]+$', false, 'ab c~', 'ab c~'],
  ['^[[:graph:]]+', false, 'ab c', 'ab'],
  ['[[=a=]]', false, 'bab', 'a'],
  ['[[.-.]a]', false, 'x-', '-'],
  // `]` first in a bracket is literal; `-` first or last is literal.
  ['[]a]+', false, 'x]a]', ']a]'],
  ['[^]a]+', false, ']a]xyz', 'xyz'],
  ['[a-]+', false, 'x-a-', '-a-'],
  ['[-a]+', false, 'x-a-', '-a-'],
  // `.` matches any character, newline included.
  ['a.b', false, 'a\nb', 'a\nb'],
  // Repetitions of repetitions are not JS lazy quantifiers.
  ['a+?', false, 'aaa', 'aaa'],
  ['a**', false, 'aaa', 'aaa'],
  ['(ab)+?c', false, 'ababc', 'ababc'],
  ['a{2}', false, 'aaaa', 'aa'],
  ['a{2,}', false, 'aaaa', 'aaaa'],
  ['a{,2}b', false, 'aaab', 'aab'],
  ['^(a|ab)(c|bcd)(d*)$', false, 'abcd', 'abcd'],
  // An unmatched `)` is an ordinary character.
  ['a)', false, 'xa)', 'a)'],
  // Back-references.
  ['^(a+)-\\1$', false, 'aa-aa', 'aa-aa'],
  ['^(a+)-\\1$', false, 'aa-a', null],
  // GNU extensions glibc knows.
  ['\\<Host\\>', false, 'X Host y', 'Host'],
  ['\\<Host\\>', false, 'XHost', null],
  ['\\bfoo\\b', false, 'a foo b', 'foo'],
  ['\\w+', false, '--ab_1--', 'ab_1'],
  ['\\s', false, 'a\xa0b c', ' '],
  ['\\S+', false, '  ab ', 'ab'],
  // JS syntax that is plain text in POSIX or rejected.
  ['a/b', false, 'a/b', 'a/b'],
  ['\\k<x>', false, 'k<x>', 'k<x>'],
  ['^$', false, '', ''],
  ['x|', false, 'abc', ''],
  ['()', false, 'a', ''],
  // REG_ICASE in the C locale folds ASCII letters only, in brackets and ranges too.
  ['\xe9', true, '\xc9', null],
  ['[a-c]+', true, 'xABCa', 'ABCa'],
  ['[^a]', true, 'Ab', 'b'],
  ['[B-c]+', true, 'x[bCcB', 'bCcB'],
  ['[A-z]+', true, '[aZ_', 'aZ'],
  ['[[:lower:]]+', true, '1aB', 'aB'],
  ['^(a)\\1$', true, 'aA', 'aA'],
  ['^(a)\\1$', false, 'aA', null],
  // 8-bit characters.
  ['\xe9', false, 'caf\xe9', '\xe9'],
  ['[\xe0-\xff]+', false, 'ab\xe9\xff', '\xe9\xff'],
];

for (const [pattern, icase, subject, want] of MATCHES) {
  test(`regex: /${pattern}/${icase ? 'i' : ''} on ${JSON.stringify(subject)}`, () => {
    const { regex } = compilePosixRegex(pattern, icase);
    const m = regex.exec(subject);
    assert.equal(m ? m[0] : null, want, `translated to ${regex.source}`);
  });
}

const ERRORS: readonly (readonly [string, RegExp])[] = [
  ['(abc', /Unmatched \( or \\\(/],
  ['[abc', /Unmatched \[/],
  ['[[:alpha:]', /Unmatched \[/],
  ['[[:foo:]]', /Invalid character class name 'foo'/],
  ['[z-a]', /Invalid range end/],
  ['[[.ab.]]', /Invalid collation character/],
  ['*a', /Invalid preceding regular expression/],
  ['a|*b', /Invalid preceding regular expression/],
  ['(*a)', /Invalid preceding regular expression/],
  ['^*', /Invalid preceding regular expression/],
  ['(?=x)', /Invalid preceding regular expression/],
  ['(?<n>x)', /Invalid preceding regular expression/],
  ['a{', /Invalid content of \\\{\\\}/],
  ['a{x}', /Invalid content of/],
  ['a{3,2}', /Invalid content of/],
  ['a{99999}', /Regular expression too big/],
  ['{1}', /Invalid preceding regular expression/],
  ['\\1(a)', /Invalid back reference/],
  ['(a\\1)', /Invalid back reference/],
  ['a\\', /Trailing backslash/],
];
for (const [pattern, message] of ERRORS) {
  test(`regex error: ${JSON.stringify(pattern)}`, () => {
    assert.throws(() => compilePosixRegex(pattern, false), (e: unknown) => e instanceof RegexSyntaxError && message.test(e.message));
  });
}

test('regex: with REG_ICASE, range ends are read upper-cased as glibc does ([X-b] is invalid)', () => {
  assert.throws(() => compilePosixRegex('[X-b]', true), (e: unknown) => e instanceof RegexSyntaxError && /Invalid range end/.test(e.message));
  assert.doesNotThrow(() => compilePosixRegex('[X-b]', false));
});

test('regex: compiled without the g flag, so a shared RegExp keeps no state between lines', () => {
  const { regex } = compilePosixRegex('^X-', true);
  assert.equal(regex.global, false);
  assert.equal(regex.sticky, false);
  assert.ok(regex.test('x-a'));
  assert.ok(regex.test('X-b'));
});

const REPLACEMENTS: readonly (readonly [string, readonly unknown[], number])[] = [
  ['Host: \\1', ['Host: ', { group: 1 }], 0],
  ['\\0', [{ group: 0 }], 0],
  ['a\\9b', ['a', { group: 9 }, 'b'], 0],
  ['\\x41\\x7a', ['Az'], 0],
  ['a\\\\b', ['a\\b'], 0],
  ['a\\qb', ['aqb'], 1],
  ['', [], 0],
  ['plain', ['plain'], 0],
  ['\\1\\2', [{ group: 1 }, { group: 2 }], 0],
];
for (const [text, parts, warnings] of REPLACEMENTS) {
  test(`replacement: ${JSON.stringify(text)}`, () => {
    const r = parseReplacement(text);
    assert.deepEqual(r.parts, parts);
    assert.equal(r.warnings.length, warnings);
  });
}

for (const [text, near] of [['a\\', '\\'], ['\\x4', 'x'], ['\\xg0', 'x']] as const) {
  test(`replacement error: ${JSON.stringify(text)}`, () => {
    assert.throws(() => parseReplacement(text), (e: unknown) => e instanceof ReplacementSyntaxError && e.message === `invalid character or unterminated sequence in replacement string near '${near}'.`);
  });
}

test('regex: repetition nesting and engine eligibility are reported', () => {
  assert.deepEqual([posixToJs('^(a+)+$').nestedRepetition, posixToJs('^(a+)+$').backtrackingOnly], [true, false]);
  assert.deepEqual([posixToJs('^[^: ]*[ ]*$').nestedRepetition, posixToJs('a**').nestedRepetition], [false, true]);
  assert.deepEqual([posixToJs('((a)b+)c').nestedRepetition, posixToJs('((ab+))*').nestedRepetition], [false, true]);
  assert.equal(posixToJs('(a)\\1').backtrackingOnly, true);
  assert.equal(posixToJs('\\<a').backtrackingOnly, true);
  assert.equal(posixToJs('ab', true).needsIgnoreCaseFlag, false);
  assert.equal(posixToJs('(a)\\1', true).needsIgnoreCaseFlag, true);
  assert.ok(compilePosixRegex('^(a+)+\\1$', false).notes.some((n) => /exponential time/.test(n)));
  assert.deepEqual(compilePosixRegex('^(a+)+$', false).notes, []);
});

test('regex: with the linear-time fallback, a hostile line cannot stall a rule like ^(a+)+$', () => {
  // In a child process bounded by a timeout: without the fallback this match takes hours.
  const regexModule = fileURLToPath(new URL('../../src/config/regex.js', import.meta.url));
  const script = `
    const m = await import(${JSON.stringify('file://' + regexModule)});
    m.enableLinearRegexFallback();
    const { regex } = m.compilePosixRegex('^(a+)+$', true);
    process.stdout.write(String(regex.test('a'.repeat(40) + 'b')) + ' ' + String(regex.test('A'.repeat(40))));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'false true');
});
