// Differential test of the POSIX → JavaScript regex translation against glibc itself (the regex
// engine of legacy HAProxy on Linux): same verdict (error or not), same whole match.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePosixRegex } from '../../src/config/regex.js';
import { glibcRegex } from '../support/config-glibc-regex.js';

const CASES: readonly (readonly [string, boolean, string])[] = [
  ['^Host: ', false, 'Host: a'], ['^host: ', true, 'Host: a'], ['[\\.]', false, 'a\\b'], ['[\\d]', false, 'd'], ['\\d', false, '5'], ['\\d', false, 'd'],
  ['a\\.b', false, 'a.b'], ['^[[:alpha:]]+', false, 'abcDEF12'], ['[[=a=]]', false, 'bab'], ['[[.-.]a]', false, 'x-'], ['[]a]+', false, 'x]a]'],
  ['[^]a]+', false, ']a]xyz'], ['a.b', false, 'a\nb'], ['a+?', false, 'aaa'], ['a**', false, 'aaa'], ['(ab)+?c', false, 'ababc'], ['a{,2}b', false, 'aaab'],
  ['a)', false, 'xa)'], ['^(a+)-\\1$', false, 'aa-aa'], ['^(a+)-\\1$', false, 'aa-a'], ['\\<Host\\>', false, 'X Host y'], ['\\<Host\\>', false, 'XHost'],
  ['\\w+', false, '--ab_1--'], ['\\s', false, 'a\xa0b c'], ['\\k<x>', false, 'k<x>'], ['x|', false, 'abc'], ['()', false, 'a'], ['(a|ab)(c|bcd)(d*)', false, 'abcd'],
  ['(abc', false, ''], ['*a', false, 'a'], ['a|*b', false, 'b'], ['(*a)', false, 'a'], ['^*', false, '*'], ['(?=x)', false, 'x'], ['a{', false, 'a{'],
  ['a{x}', false, 'a{x}'], ['{1}', false, '{1}'], ['\\1(a)', false, 'aa'], ['a\\', false, 'a'], ['[z-a]', false, 'a'], ['a{3,2}', false, 'aaa'],
  ['\\S+', false, '  ab '], ['a\\{2\\}', false, 'a{2}'], ['[a-]+', false, 'x-a-'], ['\\bfoo\\b', false, 'a foo b'], ['\\(x\\)', false, '(x)'],
  ['^[^:\\ ]*[\\ ]*$', false, 'GARBAGE'], ['^[^:\\ ]*[\\ ]*$', false, 'GET / HTTP/1.0'], ['[[:upper:]]', true, 'abc'], ['a?*', false, 'aa'], ['a*+', false, 'aaa'],
  ['(a*)+$', false, 'aab'], ['\\`a', false, 'ba'], ["a\\'", false, 'ab'], ['[[:alpha:]-z]', false, '-'], ['a{1}{2}', false, 'aaaa'], ['^$', false, ''],
  ['$a', false, 'a'], ['a^', false, 'a'], ['x{0}', false, 'y'], ['[a\\]]+', false, 'a]'], ['(^a)', false, 'a'], ['a|b)', false, 'b)'], ['\\.*', false, '...'],
  ['^Cookie:.*SERVERID=([^;]*)', true, 'cookie: a=1; SERVERID=B; c=2'], ['^(GET|HEAD) /admin', false, 'HEAD /admin/x HTTP/1.0'],
  ['^X-Forwarded-For:', true, 'x-forwarded-for: 1.2.3.4'], ['[[:space:]]+$', false, 'abc \t'], ['^[A-Z]+ [^ ]* HTTP/1\\.[01]$', false, 'GET /a HTTP/1.1'],
  ['\xe9', true, '\xc9'], ['[a-c]+', true, 'xABCa'], ['[^a]', true, 'Ab'], ['[X-b]+', true, '!xyzAB[]'], ['[B-c]+', true, 'x[bCcB'], ['[A-z]+', true, '[aZ_'], ['[A-z]+', false, '[aZ_'], ['[[:lower:]]+', true, '1aB'],
  ['^(a)\\1$', true, 'aA'], ['HOST', true, 'host: x'],
  ['[[:digit:]]{3,}', false, 'ab12345'], ['^.{0,5}$', false, 'abcdef'], ['a|b|', false, 'c'], ['[^[:alnum:]]', false, 'ab-c'],
];

test('regex: same verdicts and whole matches as glibc regcomp(REG_EXTENDED)', (t) => {
  const want = glibcRegex(CASES);
  if (!want) {
    t.skip('python3 with glibc is not available here');
    return;
  }
  const differences: string[] = [];
  CASES.forEach(([pattern, icase, subject], i) => {
    const g = want[i];
    assert.ok(g);
    let js: { error: string } | { match: string | null };
    try {
      const m = compilePosixRegex(pattern, icase).regex.exec(subject);
      js = { match: m ? m[0] : null };
    } catch (e) {
      js = { error: (e as Error).message };
    }
    const same = 'error' in g ? 'error' in js : !('error' in js) && js.match === g.match;
    if (!same) differences.push(`${JSON.stringify(pattern)}${icase ? 'i' : ''} on ${JSON.stringify(subject)}: glibc ${JSON.stringify(g)}, tsproxy ${JSON.stringify(js)}`);
  });
  assert.deepEqual(differences, []);
});
