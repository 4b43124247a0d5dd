// Persistence cookie logic from tables (spec §7.3, §9.4, §9.9, observed-legacy.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CookieConfig } from '../../src/config/model.js';
import {
  captureSetCookie,
  cookieFlagsLogged,
  flagAfterInsert,
  insertedSetCookieLine,
  newRequestCookieState,
  processRequestCookie,
  processSetCookie,
  shouldInsertCookie,
} from '../../src/http/cookie.js';

const cfg = (mode: CookieConfig['mode'], o: Partial<CookieConfig> = {}): CookieConfig => ({
  name: o.name ?? 'SERVERID',
  mode,
  indirect: o.indirect ?? false,
  nocache: o.nocache ?? false,
  postonly: o.postonly ?? false,
});

// servers: A (up), B (up), C (down), D (down, shared by backup bD which is up → returns bD)
const table: Record<string, { server: string | undefined; down: boolean }> = {
  A: { server: 'A', down: false },
  B: { server: 'B', down: false },
  C: { server: undefined, down: true },
  D: { server: 'bkpD', down: false },
};
const lookup = (v: string) => table[v] ?? { server: undefined, down: false };
const persistLookup = (v: string) => (v === 'C' ? { server: 'C', down: false } : lookup(v));

type Row = [string, CookieConfig, string, string | null, string, string | undefined];
const insertIndirect = cfg('insert', { indirect: true });
const rows: Row[] = [
  // [what, config, Cookie value, new value (null = line deleted), flag, server]
  ['alone deleted', insertIndirect, ' SERVERID=A', null, 'V', 'A'],
  ['first of two', insertIndirect, ' SERVERID=C; JSESSIONID=123', ' JSESSIONID=123', 'D', undefined],
  ['middle', insertIndirect, ' a=1; SERVERID=A; b=2', ' a=1; b=2', 'V', 'A'],
  ['first then other', insertIndirect, ' SERVERID=B; a=1', ' a=1', 'V', 'B'],
  ['last', insertIndirect, ' a=1; SERVERID=A', ' a=1', 'V', 'A'],
  ['no space', insertIndirect, 'SERVERID=A;a=1', 'a=1', 'V', 'A'],
  ['comma separated', insertIndirect, ' a=1, SERVERID=A, b=2', ' a=1, b=2', 'V', 'A'],
  ['unknown value removed', insertIndirect, ' SERVERID=Z; a=1', ' a=1', 'I', undefined],
  ['empty value kept, invalid', insertIndirect, ' a=1; SERVERID=', ' a=1; SERVERID=', 'I', undefined],
  ['$ attributes go with it', insertIndirect, ' $Version=1; SERVERID=A; $Path=/; a=1', ' $Version=1; a=1', 'V', 'A'],
  ['only $ left → deleted', insertIndirect, ' $Version=1; SERVERID=A; $Path=/', null, 'V', 'A'],
  ['backup sharing value', insertIndirect, ' SERVERID=D', null, 'V', 'bkpD'],
  ['no cookie of ours', insertIndirect, ' a=1; b=2', ' a=1; b=2', 'N', undefined],
  ['name is case-sensitive', insertIndirect, ' serverid=A', ' serverid=A', 'N', undefined],
  ['later invalid keeps server', insertIndirect, ' SERVERID=A; SERVERID=Z', null, 'I', 'A'],
  ['later valid overrides', insertIndirect, ' SERVERID=A; SERVERID=B', null, 'V', 'B'],
  ['insert without indirect: passed', cfg('insert'), ' SERVERID=A; a=1', ' SERVERID=A; a=1', 'V', 'A'],
  ['rewrite: passed', cfg('rewrite'), ' SERVERID=B', ' SERVERID=B', 'V', 'B'],
  ['passive: passed', cfg('passive'), ' SERVERID=A', ' SERVERID=A', 'V', 'A'],
  ['indirect alone: passed', cfg('passive', { indirect: true }), ' SERVERID=A', ' SERVERID=A', 'V', 'A'],
  ['prefix stripped', cfg('prefix', { name: 'JSESSIONID' }), ' JSESSIONID=B~456; x=1', ' JSESSIONID=456; x=1', 'V', 'B'],
  ['prefix unknown still stripped', cfg('prefix', { name: 'JSESSIONID' }), ' JSESSIONID=Z~1', ' JSESSIONID=1', 'I', undefined],
  ['prefix without ~ untouched', cfg('prefix', { name: 'JSESSIONID' }), ' JSESSIONID=123', ' JSESSIONID=123', 'I', undefined],
  ['prefix to a down server', cfg('prefix', { name: 'JSESSIONID' }), ' a=b; JSESSIONID=C~9', ' a=b; JSESSIONID=9', 'D', undefined],
];

for (const [what, c, value, expected, flag, server] of rows) {
  test(`request cookie: ${what}`, () => {
    const st = newRequestCookieState<string>();
    const out = processRequestCookie(value, c, false, undefined, lookup, st);
    assert.equal(out, expected);
    assert.equal(st.flag, flag);
    assert.equal(st.server, server);
  });
}

test('request cookie: option persist honours a cookie for a DOWN server (flag V)', () => {
  const st = newRequestCookieState<string>();
  processRequestCookie(' SERVERID=C', insertIndirect, true, undefined, persistLookup, st);
  assert.equal(st.flag, 'V');
  assert.equal(st.server, 'C');
  // without persist the runtime lookup says "down"
  const st2 = newRequestCookieState<string>();
  processRequestCookie(' SERVERID=C', insertIndirect, false, undefined, lookup, st2);
  assert.equal(st2.flag, 'D');
  assert.equal(st2.server, undefined);
  // a lookup returning the DOWN server itself is also D without persist
  const st3 = newRequestCookieState<string>();
  processRequestCookie(' SERVERID=C', insertIndirect, false, undefined, () => ({ server: 'C', down: true }), st3);
  assert.equal(st3.flag, 'D');
  assert.equal(st3.server, undefined);
});

test('capture cookie: first cookie starting with the prefix, truncated; no cookie config needed', () => {
  const st = newRequestCookieState<string>();
  processRequestCookie(' a=1; ASPSESSIONIDQQ=abcdefghij; ASP=2', undefined, false, { prefix: 'ASPSESSION', length: 20 }, lookup, st);
  assert.equal(st.captured, 'ASPSESSIONIDQQ=abcde');
  const st2 = newRequestCookieState<string>();
  processRequestCookie(' SERVERID=A; x=1', insertIndirect, false, { prefix: 'SERVERID=', length: 63 }, lookup, st2);
  assert.equal(st2.captured, 'SERVERID=A');
  assert.equal(captureSetCookie(' JSESSIONID=123; path=/', { prefix: 'JSESSIONID', length: 12 }), 'JSESSIONID=1');
  assert.equal(captureSetCookie(' other=1', { prefix: 'JSESSIONID', length: 12 }), undefined);
});

type SRow = [string, CookieConfig, string, { serverKnown: boolean; serverCookie: string | undefined; direct: boolean }, string | null, string | undefined];
const known = (cookie: string | undefined, direct = false) => ({ serverKnown: true, serverCookie: cookie, direct });
const srows: SRow[] = [
  ['insert: server cookie deleted', insertIndirect, ' SERVERID=x; path=/', known('A'), null, 'D'],
  ['insert, dispatch: untouched', cfg('insert'), ' SERVERID=x', { serverKnown: false, serverCookie: undefined, direct: false }, ' SERVERID=x', 'P'],
  ['indirect + direct: deleted', cfg('rewrite', { indirect: false }), ' SERVERID=x', known('A', true), ' SERVERID=A', 'R'],
  ['passive indirect direct: deleted', cfg('passive', { indirect: true }), ' SERVERID=x', known('A', true), null, 'D'],
  ['rewrite', cfg('rewrite'), ' SERVERID=x; path=/; domain=a', known('B'), ' SERVERID=B; path=/; domain=a', 'R'],
  ['prefix', cfg('prefix', { name: 'JSESSIONID' }), ' JSESSIONID=123; path=/', known('A'), ' JSESSIONID=A~123; path=/', 'R'],
  ['prefix, server without cookie: untouched', cfg('prefix', { name: 'JSESSIONID' }), ' JSESSIONID=123', known(undefined), ' JSESSIONID=123', 'P'],
  ['passive: passed', cfg('passive'), ' SERVERID=x', known('A'), ' SERVERID=x', 'P'],
  ['other cookie: not ours', insertIndirect, ' JSESSIONID=1', known('A'), ' JSESSIONID=1', undefined],
  ['only the first cookie of the line', insertIndirect, ' a=1; SERVERID=x', known('A'), ' a=1; SERVERID=x', undefined],
];
for (const [what, c, value, ctx, expected, flag] of srows) {
  test(`set-cookie: ${what}`, () => {
    const r = processSetCookie(value, c, ctx);
    assert.equal(r.value, expected);
    assert.equal(r.flag, flag);
  });
}

test('inserted Set-Cookie bytes and decisions', () => {
  assert.equal(insertedSetCookieLine('SERVERID', 'A'), 'Set-Cookie: SERVERID=A; path=/');
  assert.equal(insertedSetCookieLine('SERVERID', undefined), 'Set-Cookie: SERVERID=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/');
  assert.equal(shouldInsertCookie(cfg('insert'), true, false, false), true);
  assert.equal(shouldInsertCookie(cfg('insert'), true, true, false), false);
  assert.equal(shouldInsertCookie(cfg('insert'), false, false, false), false);
  assert.equal(shouldInsertCookie(cfg('insert', { postonly: true }), true, false, false), false);
  assert.equal(shouldInsertCookie(cfg('insert', { postonly: true }), true, false, true), true);
  assert.equal(shouldInsertCookie(cfg('prefix'), true, false, false), false);
  assert.equal(flagAfterInsert('N'), 'I');
  assert.equal(flagAfterInsert('D'), 'R');
  assert.equal(cookieFlagsLogged(cfg('passive')), false);
  assert.equal(cookieFlagsLogged(cfg('passive', { indirect: true })), true);
  assert.equal(cookieFlagsLogged(cfg('insert')), true);
  assert.equal(cookieFlagsLogged(undefined), false);
});
