// Streaming validator for chunked bodies (RFC 9112 §7.1): checks every chunk-size line and
// trailer strictly, bounds their size, and re-emits the body chunked with CRLF line ends.
// Data bytes are passed through as slices of the input (no copy, no buffering of the body).

/** Longest accepted chunk-size line (size + extensions), excluding its line end. */
export const MAX_CHUNK_LINE_BYTES = 4096;
/** Bound on the whole trailer section. */
export const MAX_TRAILER_BYTES = 8192;

const enum St {
  Size,
  Data,
  DataCr,
  DataLf,
  Trailer,
  Done,
}

export type ChunkFeed =
  /** All of the input was consumed, more body expected. */
  | { readonly kind: 'more' }
  /** The body ended; `consumed` bytes of the input belonged to it (the rest is the next message). */
  | { readonly kind: 'done'; readonly consumed: number }
  | { readonly kind: 'error'; readonly reason: string };

// whitespace only before an extension (BWS ";"), never alone after the size
const SIZE_RE = /^([0-9A-Fa-f]{1,13})([ \t]*;.*)?$/;
// chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), values token or quoted-string
const EXT_RE = /^(?:[ \t]*;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*=[ \t]*(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[\t\x20-\x7e\x80-\xff])*"))?)*$/;
const TRAILER_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*$/;
const FORBIDDEN_TRAILERS = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
]);
const MOOT = Buffer.alloc(0);
const CRLF = Buffer.from('\r\n', 'latin1');

export class ChunkedDecoder {
  private state = St.Size;
  private remaining = 0;
  /** Partial line (size line or trailer) carried between feeds. */
  private line: Buffer = MOOT;
  private trailerBytes = 0;
  /** Bytes of body seen (framing included), for logs. */
  bytes = 0;

  /** `emit` receives the bytes to forward, in order. */
  constructor(private readonly emit: (chunk: Buffer) => void) {}

  get done(): boolean {
    return this.state === St.Done;
  }

  feed(buf: Buffer): ChunkFeed {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case St.Data: {
          const take = Math.min(this.remaining, n - i);
          this.emit(buf.subarray(i, i + take));
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = St.DataCr;
          break;
        }
        case St.DataCr: {
          const c = buf[i]!;
          if (c === 0x0d) {
            this.state = St.DataLf;
            i += 1;
          } else if (c === 0x0a) {
            // bare LF accepted (decision 17), forwarded as CRLF
            i += 1;
            this.emit(CRLF);
            this.state = St.Size;
          } else {
            return { kind: 'error', reason: 'missing CRLF after chunk data' };
          }
          break;
        }
        case St.DataLf: {
          if (buf[i] !== 0x0a) return { kind: 'error', reason: 'missing LF after chunk data' };
          i += 1;
          this.emit(CRLF);
          this.state = St.Size;
          break;
        }
        case St.Size:
        case St.Trailer: {
          const lf = buf.indexOf(0x0a, i);
          const end = lf < 0 ? n : lf;
          const pending = this.line.length + (end - i);
          const max = this.state === St.Size ? MAX_CHUNK_LINE_BYTES + 1 : MAX_TRAILER_BYTES - this.trailerBytes + 1;
          if (pending > max) {
            return { kind: 'error', reason: this.state === St.Size ? 'chunk-size line too long' : 'trailers too large' };
          }
          if (lf < 0) {
            this.line = this.line.length === 0 ? Buffer.from(buf.subarray(i)) : Buffer.concat([this.line, buf.subarray(i)]);
            i = n;
            break;
          }
          let text = (this.line.length === 0 ? buf.subarray(i, lf) : Buffer.concat([this.line, buf.subarray(i, lf)])).toString('latin1');
          this.line = MOOT;
          i = lf + 1;
          if (text.endsWith('\r')) text = text.slice(0, -1);
          const r = this.state === St.Size ? this.sizeLine(text) : this.trailerLine(text);
          if (r !== undefined) return { kind: 'error', reason: r };
          if ((this.state as St) === St.Done) {
            this.bytes += i;
            return { kind: 'done', consumed: i };
          }
          break;
        }
        case St.Done:
          return { kind: 'done', consumed: i };
      }
    }
    this.bytes += n;
    return { kind: 'more' };
  }

  private sizeLine(text: string): string | undefined {
    const m = SIZE_RE.exec(text);
    if (m === null) return 'invalid chunk size';
    if (m[2] !== undefined && !EXT_RE.test(m[2])) return 'invalid chunk extension';
    const size = parseInt(m[1]!, 16);
    if (size > Number.MAX_SAFE_INTEGER) return 'chunk size too large';
    this.emit(Buffer.from(text + '\r\n', 'latin1'));
    if (size === 0) {
      this.state = St.Trailer;
    } else {
      this.remaining = size;
      this.state = St.Data;
    }
    return undefined;
  }

  private trailerLine(text: string): string | undefined {
    if (text === '') {
      this.emit(CRLF);
      this.state = St.Done;
      return undefined;
    }
    if (!TRAILER_RE.test(text)) return 'invalid trailer line';
    this.trailerBytes += text.length + 2;
    // RFC 9110 §6.5.1: framing, routing and connection fields are not allowed in trailers
    if (FORBIDDEN_TRAILERS.has(text.slice(0, text.indexOf(':')).toLowerCase())) return undefined;
    this.emit(Buffer.from(text + '\r\n', 'latin1'));
    return undefined;
  }
}
