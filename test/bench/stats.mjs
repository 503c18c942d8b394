// Small statistics helpers shared by the benchmarks (medians and percentiles, never means alone).
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}
export const median = (values) => percentile(values, 50);
export const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
