// Metric readings and gate decisions: data plus pure functions, tested without Temporal.

export type Colour = 'blue' | 'green';
export const otherColour = (c: Colour): Colour => (c === 'blue' ? 'green' : 'blue');

/** One reading of a colour's health in a region. Percentages are 0–100. */
export interface Metrics {
  errorRatePct: number;
  latencyP95Ms: number;
  cpuPct?: number;
  memoryPct?: number;
  /** ISO time the reading was taken (from the activity, not the workflow clock). */
  sampledAt: string;
}

export interface Thresholds {
  maxErrorRatePct: number;
  maxLatencyMs: number;
  maxCpuPct?: number;
  maxMemoryPct?: number;
  /** 'atMost' passes value == max (canary stages: "≤ 1.0 %"); 'below' needs value < max (final validation). */
  comparison: 'atMost' | 'below';
}

export type BreachMetric = 'error_rate' | 'latency' | 'cpu' | 'memory' | 'metrics_unavailable';

export interface Breach {
  metric: BreachMetric;
  /** Where the breach was seen: "canary 25%", "final validation", "observation window". */
  phase: string;
  value?: number;
  threshold?: number;
  /** The cause as the cards print it, e.g. "error rate 2.10% > 1.00% at canary 25%". */
  cause: string;
  /** The stage whose limits applied (the last stage for validation and observation). */
  stage?: { label: string; weightPct: number };
}

const UNITS: Record<Exclude<BreachMetric, 'metrics_unavailable'>, { label: string; fmt: (n: number) => string }> = {
  error_rate: { label: 'error rate', fmt: (n) => `${n.toFixed(2)}%` },
  latency: { label: 'p95 latency', fmt: (n) => `${Math.round(n)}ms` },
  cpu: { label: 'CPU', fmt: (n) => `${n.toFixed(1)}%` },
  memory: { label: 'memory', fmt: (n) => `${n.toFixed(1)}%` },
};

function breached(value: number, max: number, comparison: Thresholds['comparison']): boolean {
  return !Number.isFinite(value) || (comparison === 'atMost' ? value > max : value >= max);
}

/** The first breach in the reading, or undefined when every gate passes. */
export function evaluateGate(metrics: Metrics, t: Thresholds, phase: string): Breach | undefined {
  const checks: [Exclude<BreachMetric, 'metrics_unavailable'>, number | undefined, number | undefined][] = [
    ['error_rate', metrics.errorRatePct, t.maxErrorRatePct],
    ['latency', metrics.latencyP95Ms, t.maxLatencyMs],
    ['cpu', metrics.cpuPct, t.maxCpuPct],
    ['memory', metrics.memoryPct, t.maxMemoryPct],
  ];
  for (const [metric, value, threshold] of checks) {
    if (threshold === undefined || value === undefined) continue;
    if (breached(value, threshold, t.comparison)) {
      const u = UNITS[metric];
      const op = t.comparison === 'atMost' ? '>' : '≥';
      return { metric, phase, value, threshold, cause: `${u.label} ${u.fmt(value)} ${op} ${u.fmt(threshold)} at ${phase}` };
    }
  }
  return undefined;
}

/** Metrics that could not be read after retries: never healthy. */
export function unavailableBreach(phase: string, reason: string): Breach {
  return { metric: 'metrics_unavailable', phase, cause: `metrics unavailable at ${phase}: ${reason}` };
}
