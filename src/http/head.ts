// Finds one HTTP message head (start line + header lines + empty line) in received bytes and
// splits it into latin1 lines. Bare LF is accepted as a line end (DESIGN.md decision 17); the
// caller re-serialises with CRLF. No validation here: that is parser.ts's job.

/** Legacy limit: the end of the head must lie within the first 8192 bytes (spec §6, §9.7). */
export const MAX_HEAD_BYTES = 8192;

export type HeadScan =
  /** Need more bytes. `skipped` leading empty-line bytes (requests) may be dropped already. */
  | { readonly kind: 'incomplete'; readonly skipped: number }
  /** No end of head within MAX_HEAD_BYTES. */
  | { readonly kind: 'too-large' }
  /**
   * `lines[0]` is the start line; `end` is the offset just after the empty line.
   * Each line is latin1 text without its CR/LF.
   */
  | { readonly kind: 'complete'; readonly lines: string[]; readonly end: number };

const LF = 0x0a;
const CR = 0x0d;

/**
 * Scans `buf` from `from`. For requests, leading empty lines are skipped (legacy 1.2.12+,
 * decision 5); they count toward the size limit so an endless stream of CRLFs still ends.
 */
export function scanHead(buf: Buffer, from: number, skipLeadingEmptyLines: boolean): HeadScan {
  let start = from;
  const len = buf.length;
  if (skipLeadingEmptyLines) {
    for (;;) {
      if (start < len && buf[start] === LF) {
        start += 1;
      } else if (start + 1 < len && buf[start] === CR && buf[start + 1] === LF) {
        start += 2;
      } else {
        break;
      }
      if (start - from > MAX_HEAD_BYTES) return { kind: 'too-large' };
    }
  }
  const limit = from + MAX_HEAD_BYTES;
  // One latin1 string for the whole candidate head, scanned with String#indexOf: a Buffer call
  // per line (indexOf, toString) costs more than the scan itself. The empty line must start
  // before `limit` (legacy), so nothing past limit + 2 can belong to an acceptable head.
  const text = buf.toString('latin1', start, Math.min(len, limit + 2));
  const lines: string[] = [];
  let lineStart = 0;
  for (;;) {
    const lf = text.indexOf('\n', lineStart);
    if (lf < 0) {
      if (len >= limit) return { kind: 'too-large' };
      return { kind: 'incomplete', skipped: start - from };
    }
    // legacy: the empty line must *start* within the first 8192 bytes.
    if (start + lineStart >= limit) return { kind: 'too-large' };
    let lineEnd = lf;
    if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === CR) lineEnd -= 1;
    if (lineEnd === lineStart) {
      if (lines.length === 0) {
        // only possible when not skipping: an empty start line
        lines.push('');
      }
      return { kind: 'complete', lines, end: start + lf + 1 };
    }
    lines.push(text.slice(lineStart, lineEnd));
    lineStart = lf + 1;
  }
}

/**
 * Serialises head lines with CRLF line ends and the final empty line, followed by `body` when
 * given: a head and the body bytes already received leave in one buffer, one write() — cheaper
 * in Node than cork + writev of two.
 */
export function serializeHead(lines: readonly string[], body?: Buffer): Buffer {
  // one flat string (join), written straight into the buffer: no per-line intermediate strings
  if (lines.length === 0) return body === undefined ? Buffer.from('\r\n') : Buffer.concat([Buffer.from('\r\n'), body]);
  const text = lines.join('\r\n');
  const n = text.length + 4;
  const out = Buffer.allocUnsafe(n + (body === undefined ? 0 : body.length));
  out.write(text, 0, 'latin1');
  out[n - 4] = 0x0d;
  out[n - 3] = 0x0a;
  out[n - 2] = 0x0d;
  out[n - 1] = 0x0a;
  if (body !== undefined) out.set(body, n);
  return out;
}
