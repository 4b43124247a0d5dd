// The configuration parser: legacy haproxy.cfg text (one or several files, read in order as
// one stream of sections) → the immutable Config, or a ConfigError naming file:line.
// Sections: `global` (merged), `defaults` (each one resets, spec §3.2), `listen`.
import { readFileSync } from 'node:fs';
import { looksLikeAddress, parseBindList, systemResolver } from './address.js';
import { checkProxies } from './consistency.js';
import { builtinDefaults, freezeProxy, inheritProxy, type ProxyDraft } from './draft.js';
import { ConfigError } from './errors.js';
import type { BindSpec, Config, ConfigDiagnostic, GlobalSettings, ParseResult, Place } from './model.js';
import { emptyGlobal, parseGlobalLine, type GlobalDraft } from './sections/global.js';
import { parseListenLine } from './sections/listen.js';
import { splitLines, tokenizeLine } from './tokenizer.js';
import { makeDiagnostic, warnExtra, type HostResolver, type LineContext } from './values.js';

export interface ParseOptions {
  /** Host name resolution (default: the system resolver, synchronously). */
  readonly resolveHost?: HostResolver;
  /** Reads `errorfile` files (default: fs.readFileSync). */
  readonly readFile?: (path: string) => Uint8Array;
}

export interface ConfigSource {
  readonly file: string;
  /** The file's bytes decoded as latin1 (one character per byte). */
  readonly text: string;
}

/** Section keywords of later releases, refused with a pointer to the legacy form. */
const MODERN_SECTIONS = new Set(['frontend', 'backend', 'peers', 'userlist', 'resolvers', 'program', 'mailers', 'cache', 'ring', 'http-errors']);

type Section = 'none' | 'global' | 'listen';

/** The context of one line: one object per line (the parser's hot path on large files). */
class Line implements LineContext {
  constructor(
    readonly place: Place,
    readonly args: readonly string[],
    readonly resolveHost: HostResolver,
    readonly readFile: (path: string) => Uint8Array,
    private readonly diagnostics: ConfigDiagnostic[],
  ) {}

  warn(message: string): void {
    this.diagnostics.push(makeDiagnostic('warning', this.place, message));
  }

  alert(message: string): void {
    this.diagnostics.push(makeDiagnostic('alert', this.place, message));
  }

  fail(message: string, keyword: string = this.args[0] ?? ''): never {
    throw new ConfigError(this.place, keyword, message);
  }
}

/** Parses one configuration text; `file` is the name used in messages. */
export function parseConfigText(text: string, file: string, options: ParseOptions = {}): ParseResult {
  return parseConfigSources([{ file, text }], options);
}

/** Reads and parses several files in order (`-f a -f b`), as one stream of sections. */
export function parseConfigFiles(files: readonly string[], options: ParseOptions = {}): ParseResult {
  const sources: ConfigSource[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason = err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.code === 'EISDIR' ? 'Is a directory' : err.message;
      throw new ConfigError({ file, line: 0 }, '', `cannot open configuration file '${file}' : ${reason}.`);
    }
    sources.push({ file, text });
  }
  return parseConfigSources(sources, options);
}

export function parseConfigSources(sources: readonly ConfigSource[], options: ParseOptions = {}): ParseResult {
  const diagnostics: ConfigDiagnostic[] = [];
  try {
    return parseWith(sources, options, diagnostics);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // Carry what was said before the error, so that it can be printed in order.
    throw new ConfigError({ file: e.file, line: e.line }, e.keyword, e.text, e.others, e.postParse, Object.freeze([...diagnostics]));
  }
}

function parseWith(sources: readonly ConfigSource[], options: ParseOptions, diagnostics: ConfigDiagnostic[]): ParseResult {
  const resolveHost = options.resolveHost ?? systemResolver();
  const readFile = options.readFile ?? ((path: string) => readFileSync(path));
  const global: GlobalDraft = emptyGlobal();
  const proxies: ProxyDraft[] = [];
  let defaults: ProxyDraft = builtinDefaults({ file: sources[0]?.file ?? '', line: 0 });
  let current: ProxyDraft | undefined;

  for (const source of sources) {
    let section: Section = 'none';
    let text = source.text;
    if (text.startsWith('\xef\xbb\xbf')) {
      // A UTF-8 byte order mark (files saved by some Windows editors): not part of the first keyword.
      text = text.slice(3);
      diagnostics.push(makeDiagnostic('warning', { file: source.file, line: 1 }, 'ignoring the UTF-8 byte order mark at the start of the file.'));
    }
    const lines = splitLines(text);
    for (let index = 0; index < lines.length; index++) {
      const place: Place = { file: source.file, line: index + 1 };
      const raw = lines[index] as string;
      const args = tokenizeLine(raw, place);
      const cr = raw.indexOf('\r');
      if (cr >= 0 && raw.slice(cr + 1).trim() !== '') {
        // legacy: a CR ends the line; say so rather than drop text silently (old Mac line ends).
        diagnostics.push(makeDiagnostic('warning', place, 'text after a carriage return (CR) is ignored; is this file using CR-only line ends?'));
      }
      if (args.length === 0) continue;
      const kw = args[0] as string;
      const ctx = new Line(place, args, resolveHost, readFile, diagnostics);
      if (kw === 'global') {
        section = 'global';
        warnExtra(ctx, 1);
        continue;
      }
      if (kw === 'defaults') {
        // legacy: words after `defaults` are labels; each `defaults` restarts from built-in values.
        defaults = builtinDefaults(place);
        current = defaults;
        section = 'listen';
        continue;
      }
      if (kw === 'listen') {
        current = startListen(ctx, defaults);
        proxies.push(current);
        section = 'listen';
        continue;
      }
      if (MODERN_SECTIONS.has(kw)) {
        ctx.fail(`'${kw}' sections do not exist in legacy HAProxy (1.3+ only): use a 'listen' section.`);
      }
      if (section === 'global') parseGlobalLine(global, ctx);
      else if (section === 'listen' && current) parseListenLine(current, ctx, { globalLogs: global.logs });
      else ctx.fail(`unknown keyword '${kw}' out of section.`);
    }
  }

  const lastFile = sources[sources.length - 1]?.file ?? '';
  if (proxies.length === 0) {
    throw new ConfigError({ file: lastFile, line: 0 }, '', 'no <listen> line. Nothing to do !', [], true);
  }
  for (const p of proxies) adoptNameAsAddress(p, diagnostics);
  const frozen = proxies.map(freezeProxy);
  const checked = checkProxies(frozen);
  diagnostics.push(...checked.warnings);
  const [first, ...rest] = checked.errors;
  if (first) throw new ConfigError({ file: first.file, line: first.line }, first.keyword, first.text, rest, true);

  const settings: GlobalSettings = Object.freeze({
    daemon: global.daemon,
    quiet: global.quiet,
    debug: global.debug,
    nbproc: global.nbproc ?? 1,
    maxconn: global.maxconn,
    uid: global.uid,
    gid: global.gid,
    user: global.user,
    group: global.group,
    chroot: global.chroot,
    pidfile: global.pidfile,
    ulimitN: global.ulimitN,
    logs: Object.freeze([...global.logs]),
    statsSocket: global.statsSocket,
  });
  const config: Config = Object.freeze({
    files: Object.freeze(sources.map((s) => s.file)),
    global: settings,
    proxies: Object.freeze(frozen),
  });
  return Object.freeze({ config, diagnostics: Object.freeze(diagnostics) });
}

/**
 * A nameless `listen <addr>:<port>` (as the guide writes it) binds that address when the section
 * has no other listening address (DESIGN.md decision 1; legacy bound nothing). With a `bind`
 * line the word stays a plain name, as in legacy: configurations that worked around the legacy
 * behaviour with `bind <same address>` must not bind it twice.
 */
function adoptNameAsAddress(p: ProxyDraft, diagnostics: ConfigDiagnostic[]): void {
  if (!p.nameBinds || p.binds.length > 0) return;
  p.binds.push(...p.nameBinds);
  p.nameIsAddress = true;
  diagnostics.push(
    makeDiagnostic('warning', p.place, `'listen ${p.name}' has no name: tsproxy binds ${p.name} and names the proxy '${p.name}' (legacy HAProxy bound nothing here).`),
  );
}

/**
 * `listen <name> [<addrs>]`. A lone first argument that parses as an address list
 * (`listen 0.0.0.0:81`, as the guide writes it) names the proxy and is kept as its address in
 * case the section gives none (see adoptNameAsAddress).
 */
function startListen(ctx: LineContext, defaults: ProxyDraft): ProxyDraft {
  const name = ctx.args[1];
  if (name === undefined || name === '') {
    // legacy: a two-line message (sic: "optionnally").
    ctx.fail(`'listen' expects an <id> argument and\n  optionnally supports [addr1]:port1[-end1]{,[addr]:port[-end]}...`);
  }
  const proxy = inheritProxy(defaults, name, ctx.place);
  const addrs = ctx.args[2];
  if (addrs !== undefined && addrs !== '') {
    proxy.binds.push(...parseBindList(ctx, addrs));
  } else if (looksLikeAddress(name)) {
    let binds: BindSpec[] | undefined;
    try {
      binds = parseBindList(ctx, name);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      binds = undefined; // not an address after all: an ordinary (odd) name
    }
    proxy.nameBinds = binds;
  }
  warnExtra(ctx, 3);
  return proxy;
}
