// Scalar argument parsing shared by every section: integers, times, syslog facilities/levels,
// and the per-line context (place, diagnostics, failure) the keyword parsers receive.
import { ConfigError } from './errors.js';
import type { AddressFamily, ConfigDiagnostic, Facility, Level, Place } from './model.js';

/** Resolves a host name to one address (first answer of the system resolver), or undefined. */
export type HostResolver = (name: string) => { readonly address: string; readonly family: AddressFamily } | undefined;

/** What every keyword parser gets for the line it handles. */
export interface LineContext {
  readonly place: Place;
  /** The words of the line after the tokenizer; args[0] is the keyword. */
  readonly args: readonly string[];
  readonly resolveHost: HostResolver;
  readonly readFile: (path: string) => Uint8Array;
  warn(message: string): void;
  /** A non-fatal alert, e.g. "'maxconn' already specified. Continuing." */
  alert(message: string): void;
  /** Aborts parsing with a ConfigError at this line. */
  fail(message: string, keyword?: string): never;
}

export function formatPlace(place: Place): string {
  return place.line > 0 ? `parsing [${place.file}:${place.line}] : ` : `parsing ${place.file} : `;
}

export function makeDiagnostic(severity: 'warning' | 'alert', place: Place | undefined, text: string): ConfigDiagnostic {
  return { severity, message: place ? formatPlace(place) + text : text, place };
}

export function failAt(place: Place, keyword: string, text: string): never {
  throw new ConfigError(place, keyword, text);
}

const DIGITS = /^[0-9]+$/;

/** A non-negative decimal integer, or undefined when the word is not one. */
export function parseUnsigned(word: string | undefined): number | undefined {
  if (word === undefined || !DIGITS.test(word)) return undefined;
  const v = Number(word);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** `'<kw>' expects an integer argument.` unless args[index] is a non-negative integer. */
export function intArg(ctx: LineContext, index: number, keyword = ctx.args[0] ?? ''): number {
  const word = ctx.args[index];
  const v = parseUnsigned(word);
  if (v === undefined) {
    if (word === undefined || word === '') ctx.fail(`'${keyword}' expects an integer argument.`);
    ctx.fail(`'${keyword}' expects an integer argument, not '${word}'.`);
  }
  return v;
}

const TIME_UNITS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };

/**
 * A time in milliseconds. Legacy took a bare integer in ms; the unit suffixes of later
 * releases (`us ms s m h d`) are accepted too. Returns undefined for anything else.
 */
export function parseTimeMs(word: string | undefined): number | undefined {
  if (word === undefined) return undefined;
  const m = /^([0-9]+)([a-z]*)$/.exec(word);
  if (!m) return undefined;
  const unit = m[2] === '' ? 1 : TIME_UNITS[m[2] as string];
  if (unit === undefined) return undefined;
  const v = Math.ceil(Number(m[1]) * unit);
  return Number.isSafeInteger(v) && v <= 0x7fffffff ? v : undefined;
}

export function timeArg(ctx: LineContext, index: number, keyword = ctx.args[0] ?? ''): number {
  const word = ctx.args[index];
  const v = parseTimeMs(word);
  if (v === undefined) {
    if (word === undefined || word === '') ctx.fail(`'${keyword}' expects an integer <time_in_ms> as argument.`);
    ctx.fail(`'${keyword}' expects an integer <time_in_ms> as argument (or a number with a unit: us, ms, s, m, h, d), not '${word}'.`);
  }
  return v;
}

/** Warns about words past the ones a keyword uses (legacy ignored them silently). */
export function warnExtra(ctx: LineContext, used: number, what = ctx.args[0] ?? ''): void {
  if (ctx.args.length > used) {
    ctx.warn(`'${what}' ignores extra argument${ctx.args.length - used > 1 ? 's' : ''} '${ctx.args.slice(used).join(' ')}'.`);
  }
}

/** Syslog facilities in code order (spec §4 `log`). */
export const FACILITIES: readonly string[] = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news',
  'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit', 'alert', 'cron2',
  'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
];

export const LEVELS: readonly string[] = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];

export function facilityCode(name: string): Facility | undefined {
  const i = FACILITIES.indexOf(name);
  return i < 0 ? undefined : i;
}

export function levelCode(name: string): Level | undefined {
  const i = LEVELS.indexOf(name);
  return i < 0 ? undefined : i;
}

/** Config text is read as latin1 (one char per byte); file paths written in UTF-8 are decoded back. */
export function pathFromWord(word: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(word) ? Buffer.from(word, 'latin1').toString('utf8') : word;
}
