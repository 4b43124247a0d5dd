// The legacy lexer (spec §3.1), case by case.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/errors.js';
import { splitLines, tokenizeLine } from '../../src/config/tokenizer.js';

const place = { file: 't.cfg', line: 7 };

const CASES: readonly (readonly [string, string, readonly string[]])[] = [
  ['words separated by spaces', 'a b  c', ['a', 'b', 'c']],
  ['leading white space skipped', ' \t  mode http', ['mode', 'http']],
  ['tabs, vertical tab and form feed separate', 'a\tb\x0bc\x0cd', ['a', 'b', 'c', 'd']],
  ['empty line', '', []],
  ['blank line', '   \t ', []],
  ['comment-only line', '# a comment', []],
  ['comment after words', 'mode http # a comment', ['mode', 'http']],
  ['comment inside a word', 'mode ht#tp', ['mode', 'ht']],
  ['escaped space joins words', 'stats realm Haproxy\\ Statistics', ['stats', 'realm', 'Haproxy Statistics']],
  ['escaped backslash', 'a\\\\b', ['a\\b']],
  ['escaped hash is not a comment', 'a\\#b c', ['a#b', 'c']],
  ['\\r \\n \\t escapes', 'x\\r\\n\\ty', ['x\r\n\ty']],
  ['\\xHH byte, lower and upper case hex', 'a\\x41\\x7a\\x7A', ['aAzz']],
  ['\\x00 is a NUL character', '\\x00', ['\x00']],
  ['\\xHH above 0x7f', '\\xe9', ['\xe9']],
  ['other escapes are kept as two characters', 'reqrep ^Host:\\.\\1 \\d', ['reqrep', '^Host:\\.\\1', '\\d']],
  ['capital \\X is not the hex escape', '\\X41', ['\\X41']],
  ['quotes are ordinary characters', '"a b"', ['"a', 'b"']],
  ["single quotes too", "'x'", ["'x'"]],
  ['CR ends the line (CRLF files)', 'mode http\r', ['mode', 'http']],
  ['text after a CR is ignored', 'a\rb c', ['a']],
  ['trailing backslash is kept', 'a\\', ['a\\']],
  ['backslash before a tab is kept and the tab separates', 'a\\\tb', ['a\\', 'b']],
  ['escaped space at the start of a word', '\\ a', [' a']],
  ['a word made only of an escaped space', 'x \\  y', ['x', ' ', 'y']],
  ['8-bit characters pass unchanged', 'caf\xe9 \xff', ['caf\xe9', '\xff']],
  ['no line continuation', 'a \\', ['a', '\\']],
];

for (const [name, line, words] of CASES) {
  test(`tokenizer: ${name}`, () => {
    assert.deepEqual(tokenizeLine(line, place), words);
  });
}

const BAD_X: readonly string[] = ['\\x', '\\x4', 'a\\x4g', '\\xZZ', 'reqadd X-A:\\x1'];
for (const line of BAD_X) {
  test(`tokenizer: invalid \\x sequence in ${JSON.stringify(line)} is fatal with its place`, () => {
    assert.throws(
      () => tokenizeLine(line, place),
      (e: unknown) => e instanceof ConfigError && e.line === 7 && e.file === 't.cfg' && /invalid or incomplete '\\x' sequence/.test(e.text),
    );
  });
}

test('tokenizer: no line length limit (legacy split at 255 characters)', () => {
  const long = 'x'.repeat(100_000);
  assert.deepEqual(tokenizeLine(`reqadd X-Long:${long}`, place), ['reqadd', `X-Long:${long}`]);
});

test('tokenizer: no word count limit (legacy ignored words past the 40th)', () => {
  const words = Array.from({ length: 100 }, (_, i) => `w${i}`);
  assert.deepEqual(tokenizeLine(words.join(' '), place), words);
});

test('splitLines: LF separates, a final newline adds no line, CRLF leaves the CR for the tokenizer', () => {
  assert.deepEqual(splitLines('a\nb\n'), ['a', 'b']);
  assert.deepEqual(splitLines('a\r\nb'), ['a\r', 'b']);
  assert.deepEqual(splitLines(''), []);
  assert.deepEqual(splitLines('\n\n'), ['', '']);
});
