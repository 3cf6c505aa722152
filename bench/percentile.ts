/** The q-quantile (0–1) of ascending `sorted` numbers, to a tenth: the nearest-rank method. */
export function percentile(sorted: readonly number[], q: number): number {
  return Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1));
}
