/** The value at quantile `q` (0…1) of ascending `sorted`, by the nearest-rank method. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? Number.NaN;
}

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** Milliseconds between two `process.hrtime.bigint()` readings. */
export function elapsedMs(from: bigint, to: bigint): number {
  return Number(to - from) / 1e6;
}

/** Each statistic's median over several summaries (of repeated measurements). */
export function medianSummary(summaries: readonly Summary[]): Summary | null {
  if (summaries.length === 0) return null;
  const median = (pick: (summary: Summary) => number) =>
    quantile(
      summaries.map(pick).sort((a, b) => a - b),
      0.5,
    );
  return {
    count: median((summary) => summary.count),
    min: median((summary) => summary.min),
    p50: median((summary) => summary.p50),
    p99: median((summary) => summary.p99),
    max: median((summary) => summary.max),
  };
}
