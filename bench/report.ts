// Small pieces the Temporal benchmarks share: options, percentiles and a markdown table.

/** `--name N`: a positive integer option, or the fallback. */
export function intOption(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} needs a positive integer`);
  return value;
}

/** Nearest-rank percentile (p in 0–100) of a non-empty list. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) throw new Error('percentile of no values');
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** A markdown table (what docs/BENCHMARKS.md carries). */
export function table(cols: string[], rows: (string | number)[][]): string {
  const line = (r: (string | number)[]) => `| ${r.join(' | ')} |`;
  return [line(cols), line(cols.map(() => '---')), ...rows.map(line)].join('\n');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A short random suffix, so a bench's workflow IDs never collide with an earlier run's. */
export const runTag = (): string => Math.random().toString(36).slice(2, 7);
