// Weighted round-robin server map (spec §7.1, 1.2.12+): the rotation order is precomputed
// once per server-state change as an array of positions, which the balancer walks.
// Pure functions, no state.

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/**
 * Builds the map for servers with these weights (all > 0), returning indexes into `weights`.
 * Weights are divided by their GCD; the map length is their sum. For each slot every server
 * adds its weight to a running score and the one with the highest `(score + total) / total`
 * (integer division, first declared on ties) takes the slot and loses `total`.
 */
export function buildServerMap(weights: readonly number[]): number[] {
  const n = weights.length;
  if (n === 0) return [];
  let g = 0;
  for (const w of weights) g = gcd(w, g);
  if (g <= 0) g = 1;
  const norm = weights.map((w) => Math.max(1, Math.floor(w / g)));
  let total = 0;
  for (const w of norm) total += w;
  const score = new Array<number>(n).fill(0);
  const map = new Array<number>(total);
  for (let slot = 0; slot < total; slot++) {
    let best = -1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      score[i]! += norm[i]!;
      // legacy: C integer division truncates towards zero
      const v = Math.trunc((score[i]! + total) / total);
      if (best < 0 || v > max) {
        max = v;
        best = i;
      }
    }
    map[slot] = best;
    score[best]! -= total;
  }
  return map;
}
