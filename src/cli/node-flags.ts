// V8 flags every serving process runs with. A proxy's garbage is almost all short-lived (one
// request's objects), and a small young generation keeps it in cache: with Node's default
// (semi-spaces growing to 16 MB) the close-mode benchmark peaked at 116 MB RSS, with 2 MB at 70 MB,
// and CPU per request did not rise (docs/performance.md). bin/tsproxy's shebang passes the same
// flag; this module makes sure the processes we spawn ourselves have it even when the user
// started `node bin/tsproxy` without it. A flag the user gave (or NODE_OPTIONS) wins.
export const YOUNG_GENERATION_FLAG = '--max-semi-space-size=2';

/** `execArgv` plus our heap flags where the user did not set them. */
export function withHeapFlags(execArgv: readonly string[]): string[] {
  const out = [...execArgv];
  const fromEnv = process.env.NODE_OPTIONS ?? '';
  if (!out.some((a) => a.startsWith('--max-semi-space-size')) && !fromEnv.includes('--max-semi-space-size')) out.push(YOUNG_GENERATION_FLAG);
  return out;
}
