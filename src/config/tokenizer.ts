// The legacy configuration lexer (spec §3.1): splits one line into words, applying the
// backslash escapes and `#` comments exactly as HAProxy 1.1/1.2 did, without its limits.
import { ConfigError } from './errors.js';
import type { Place } from './model.js';

/** isspace() minus the line terminators, which end the line instead. */
function isSeparator(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * Splits the text of a file into lines. Only LF separates lines; a CR inside a line ends it
 * (tokenizeLine stops there), so CRLF files work. The text is expected to be decoded as
 * latin1, so that every byte is one character and `\xHH` yields the byte HH.
 */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  // A final newline does not start another line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Returns the words of one configuration line. An empty array means a blank or comment-only
 * line. Throws ConfigError on an invalid `\x` escape. No limit on length or word count
 * (legacy split lines at 255 characters and ignored words past the 40th).
 */
export function tokenizeLine(line: string, place: Place): string[] {
  const words: string[] = [];
  const n = line.length;
  let i = 0;
  let current = '';
  let inWord = false;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0x23 /* # */) break;
    if (isSeparator(c)) {
      if (inWord) {
        words.push(current);
        current = '';
        inWord = false;
      }
      i++;
      continue;
    }
    inWord = true;
    if (c !== 0x5c /* \ */) {
      // Copy a run of ordinary characters at once.
      let j = i + 1;
      while (j < n) {
        const d = line.charCodeAt(j);
        if (d === 0x5c || d === 0x23 || d === 0x0d || d === 0x0a || isSeparator(d)) break;
        j++;
      }
      current += line.slice(i, j);
      i = j;
      continue;
    }
    const next = i + 1 < n ? line.charCodeAt(i + 1) : -1;
    switch (next) {
      case 0x20: current += ' '; i += 2; break;
      case 0x5c: current += '\\'; i += 2; break;
      case 0x23: current += '#'; i += 2; break;
      case 0x72: current += '\r'; i += 2; break;
      case 0x6e: current += '\n'; i += 2; break;
      case 0x74: current += '\t'; i += 2; break;
      case 0x78: {
        const h1 = i + 2 < n ? hexValue(line.charCodeAt(i + 2)) : -1;
        const h2 = i + 3 < n ? hexValue(line.charCodeAt(i + 3)) : -1;
        if (h1 < 0 || h2 < 0) {
          const first = words.length > 0 ? words[0] : current;
          throw new ConfigError(place, first ?? '', `invalid or incomplete '\\x' sequence in '${first}'.`);
        }
        current += String.fromCharCode(h1 * 16 + h2);
        i += 4;
        break;
      }
      default:
        // legacy: any other `\c` is kept as is (regexes rely on it); the next character is
        // then read normally, so `\` before a tab still ends the word.
        current += '\\';
        i += 1;
    }
  }
  if (inWord) words.push(current);
  return words;
}
