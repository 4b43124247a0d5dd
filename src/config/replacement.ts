// `reqrep`/`rsprep` replacement strings (spec §9.3): `\0`..`\9` insert a capture group,
// `\xHH` a byte, any other `\c` the character c (with legacy's deprecation warning).
// Parsed once into literal pieces and group references.
import type { ReplacementPart } from './model.js';

export class ReplacementSyntaxError extends Error {
  constructor(readonly near: string) {
    super(`invalid character or unterminated sequence in replacement string near '${near}'.`);
  }
}

function hex(c: string | undefined): number {
  if (c === undefined) return -1;
  const v = parseInt(c, 16);
  return /^[0-9A-Fa-f]$/.test(c) ? v : -1;
}

/** Returns the pieces and the warnings (one per deprecated `\c`). Throws ReplacementSyntaxError. */
export function parseReplacement(text: string): { parts: ReplacementPart[]; warnings: string[] } {
  const parts: ReplacementPart[] = [];
  const warnings: string[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') parts.push(literal);
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== '\\') {
      literal += c;
      continue;
    }
    const n = text[i + 1];
    if (n === undefined) throw new ReplacementSyntaxError('\\');
    if (n >= '0' && n <= '9') {
      flush();
      parts.push({ group: Number(n) });
      i++;
    } else if (n === 'x') {
      const h1 = hex(text[i + 2]);
      const h2 = hex(text[i + 3]);
      if (h1 < 0 || h2 < 0) throw new ReplacementSyntaxError('x');
      literal += String.fromCharCode(h1 * 16 + h2);
      i += 3;
    } else {
      if (n !== '\\') warnings.push(`'\\${n}' : deprecated use of a backslash before something not '\\','x' or a digit.`);
      literal += n;
      i++;
    }
  }
  flush();
  return { parts, warnings };
}
