/** The most timestamps (sorted, ms) inside any half-open window [t, t + windowMs). */
export function worstWindow(sorted: number[], windowMs: number): number {
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
