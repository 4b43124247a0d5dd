#!/usr/bin/env node
// Renders docs/tsproxy.1 (the tsproxy(1) man page) from the command-line option table that
// `tsproxy --help` and the argument parser use (buildProgram() and usageText() in
// src/cli/args.ts, compiled to dist/). Run after `npm run build`:
//   node scripts/gen-man.mjs           writes docs/tsproxy.1
//   node scripts/gen-man.mjs --check   exits 1 when docs/tsproxy.1 is out of date
// Each option's flag, value name and one-line summary come from the table; the longer text
// below only adds detail. A detail entry for a flag the table no longer has is an error, so
// the page cannot silently drift from the program.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const target = fileURLToPath(new URL('docs/tsproxy.1', root));
const { buildProgram, usageText } = await import(new URL('dist/src/cli/args.js', root).href);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

/** Longer explanations, keyed by the legacy flag the option table names first in its summary. */
const DETAIL = {
  '-f': 'Read the configuration from this file. Mandatory. Several \\fB-f\\fR options are read in order, as one configuration.',
  '-c': 'Check mode: parse and validate the configuration, print \\fBConfiguration file is valid : \\fIfile\\fR on success (unless quiet), and exit 0; print the errors and exit 1 otherwise. Nothing is bound and no privileges change, so it is safe before every reload and in CI.',
  '-D': 'Daemon mode: detach into the background once the listeners are bound. Implies \\fB-q\\fR. The \\fBdaemon\\fR keyword in the \\fBglobal\\fR section does the same.',
  '-db': 'Stay in the foreground even when the configuration says \\fBdaemon\\fR or \\fBquiet\\fR (for service managers and containers).',
  '-d': 'Debug mode: stay in the foreground and print connection events and every header line on standard output.',
  '-q': 'Quiet: print no messages (alerts during startup still appear).',
  '-V': 'Verbose: print messages even when \\fB-q\\fR or \\fBquiet\\fR is in effect.',
  '-de': 'Accepted for compatibility (legacy HAProxy: disable epoll); has no effect.',
  '-dp': 'Accepted for compatibility (legacy HAProxy: disable poll); has no effect.',
  '-n': 'Global connection limit; overrides \\fBmaxconn\\fR of the \\fBglobal\\fR section. Default 2000.',
  '-N': 'Connection limit of each proxy that sets no \\fBmaxconn\\fR of its own. Default 2000.',
  '-p': 'Write the process ID(s) to this file (in daemon and master-worker modes); overrides \\fBpidfile\\fR of the \\fBglobal\\fR section.',
  '-m': 'Limit the memory the process may use, in megabytes.',
  '-sf': 'Hot reconfiguration: start, take over the listening ports of the old processes named by the remaining arguments (which must come last), then tell them to finish their sessions and exit (SIGUSR1). If the new process cannot start, the old ones carry on.',
  '-st': 'As \\fB-sf\\fR, but the old processes are terminated at once (SIGTERM) instead of finishing their sessions.',
  '-W': 'Master-worker mode: a master process holds the listening sockets and runs a worker; \\fBSIGUSR2\\fR to the master reloads the configuration without closing the listeners.',
  '-Ws': 'Master-worker mode that also notifies systemd (\\fBType=notify\\fR).',
  '--log-format': 'Format of the process messages on standard error: \\fBlegacy\\fR (HAProxy\'s \\fB[ALERT] DDD/HHMMSS (pid) : message\\fR lines) or \\fBjson\\fR (one JSON object per line).',
};

const esc = (s) => String(s).replace(/\\/g, '\\\\').replace(/-/g, '\\-').replace(/^\./, '\\&.').replace(/^'/, "\\&'");
/** Text that may already hold roff font escapes (\fB…\fR): only hyphens are escaped. */
const roff = (s) => s.replace(/(^|[^\\])-/g, '$1\\-').replace(/(^|[^\\])-/g, '$1\\-');

const rows = [];
const known = new Set();
for (const option of buildProgram().options) {
  const m = /^(-[A-Za-z]+): (.*)$/.exec(option.description);
  const value = /<([^>]+)>/.exec(option.flags)?.[1];
  const legacy = m ? m[1] : option.long;
  const summary = m ? m[2] : option.description;
  const extra = legacy === '-sf' || legacy === '-st' ? ' ...' : '';
  const choices = option.argChoices ? ` (${option.argChoices.join(', ')}${option.defaultValue !== undefined ? `; default ${option.defaultValue}` : ''})` : '';
  known.add(legacy);
  rows.push({ legacy, value, extra, summary: summary + choices });
}
const stale = Object.keys(DETAIL).filter((flag) => !known.has(flag));
if (stale.length) {
  process.stderr.write(`gen-man: the option table no longer has ${stale.join(', ')}; update DETAIL in scripts/gen-man.mjs\n`);
  process.exit(1);
}

const optionText = rows
  .map((r) => {
    const head = `.TP\n.B ${esc(r.legacy)}${r.value ? ` \\fI${esc(r.value)}\\fR${r.extra ? esc(r.extra) : ''}` : ''}`;
    const body = DETAIL[r.legacy] ? `${roff(DETAIL[r.legacy])}` : esc(r.summary.charAt(0).toUpperCase() + r.summary.slice(1) + '.');
    return `${head}\n${body}`;
  })
  .join('\n');

const usage = usageText().replace(/\n+$/, '').split('\n').map(esc).join('\n');

const page = `.\\" Generated by scripts/gen-man.mjs from src/cli/args.ts (the --help option table). Do not edit.
.TH TSPROXY 1 "" "tsproxy ${esc(pkg.version)}" "User Commands"
.SH NAME
tsproxy \\- a drop\\-in replacement for legacy HAProxy (1.1/1.2 configuration grammar)
.SH SYNOPSIS
.B tsproxy
${esc(buildProgram().usage())}
.br
.B tsproxy \\-v
.br
.B tsproxy \\-\\-help
.SH DESCRIPTION
.B tsproxy
reads a legacy HAProxy configuration file (the \\fBglobal\\fR, \\fBdefaults\\fR and \\fBlisten\\fR
sections of HAProxy 1.1 and 1.2) and runs the TCP and HTTP proxies it describes: load balancing,
cookie persistence, health checks, header rules and syslog logging, with the same command line,
the same signals, the same log lines and the same bytes on the wire as HAProxy.
Single-letter flags are recognised the legacy way: by their first letter(s), with any value in the
next argument.
.SH OPTIONS
.TP
.B \\-v
Print the version and exit 0 (any flag starting with \\fB\\-v\\fR does the same).
.TP
.B \\-\\-help
Print the usage text below on standard output and exit 0.
${optionText}
.PP
The usage text, as printed for a bad command line (on standard error, exit 1):
.PP
.nf
${usage}
.fi
.SH SIGNALS
.TP
.B SIGUSR1
Soft stop: close the listeners, let the sessions in progress finish (within \\fBgrace\\fR), then exit 0.
.TP
.BR SIGTERM ", " SIGINT
Stop at once.
.TP
.B SIGTTOU
Pause: release the listening ports (used by a new process during \\fB\\-sf\\fR/\\fB\\-st\\fR).
.TP
.B SIGTTIN
Resume after \\fBSIGTTOU\\fR: listen again.
.TP
.B SIGHUP
Log the state of every server.
.TP
.B SIGUSR2
In master\\-worker mode (\\fB\\-W\\fR), reload the configuration.
.SH EXIT STATUS
0 after \\fB\\-v\\fR, \\fB\\-\\-help\\fR, a valid \\fB\\-c\\fR check, or a soft stop; 1 for a bad command line, an invalid
configuration, or a startup failure (a port that cannot be bound, a pidfile that cannot be written).
.SH EXAMPLES
Check a configuration, then run it in the background with a pidfile:
.PP
.nf
tsproxy \\-c \\-f /etc/tsproxy/tsproxy.cfg
tsproxy \\-D \\-p /run/tsproxy.pid \\-f /etc/tsproxy/tsproxy.cfg
.fi
.PP
Reload after editing the file, without refusing connections:
.PP
.nf
tsproxy \\-c \\-f /etc/tsproxy/tsproxy.cfg && \\e
  tsproxy \\-D \\-p /run/tsproxy.pid \\-f /etc/tsproxy/tsproxy.cfg \\-sf $(cat /run/tsproxy.pid)
.fi
.PP
keepalived, checking that the proxy runs (the process is named \\fBtsproxy\\fR; see examples/keepalived/keepalived.conf):
.PP
.nf
vrrp_script chk_tsproxy {
    script "/usr/bin/killall \\-0 tsproxy"
    interval 1
    fall 2
    rise 2
    weight 2
}
.fi
.SH FILES
.TP
.I /etc/tsproxy/tsproxy.cfg
A usual place for the configuration; tsproxy has no default and always needs \\fB\\-f\\fR.
.TP
.I examples/
The architecture guide's configurations, ready to run, in the package.
.SH SEE ALSO
.BR haproxy (1),
.BR keepalived (8).
The documentation in \\fIdocs/\\fR: getting\\-started.md, configuration.md, operations.md,
high\\-availability.md, logging.md, compatibility.md.
`;

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    /* missing: out of date */
  }
  if (current !== page) {
    process.stderr.write('gen-man: docs/tsproxy.1 is out of date; run: npm run build && node scripts/gen-man.mjs\n');
    process.exit(1);
  }
  process.stdout.write('gen-man: docs/tsproxy.1 is up to date\n');
} else {
  writeFileSync(target, page);
  process.stdout.write(`gen-man: wrote ${target}\n`);
}
