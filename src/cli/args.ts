// HAProxy's command line (spec §2), which is not GNU-style: a flag is known by its first
// letter(s) (`-db`, `-de`, `-dp`, `-sf 12 13`), values come from the next argument, unknown
// flags and stray words are usage errors (exit 1). The legacy argv is first normalised into
// canonical long options, which commander then parses and validates (and uses for --help).
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

export type LogFormat = 'legacy' | 'json';

/** Everything the command line says; a superset of cli/run-options.ts RunOptions. */
export interface Options {
  /** `-f` files, in order (several `-f` are read as one configuration). */
  readonly configFiles: readonly string[];
  /** `-c`: check the configuration and exit. */
  readonly check: boolean;
  /** `-D`: daemon (implies quiet, spec §2). */
  readonly daemon: boolean;
  /** `-db`: foreground, cancels daemon/quiet/nbproc from the configuration. */
  readonly foreground: boolean;
  /** `-d`: debug (foreground, events dumped on stdout). */
  readonly debug: boolean;
  /** `-q`, or implied by `-D`. */
  readonly quiet: boolean;
  /** `-V` */
  readonly verbose: boolean;
  /** `-de`, `-dp`: legacy poller switches, accepted and ignored. */
  readonly noEpoll: boolean;
  readonly noPoll: boolean;
  /** `-p <file>` */
  readonly pidfile: string | undefined;
  /** `-n <N>`: global maxconn (wins over the configuration). */
  readonly maxconn: number | undefined;
  /** `-N <N>`: default per-proxy maxconn. */
  readonly defaultMaxconn: number | undefined;
  /** `-m <MB>` */
  readonly memoryLimitMb: number | undefined;
  /** `-sf <pid>…`: old processes to finish (SIGUSR1). */
  readonly finishPids: readonly number[];
  /** `-st <pid>…`: old processes to terminate (SIGTERM). */
  readonly terminatePids: readonly number[];
  /** `-W` / `-Ws`: master-worker mode (modern HAProxy). */
  readonly masterWorker: boolean;
  /** `-Ws`: notify systemd (Type=notify). */
  readonly systemd: boolean;
  /** `--log-format json`: process messages as JSON lines on stderr (tsproxy extension). */
  readonly logFormat: LogFormat;
}

export type ParsedArgs =
  | { readonly kind: 'run'; readonly options: Options }
  | { readonly kind: 'version' }
  | { readonly kind: 'help' };

/** A command line HAProxy would answer with its usage screen (exit 1). */
export class UsageError extends Error {}

const LEGACY_USAGE = `Usage : tsproxy -f <cfgfile> [ -f <cfgfile> ]... [ -vdVDqc ] [ -n <maxconn> ] [ -N <maxpconn> ]
        [ -p <pidfile> ] [ -m <max megs> ] [ -W | -Ws ] [ --log-format json ]
        -v displays version
        -d enters debug mode ; -db only disables background mode.
        -V enters verbose mode (disables quiet mode)
        -D goes daemon ; implies -q
        -q quiet mode : don't display messages
        -c check mode : only check config file and exit
        -n sets the maximum total # of connections (2000)
        -m limits the usable amount of memory (in MB)
        -N sets the default, per-proxy maximum # of connections (2000)
        -p writes pids of all children to this file
        -de disables epoll() usage even when available (ignored)
        -dp disables poll() usage even when available (ignored)
        -W master-worker mode ; -Ws the same (no sd_notify on Node: use Type=exec)
        --log-format json writes process messages as JSON lines
        -sf/-st [pid ]* finishes/terminates old pids. Must be last arguments.
`;

/** The usage screen, as printed on stderr for a bad command line. */
export function usageText(): string {
  return LEGACY_USAGE;
}

const VALUE_FLAGS: Readonly<Record<string, string>> = { n: '--maxconn', N: '--proxy-maxconn', f: '--file', p: '--pidfile', m: '--memory-limit' };

/** Canonical option → the legacy flag users typed, for error messages. */
const LEGACY_NAMES: Readonly<Record<string, string>> = {
  '--maxconn': '-n', '--proxy-maxconn': '-N', '--file': '-f', '--pidfile': '-p', '--memory-limit': '-m',
  '--finish': '-sf', '--terminate': '-st', '--log-format': '--log-format',
};

/**
 * Legacy argv → canonical long options (`-f x` → `--file x`, `-sf 1 2` → `--finish 1
 * --finish 2`, …). Returns 'version' as soon as a `-v…` flag is met, as legacy did.
 */
export function normaliseArgv(argv: readonly string[]): string[] | 'version' | 'help' {
  const out: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] as string;
    i++;
    if (arg === '--help') return 'help';
    if (arg === '--log-format' || arg.startsWith('--log-format=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[i++];
      if (value === undefined) throw new UsageError(`option '--log-format' needs a value`);
      out.push('--log-format', value);
      continue;
    }
    if (!arg.startsWith('-') || arg === '-' || arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const f = arg.slice(1);
    const c0 = f[0];
    const c1 = f[1];
    if (c0 === 'v') return 'version';
    if (c0 === 'V') out.push('--verbose');
    else if (c0 === 'd' && c1 === 'b') out.push('--foreground');
    else if (c0 === 'd' && c1 === 'e') out.push('--no-epoll');
    else if (c0 === 'd' && c1 === 'p') out.push('--no-poll');
    else if (c0 === 'd') out.push('--debug');
    else if (c0 === 'c') out.push('--check');
    else if (c0 === 'D') out.push('--daemon');
    else if (c0 === 'q') out.push('--quiet');
    else if (c0 === 'W') out.push('--master-worker', ...(c1 === 's' ? ['--systemd'] : []));
    else if (c0 === 's' && (c1 === 'f' || c1 === 't')) {
      const flag = c1 === 'f' ? '--finish' : '--terminate';
      // legacy: every following argument up to the next flag is a pid.
      while (i < argv.length && !(argv[i] as string).startsWith('-')) out.push(flag, argv[i++] as string);
    } else {
      // A flag with a value: the value is always the next argument (`-ffile` ignores `file`).
      const long = VALUE_FLAGS[c0 ?? ''];
      if (!long) throw new UsageError(`unknown option '${arg}'`);
      const value = argv[i++];
      if (value === undefined) throw new UsageError(`option '${arg}' needs a value`);
      out.push(long, value);
    }
  }
  return out;
}

function positiveInt(what: string) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
      throw new InvalidArgumentError(`${what} must be a positive integer.`);
    }
    return Number(value);
  };
}

function collectPid(value: string, previous: number[] | undefined): number[] {
  const pid = positiveInt('a pid')(value);
  return [...(previous ?? []), pid];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The commander program over the canonical options. */
export function buildProgram(): Command {
  const program = new Command('tsproxy')
    .usage('-f <cfgfile> [ -vdVDqc ] [ -n <maxconn> ] [ -N <maxpconn> ] [ -p <pidfile> ] [ -m <max megs> ] [ -sf|-st <pid>... ]')
    .helpOption(false)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined })
    .addOption(new Option('--file <cfgfile>', '-f: configuration file (repeatable, read in order)').argParser(collect))
    .addOption(new Option('--check', '-c: check the configuration and exit'))
    .addOption(new Option('--daemon', '-D: go daemon (implies -q)'))
    .addOption(new Option('--foreground', '-db: stay in the foreground'))
    .addOption(new Option('--debug', '-d: debug mode'))
    .addOption(new Option('--quiet', '-q: quiet mode'))
    .addOption(new Option('--verbose', '-V: verbose mode'))
    .addOption(new Option('--no-epoll', '-de: ignored'))
    .addOption(new Option('--no-poll', '-dp: ignored'))
    .addOption(new Option('--maxconn <n>', '-n: global maxconn').argParser(positiveInt("'-n'")))
    .addOption(new Option('--proxy-maxconn <n>', '-N: default per-proxy maxconn').argParser(positiveInt("'-N'")))
    .addOption(new Option('--pidfile <file>', '-p: pidfile'))
    .addOption(new Option('--memory-limit <mb>', '-m: memory limit in MB').argParser(positiveInt("'-m'")))
    .addOption(new Option('--finish <pid>', '-sf: old pids to finish').argParser(collectPid))
    .addOption(new Option('--terminate <pid>', '-st: old pids to terminate').argParser(collectPid))
    .addOption(new Option('--master-worker', '-W: master-worker mode'))
    .addOption(new Option('--systemd', '-Ws: master-worker for systemd (Type=exec; no sd_notify)'))
    .addOption(new Option('--log-format <format>', 'process message format').choices(['legacy', 'json']));
  return program;
}

interface Raw {
  file?: string[];
  check?: boolean;
  daemon?: boolean;
  foreground?: boolean;
  debug?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  epoll?: boolean;
  poll?: boolean;
  maxconn?: number;
  proxyMaxconn?: number;
  pidfile?: string;
  memoryLimit?: number;
  finish?: number[];
  terminate?: number[];
  masterWorker?: boolean;
  systemd?: boolean;
  logFormat?: LogFormat;
}

/** Parses a legacy command line (without node and script). Throws UsageError. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const canonical = normaliseArgv(argv);
  if (canonical === 'version') return { kind: 'version' };
  if (canonical === 'help') return { kind: 'help' };
  const program = buildProgram();
  try {
    program.parse(canonical, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      const message = e.message
        .replace(/^error: /, '')
        .replace(/'(--[a-z-]+)(?: <[^>]+>)?'/g, (m, name: string) => (LEGACY_NAMES[name] ? `'${LEGACY_NAMES[name]}'` : m));
      throw new UsageError(message);
    }
    throw e;
  }
  const o = program.opts<Raw>();
  const configFiles = o.file ?? [];
  if (configFiles.length === 0) throw new UsageError('no configuration file given (-f <cfgfile>)');
  const options: Options = {
    configFiles,
    check: o.check === true,
    daemon: o.daemon === true,
    foreground: o.foreground === true,
    debug: o.debug === true,
    // legacy: -D implies quiet.
    quiet: o.quiet === true || o.daemon === true,
    verbose: o.verbose === true,
    noEpoll: o.epoll === false,
    noPoll: o.poll === false,
    pidfile: o.pidfile,
    maxconn: o.maxconn,
    defaultMaxconn: o.proxyMaxconn,
    memoryLimitMb: o.memoryLimit,
    finishPids: o.finish ?? [],
    terminatePids: o.terminate ?? [],
    masterWorker: o.masterWorker === true || o.systemd === true,
    systemd: o.systemd === true,
    // The environment applies when the flag is absent (log shippers set it once for a unit).
    logFormat: o.logFormat ?? (process.env['TSPROXY_LOG_FORMAT'] === 'json' ? 'json' : 'legacy'),
  };
  return { kind: 'run', options };
}
