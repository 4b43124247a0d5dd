// The health-check state machine (spec §8.1): a pure counter per server that turns a stream of
// check results into UP/DOWN transitions. No timers, no sockets.
//
// The counter runs from 0 to rise+fall-1: values below `rise` mean DOWN, `rise` and above mean UP.
// legacy: a server starts UP with health = rise ("up, but will fall at the first failure"), so the
// first failed check after start marks a fresh server DOWN at once, whatever `fall` says.

export type HealthTransition = 'up' | 'down' | undefined;

export interface HealthStep {
  /** The counter after this check result. */
  readonly health: number;
  /** Set when this result changed the server's state (each change is reported once). */
  readonly transition: HealthTransition;
}

/** The counter of a server that was just started: UP, one failure away from DOWN. */
export function initialHealth(rise: number): number {
  return rise;
}

/** True when the counter means the server is UP. */
export function isHealthUp(health: number, rise: number): boolean {
  return health >= rise;
}

/** Applies one check result to the counter. `rise` and `fall` are >= 1. */
export function applyCheckResult(health: number, ok: boolean, rise: number, fall: number): HealthStep {
  const top = rise + fall - 1;
  if (ok) {
    if (health >= top) return { health: top, transition: undefined };
    const next = health + 1;
    // legacy: reaching `rise` is the DOWN→UP edge; once UP the counter jumps to its top so that
    // `fall` consecutive failures are needed to go DOWN again.
    if (next >= rise) return { health: top, transition: next === rise ? 'up' : undefined };
    return { health: next, transition: undefined };
  }
  if (health > rise) return { health: health - 1, transition: undefined };
  // legacy: only a counter sitting exactly at `rise` was UP; below it the server is already DOWN.
  return { health: 0, transition: health === rise ? 'down' : undefined };
}
