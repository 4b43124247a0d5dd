// POSIX extended regular expressions (regcomp REG_EXTENDED, as glibc reads them) translated to
// JavaScript RegExp source, so that `req*`/`rsp*` rules match what legacy HAProxy matched
// (spec §9.3). Compiled once at parse time; a bad pattern is an error with its place.
//
// Differences handled:
//  - inside brackets a backslash is an ordinary character; `[:class:]`, `[=c=]`, `[.c.]`;
//    `]` first in a bracket is literal; ranges are checked;
//  - outside brackets `\c` for a non-special c is the literal c (glibc), so `\d` is "d";
//    the GNU extensions `\w \W \s \S \b \B \< \> \` \'` and back-references `\1`..`\9` work;
//  - `.` matches any character including newline; `a**`, `a+?` are repetitions of a
//    repetition (not lazy quantifiers); `{,n}` means `{0,n}`; an unmatched `)` is literal;
//  - a quantifier with nothing to repeat (`*a`, `(*a)`, `a|*b`, `(?=x)`) is an error, so no
//    JavaScript-only syntax (lookaround, named groups, lazy quantifiers) can slip through.
//  - REG_ICASE folds ASCII letters only (C locale): done in the source (`a` → `[aA]`), not with
//    the `i` flag, which would also fold Latin-1 letters and keep V8 from using its linear-time
//    engine on excessive backtracking (enabled in cli/main.ts).
// Not reproduced: POSIX leftmost-longest alternation (JS takes the first alternative that
// matches); whether a line matches is the same, only capture group contents can differ.

import v8 from 'node:v8';

export class RegexSyntaxError extends Error {}

const CLASSES: Readonly<Record<string, string>> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: '0-9A-Za-z',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\v\\f\\r ',
  blank: '\\t ',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
};

/** A character as a JS regex literal, safe both inside and outside a class (no `u` flag). */
function lit(code: number): string {
  if (code >= 0x20 && code <= 0x7e) {
    const c = String.fromCharCode(code);
    return '\\^$.|?*+()[]{}/-'.includes(c) ? '\\' + c : c;
  }
  if (code < 0x100) return '\\x' + code.toString(16).padStart(2, '0');
  return '\\u' + code.toString(16).padStart(4, '0');
}

interface BracketResult {
  readonly js: string;
  readonly end: number;
}

const A = 0x41;
const Z = 0x5a;
const a = 0x61;
const z = 0x7a;

/** With REG_ICASE (C locale): the other-case twins of the ASCII letters in [lo, hi]. */
function caseTwins(lo: number, hi: number): string {
  let out = '';
  const upLo = Math.max(lo, A);
  const upHi = Math.min(hi, Z);
  if (upLo <= upHi) out += lit(upLo + 32) + (upHi > upLo ? '-' + lit(upHi + 32) : '');
  const loLo = Math.max(lo, a);
  const loHi = Math.min(hi, z);
  if (loLo <= loHi) out += lit(loLo - 32) + (loHi > loLo ? '-' + lit(loHi - 32) : '');
  return out;
}

function upper(code: number): number {
  return code >= a && code <= z ? code - 32 : code;
}

/** Reads `[.c.]` / `[=c=]` at j (a single character); returns its code and the index after it. */
function collating(src: string, j: number): { code: number; end: number } {
  const kind = src[j + 1] as string;
  const close = src.indexOf(kind + ']', j + 2);
  if (close < 0) throw new RegexSyntaxError('Unmatched [, [^, [:, [., or [=');
  const name = src.slice(j + 2, close);
  if (name.length !== 1) throw new RegexSyntaxError(`Invalid collation character '${name}'`);
  return { code: name.charCodeAt(0), end: close + 2 };
}

/** Parses a bracket expression starting at `[` (index i). */
function bracket(src: string, i: number, icase: boolean): BracketResult {
  let j = i + 1;
  let negate = false;
  if (src[j] === '^') {
    negate = true;
    j++;
  }
  let out = '';
  let first = true;
  for (;;) {
    if (j >= src.length) throw new RegexSyntaxError('Unmatched [, [^, [:, [., or [=');
    const c = src[j] as string;
    if (c === ']' && !first) {
      j++;
      break;
    }
    first = false;
    let code: number;
    if (c === '[' && src[j + 1] === ':') {
      const close = src.indexOf(':]', j + 2);
      if (close < 0) throw new RegexSyntaxError('Unmatched [, [^, [:, [., or [=');
      const name = src.slice(j + 2, close);
      j = close + 2;
      const cls = CLASSES[name];
      if (cls === undefined) throw new RegexSyntaxError(`Invalid character class name '${name}'`);
      // A class cannot start a range (glibc: "Invalid range end").
      if (src[j] === '-' && src[j + 1] !== undefined && src[j + 1] !== ']') throw new RegexSyntaxError('Invalid range end');
      out += icase && (name === 'upper' || name === 'lower') ? 'A-Za-z' : cls;
      continue;
    }
    if (c === '[' && (src[j + 1] === '=' || src[j + 1] === '.')) {
      const r = collating(src, j);
      code = r.code;
      j = r.end;
    } else {
      code = c.charCodeAt(0);
      j++;
    }
    let endCode = code;
    // A range `a-z`: a `-` that is not last in the bracket.
    if (src[j] === '-' && src[j + 1] !== undefined && src[j + 1] !== ']') {
      j++;
      if (src[j] === '[' && (src[j + 1] === '.' || src[j + 1] === '=')) {
        const r = collating(src, j);
        endCode = r.code;
        j = r.end;
      } else if (src[j] === '[' && src[j + 1] === ':') {
        throw new RegexSyntaxError('Invalid range end');
      } else {
        endCode = src.charCodeAt(j);
        j++;
      }
    }
    // glibc reads a REG_ICASE pattern upper-cased: `[a-c]` is `[A-C]` and `[X-b]` is invalid.
    if (icase) {
      code = upper(code);
      endCode = upper(endCode);
    }
    if (endCode < code) throw new RegexSyntaxError('Invalid range end');
    out += endCode === code ? lit(code) : lit(code) + '-' + lit(endCode);
    if (icase) out += caseTwins(code, endCode);
  }
  if (out === '') throw new RegexSyntaxError('Unmatched [, [^, [:, [., or [=');
  return { js: (negate ? '[^' : '[') + out + ']', end: j };
}

const RE_DUP_MAX = 0x7fff;

export interface Translation {
  readonly source: string;
  /** Number of capture groups. */
  readonly groups: number;
  /** Remarks for the user (`\\d` is the letter d, …). */
  readonly notes: string[];
  /**
   * Case-insensitive back-references need the `i` flag; everything else folds ASCII case in
   * the source itself (exactly glibc's C locale, and eligible for V8's linear-time engine).
   */
  readonly needsIgnoreCaseFlag: boolean;
  /** Back-references or lookarounds: V8 cannot fall back to its linear-time engine. */
  readonly backtrackingOnly: boolean;
  /** A repetition of something that itself repeats, like `(a+)+`. */
  readonly nestedRepetition: boolean;
}

/** Translates a POSIX ERE into JavaScript RegExp source. Throws RegexSyntaxError. */
export function posixToJs(src: string, icase = false): Translation {
  const notes: string[] = [];
  let out = '';
  // Output index where each open group starts, and where the last atom started (-1: none).
  const openGroups: number[] = [];
  let groupCount = 0;
  const closedGroups = new Set<number>();
  const groupNumbers: number[] = [];
  let atomStart = -1;
  let lastWasQuantifier = false;
  // Whether each open group, and the atom just closed, contain a repetition.
  const groupRepeats: boolean[] = [];
  let atomRepeats = false;
  let backrefs = false;
  let lookaround = false;
  let nested = false;
  let i = 0;
  /** A literal character; with REG_ICASE an ASCII letter matches both cases. */
  const literal = (code: number): string => {
    const isLetter = (code >= A && code <= Z) || (code >= a && code <= z);
    return icase && isLetter ? '[' + lit(code) + lit(code ^ 0x20) + ']' : lit(code);
  };
  const quantify = (q: string): void => {
    if (atomStart < 0) throw new RegexSyntaxError('Invalid preceding regular expression');
    if (atomRepeats || lastWasQuantifier) nested = true;
    if (groupRepeats.length > 0) groupRepeats[groupRepeats.length - 1] = true;
    if (lastWasQuantifier) {
      // legacy: `a**`, `a+?` repeat the repetition; JS would reject or read a lazy quantifier.
      out = out.slice(0, atomStart) + '(?:' + out.slice(atomStart) + ')';
    }
    out += q;
    lastWasQuantifier = true;
  };
  while (i < src.length) {
    const c = src[i] as string;
    switch (c) {
      case '\\': {
        const n = src[i + 1];
        if (n === undefined) throw new RegexSyntaxError('Trailing backslash');
        i += 2;
        atomStart = out.length;
        atomRepeats = false;
        lastWasQuantifier = false;
        if (n >= '1' && n <= '9') {
          const g = Number(n);
          if (g > groupCount || !closedGroups.has(g)) throw new RegexSyntaxError('Invalid back reference');
          backrefs = true;
          out += '\\' + n;
        } else if (n === 'w' || n === 'W' || n === 'b' || n === 'B') {
          out += '\\' + n;
          if (n === 'b' || n === 'B') atomStart = -1;
        } else if (n === 's') out += '[\\t\\n\\v\\f\\r ]';
        else if (n === 'S') out += '[^\\t\\n\\v\\f\\r ]';
        else if (n === '<' || n === '>' || n === '`' || n === "'") {
          // Word start/end, buffer start/end: lookarounds in JavaScript.
          out += n === '<' ? '\\b(?=\\w)' : n === '>' ? '\\b(?<=\\w)' : n === '`' ? '(?<![\\s\\S])' : '(?![\\s\\S])';
          lookaround = true;
          atomStart = -1;
        } else {
          if (/[A-Za-z0-9]/.test(n)) notes.push(`'\\${n}' means the character '${n}' in a POSIX regex`);
          out += literal(n.charCodeAt(0));
        }
        break;
      }
      case '[': {
        const b = bracket(src, i, icase);
        atomStart = out.length;
        atomRepeats = false;
        lastWasQuantifier = false;
        out += b.js;
        i = b.end;
        break;
      }
      case '(':
        groupCount++;
        groupNumbers.push(groupCount);
        groupRepeats.push(false);
        openGroups.push(out.length);
        out += '(';
        atomStart = -1;
        lastWasQuantifier = false;
        i++;
        break;
      case ')': {
        if (openGroups.length === 0) {
          // legacy (RE_UNMATCHED_RIGHT_PAREN_ORD): an unmatched `)` is an ordinary character.
          atomStart = out.length;
          atomRepeats = false;
          lastWasQuantifier = false;
          out += '\\)';
          i++;
          break;
        }
        atomStart = openGroups.pop() as number;
        closedGroups.add(groupNumbers.pop() as number);
        atomRepeats = groupRepeats.pop() as boolean;
        // A repetition inside a group is inside its enclosing group too.
        if (atomRepeats && groupRepeats.length > 0) groupRepeats[groupRepeats.length - 1] = true;
        out += ')';
        lastWasQuantifier = false;
        i++;
        break;
      }
      case '|':
        out += '|';
        atomStart = -1;
        lastWasQuantifier = false;
        i++;
        break;
      case '^':
      case '$':
        out += c;
        atomStart = -1;
        lastWasQuantifier = false;
        i++;
        break;
      case '*':
      case '+':
      case '?':
        quantify(c);
        i++;
        break;
      case '{': {
        const m = /^\{([0-9]*)(,([0-9]*))?\}/.exec(src.slice(i));
        if (!m) throw new RegexSyntaxError('Invalid content of \\{\\}');
        const min = m[1] === '' ? 0 : Number(m[1]);
        const hasComma = m[2] !== undefined;
        const max = hasComma ? (m[3] === '' ? Infinity : Number(m[3])) : min;
        if (m[1] === '' && !hasComma) throw new RegexSyntaxError('Invalid content of \\{\\}');
        if (min > RE_DUP_MAX || (max !== Infinity && max > RE_DUP_MAX)) throw new RegexSyntaxError('Regular expression too big');
        if (max < min) throw new RegexSyntaxError('Invalid content of \\{\\}');
        quantify('{' + min + (hasComma ? ',' + (max === Infinity ? '' : String(max)) : '') + '}');
        i += m[0].length;
        break;
      }
      case '.':
        atomStart = out.length;
        atomRepeats = false;
        lastWasQuantifier = false;
        out += '.';
        i++;
        break;
      default:
        atomStart = out.length;
        atomRepeats = false;
        lastWasQuantifier = false;
        out += literal(c.charCodeAt(0));
        i++;
    }
  }
  if (openGroups.length > 0) throw new RegexSyntaxError('Unmatched ( or \\(');
  return {
    source: out,
    groups: groupCount,
    notes,
    needsIgnoreCaseFlag: icase && backrefs,
    backtrackingOnly: backrefs || lookaround,
    nestedRepetition: nested,
  };
}

/**
 * Compiles a POSIX ERE as a RegExp: flag `s` (`.` matches newlines); the `*i*` twins fold ASCII
 * case in the source (flag `i` only with back-references). No `g`/`y`: no state between lines.
 */
export function compilePosixRegex(src: string, caseInsensitive: boolean): { regex: RegExp; groups: number; notes: string[] } {
  const t = posixToJs(src, caseInsensitive);
  let regex: RegExp;
  try {
    regex = new RegExp(t.source, t.needsIgnoreCaseFlag ? 'is' : 's');
  } catch (e) {
    throw new RegexSyntaxError((e as Error).message);
  }
  const notes = [...t.notes];
  if (t.nestedRepetition && t.backtrackingOnly) {
    notes.push(
      'this regex repeats a repetition and uses back-references or word/buffer anchors: JavaScript may need exponential time on some lines (glibc did not); consider simplifying it',
    );
  }
  return { regex, groups: t.groups, notes };
}

/**
 * Lets V8 switch a regex to its linear-time engine when it backtracks excessively, so that a
 * header line crafted against a rule like `^(a+)+$` cannot stall the event loop (glibc's
 * matcher never backtracked exponentially). Matching results are unchanged. Process-wide; the
 * flag is read when a regex runs, so calling it at startup covers every rule.
 */
export function enableLinearRegexFallback(): void {
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
}
