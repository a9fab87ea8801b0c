// The original gate as a judge (kind 'static'): one rate-window reading against the stage's limits,
// and the CPU and memory gates the sequential judge keeps on the same reading.
import type { JudgeEvidence, JudgeVerdict } from './judge-evidence.js';
import { evaluateGate, type Breach, type Colour, type Metrics, type Thresholds } from './metrics.js';

/** Error rate and latency are judged on counts; the reading keeps today's CPU and memory gates. */
export function resourceBreach(reading: Metrics, t: Thresholds, phase: string): Breach | undefined {
  return evaluateGate({ ...reading, errorRatePct: 0, latencyP95Ms: 0 }, { ...t, maxErrorRatePct: Infinity, maxLatencyMs: Infinity }, phase);
}

export function gateEvidence(test: 'resource' | 'static', breach: Breach): JudgeEvidence {
  const metric = breach.metric === 'metrics_unavailable' ? 'error_rate' : breach.metric;
  return { test, metric, statistic: breach.value ?? 0, bound: breach.threshold ?? 0, text: breach.cause };
}

/** Today's rule exactly: evaluateGate on one rate-window reading; never inconclusive. */
export function staticVerdict(p: { phase: string; thresholds: Thresholds }, reading: Metrics | undefined, candidate: Colour): JudgeVerdict {
  if (!reading) throw new Error('judge: the static judge needs the rate-window reading');
  const breach = evaluateGate(reading, p.thresholds, p.phase);
  if (breach) return { status: 'breach', phase: p.phase, evidence: gateEvidence('static', breach), breach };
  const t = p.thresholds;
  const text =
    `${candidate} error rate ${reading.errorRatePct.toFixed(2)}%, p95 latency ${Math.round(reading.latencyP95Ms)}ms ` +
    `within ${t.maxErrorRatePct.toFixed(2)}%, ${Math.round(t.maxLatencyMs)}ms`;
  return {
    status: 'healthy',
    phase: p.phase,
    evidence: { test: 'static', metric: 'error_rate', statistic: reading.errorRatePct, bound: t.maxErrorRatePct, text },
  };
}
