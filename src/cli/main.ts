// Entry point of the tsproxy executable: reads the HAProxy-style command line and hands over
// to check mode (-c), version (-v) or the run path (cli/run.ts).
import { readFileSync } from 'node:fs';
import { enableLinearRegexFallback } from '../config/regex.js';
import { parseArgs, usageText, UsageError } from './args.js';
import { runCheck } from './check.js';
import { adoptEarlySignals, type EarlySignalQueue } from './early-signals.js';

const RELEASE_DATE = '2026/11/25';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** `-v`: the version banner, shaped like HAProxy's (version line, copyright line, blank line). */
export function versionText(): string {
  return (
    `tsproxy version ${packageVersion()} ${RELEASE_DATE}\n` +
    `Copyright 2026 the tsproxy authors; a TypeScript implementation of the HA-Proxy 1.1/1.2 configuration and behaviour\n\n`
  );
}

/** `early`: the signals bin/tsproxy caught while the program loaded (cli/early-signals.ts). */
export async function main(argv: readonly string[], early?: EarlySignalQueue): Promise<void> {
  adoptEarlySignals(early);
  // Before any header rule runs: no exponential regex backtracking on hostile header lines.
  enableLinearRegexFallback();
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`tsproxy: ${e.message}\n${usageText()}`);
    process.exitCode = 1;
    return;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(versionText());
    process.exitCode = 0;
    return;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(usageText());
    process.exitCode = 0;
    return;
  }
  const options = parsed.options;
  if (options.check) {
    process.exitCode = runCheck(options);
    return;
  }
  const { run } = await import('./run.js');
  await run(options);
}
