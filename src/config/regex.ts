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
// Not reproduced: POSIX leftmost-longest alternation (JS takes the first alternative that
// matches); whether a line matches is the same, only capture group contents can differ.

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

/** Parses a bracket expression starting at `[` (index i). */
function bracket(src: string, i: number, icaseNote: string[]): BracketResult {
  void icaseNote;
  let j = i + 1;
  let negate = false;
  if (src[j] === '^') {
    negate = true;
    j++;
  }
  let out = '';
  let first = true;
  // The previous single character (code) that may start a range, or -1.
  let prev = -1;
  for (;;) {
    if (j >= src.length) throw new RegexSyntaxError('Unmatched [, [^, [:, [., or [=');
    const c = src[j] as string;
    if (c === ']' && !first) {
      j++;
      break;
    }
    first = false;
    let code: number;
    if (c === '[' && (src[j + 1] === ':' || src[j + 1] === '=' || src[j + 1] === '.')) {
      const kind = src[j + 1] as string;
      const close = src.indexOf(kind + ']', j + 2);
      if (close < 0) throw new RegexSyntaxError('Unmatched [, [^, [:, [., or [=');
      const name = src.slice(j + 2, close);
      j = close + 2;
      if (kind === ':') {
        const cls = CLASSES[name];
        if (cls === undefined) throw new RegexSyntaxError(`Invalid character class name '${name}'`);
        // A class cannot start a range (glibc: "Invalid range end").
        if (src[j] === '-' && src[j + 1] !== undefined && src[j + 1] !== ']') throw new RegexSyntaxError('Invalid range end');
        out += cls;
        prev = -1;
        continue;
      }
      if (name.length !== 1) throw new RegexSyntaxError(`Invalid collation character '${name}'`);
      code = name.charCodeAt(0);
    } else {
      code = c.charCodeAt(0);
      j++;
    }
    // A range `a-z`: a `-` that is not last in the bracket.
    if (src[j] === '-' && src[j + 1] !== undefined && src[j + 1] !== ']') {
      j++;
      let endCode: number;
      if (src[j] === '[' && (src[j + 1] === '.' || src[j + 1] === '=')) {
        const kind = src[j + 1] as string;
        const close = src.indexOf(kind + ']', j + 2);
        if (close < 0) throw new RegexSyntaxError('Unmatched [, [^, [:, [., or [=');
        const name = src.slice(j + 2, close);
        if (name.length !== 1) throw new RegexSyntaxError(`Invalid collation character '${name}'`);
        endCode = name.charCodeAt(0);
        j = close + 2;
      } else if (src[j] === '[' && src[j + 1] === ':') {
        throw new RegexSyntaxError('Invalid range end');
      } else {
        endCode = src.charCodeAt(j);
        j++;
      }
      if (endCode < code) throw new RegexSyntaxError('Invalid range end');
      out += lit(code) + '-' + lit(endCode);
      prev = -1;
      continue;
    }
    out += lit(code);
    prev = code;
  }
  void prev;
  if (out === '') throw new RegexSyntaxError('Unmatched [, [^, [:, [., or [=');
  return { js: (negate ? '[^' : '[') + out + ']', end: j };
}

const RE_DUP_MAX = 0x7fff;

/** Translates a POSIX ERE into JavaScript RegExp source. Throws RegexSyntaxError. */
export function posixToJs(src: string): { source: string; groups: number; notes: string[] } {
  const notes: string[] = [];
  let out = '';
  // Output index where each open group starts, and where the last atom started (-1: none).
  const openGroups: number[] = [];
  let groupCount = 0;
  const closedGroups = new Set<number>();
  const groupNumbers: number[] = [];
  let atomStart = -1;
  let lastWasQuantifier = false;
  let i = 0;
  const quantify = (q: string): void => {
    if (atomStart < 0) throw new RegexSyntaxError('Invalid preceding regular expression');
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
        lastWasQuantifier = false;
        if (n >= '1' && n <= '9') {
          const g = Number(n);
          if (g > groupCount || !closedGroups.has(g)) throw new RegexSyntaxError('Invalid back reference');
          out += '\\' + n;
        } else if (n === 'w' || n === 'W' || n === 'b' || n === 'B') {
          out += '\\' + n;
          if (n === 'b' || n === 'B') atomStart = -1;
        } else if (n === 's') out += '[\\t\\n\\v\\f\\r ]';
        else if (n === 'S') out += '[^\\t\\n\\v\\f\\r ]';
        else if (n === '<') {
          out += '\\b(?=\\w)';
          atomStart = -1;
        } else if (n === '>') {
          out += '\\b(?<=\\w)';
          atomStart = -1;
        } else if (n === '`') {
          out += '(?<![\\s\\S])';
          atomStart = -1;
        } else if (n === "'") {
          out += '(?![\\s\\S])';
          atomStart = -1;
        } else {
          if (/[A-Za-z0-9]/.test(n)) notes.push(`'\\${n}' means the character '${n}' in a POSIX regex`);
          out += lit(n.charCodeAt(0));
        }
        break;
      }
      case '[': {
        const b = bracket(src, i, notes);
        atomStart = out.length;
        lastWasQuantifier = false;
        out += b.js;
        i = b.end;
        break;
      }
      case '(':
        groupCount++;
        groupNumbers.push(groupCount);
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
          lastWasQuantifier = false;
          out += '\\)';
          i++;
          break;
        }
        atomStart = openGroups.pop() as number;
        closedGroups.add(groupNumbers.pop() as number);
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
        lastWasQuantifier = false;
        out += '.';
        i++;
        break;
      default:
        atomStart = out.length;
        lastWasQuantifier = false;
        out += lit(c.charCodeAt(0));
        i++;
    }
  }
  if (openGroups.length > 0) throw new RegexSyntaxError('Unmatched ( or \\(');
  return { source: out, groups: groupCount, notes };
}

/** Compiles a POSIX ERE as a RegExp (flag `s`: `.` matches newlines; `i` for the `*i*` twins). */
export function compilePosixRegex(src: string, caseInsensitive: boolean): { regex: RegExp; groups: number; notes: string[] } {
  const t = posixToJs(src);
  let regex: RegExp;
  try {
    regex = new RegExp(t.source, caseInsensitive ? 'is' : 's');
  } catch (e) {
    throw new RegexSyntaxError((e as Error).message);
  }
  return { regex, groups: t.groups, notes: t.notes };
}
