// Configuration errors are values with a place: HAProxy prints them as
// `parsing [<file>:<line>] : <message>` and aborts with `Error reading configuration file : <file>`.
import type { ConfigDiagnostic, Place } from './model.js';

export class ConfigError extends Error {
  readonly file: string;
  /** 0 when the error concerns the whole file (post-parse consistency checks). */
  readonly line: number;
  /** The keyword the error is about ('' when none applies). */
  readonly keyword: string;
  /** The bare message, without the `parsing [...] :` prefix. */
  readonly text: string;
  /**
   * Further errors found by the post-parse consistency checks, which legacy reported all
   * together before `Errors found in configuration file, aborting.`; empty for a line error.
   */
  readonly others: readonly ConfigError[];
  /** True for the post-parse consistency errors (spec §5.3), false for errors of one line. */
  readonly postParse: boolean;
  /** Warnings and non-fatal alerts emitted before this error (legacy printed them as it went). */
  readonly diagnostics: readonly ConfigDiagnostic[];

  constructor(
    place: Place,
    keyword: string,
    text: string,
    others: readonly ConfigError[] = [],
    postParse = false,
    diagnostics: readonly ConfigDiagnostic[] = [],
  ) {
    super(place.line > 0 ? `parsing [${place.file}:${place.line}] : ${text}` : `parsing ${place.file} : ${text}`);
    this.name = 'ConfigError';
    this.file = place.file;
    this.line = place.line;
    this.keyword = keyword;
    this.text = text;
    this.others = others;
    this.postParse = postParse;
    this.diagnostics = diagnostics;
  }
}
