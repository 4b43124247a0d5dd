// Entry point of the tsproxy executable: reads the HAProxy-style command line and hands over
// to check mode (-c), version (-v) or the run path (cli/run.ts).
export async function main(argv: readonly string[]): Promise<void> {
  void argv;
  process.stderr.write('tsproxy: not built yet\n');
  process.exitCode = 1;
}
