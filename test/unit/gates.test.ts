// Gate decisions as pure functions: no Temporal, no I/O.
import { describe, expect, it } from 'vitest';
import { evaluateGate, unavailableBreach, type Metrics, type Thresholds } from '../../domain/metrics.js';

const reading = (m: Partial<Metrics> = {}): Metrics => ({
  errorRatePct: 0.1,
  latencyP95Ms: 120,
  cpuPct: 40,
  memoryPct: 50,
  sampledAt: '2026-11-26T00:00:00Z',
  ...m,
});
const stage25: Thresholds = { maxErrorRatePct: 0.8, maxLatencyMs: 450, maxCpuPct: 80, maxMemoryPct: 85, comparison: 'atMost' };

describe('evaluateGate', () => {
  it('passes a healthy reading', () => {
    expect(evaluateGate(reading(), stage25, 'canary 25%')).toBeUndefined();
  });

  it('canary stages pass a value equal to the threshold ("≤ 0.8 %")', () => {
    expect(evaluateGate(reading({ errorRatePct: 0.8, latencyP95Ms: 450 }), stage25, 'canary 25%')).toBeUndefined();
  });

  it('final validation needs values strictly below ("< 0.2 %, < 300 ms")', () => {
    const final: Thresholds = { ...stage25, maxErrorRatePct: 0.2, maxLatencyMs: 300, comparison: 'below' };
    expect(evaluateGate(reading({ errorRatePct: 0.1, latencyP95Ms: 299 }), final, 'final validation')).toBeUndefined();
    expect(evaluateGate(reading({ latencyP95Ms: 300 }), final, 'final validation')).toMatchObject({
      metric: 'latency',
      cause: 'p95 latency 300ms ≥ 300ms at final validation',
    });
  });

  it.each([
    [{ errorRatePct: 2.1 }, 'error_rate', 'error rate 2.10% > 0.80% at canary 25%'],
    [{ latencyP95Ms: 451.4 }, 'latency', 'p95 latency 451ms > 450ms at canary 25%'],
    [{ cpuPct: 93 }, 'cpu', 'CPU 93.0% > 80.0% at canary 25%'],
    [{ memoryPct: 90.25 }, 'memory', 'memory 90.3% > 85.0% at canary 25%'],
  ])('names the breached metric, value and threshold: %j', (m, metric, cause) => {
    const breach = evaluateGate(reading(m), stage25, 'canary 25%');
    expect(breach).toMatchObject({ metric, cause, phase: 'canary 25%' });
    expect(breach!.value).toBe(Object.values(m)[0]);
  });

  it('reports error rate first when several metrics breach', () => {
    expect(evaluateGate(reading({ errorRatePct: 5, latencyP95Ms: 900 }), stage25, 'canary 25%')?.metric).toBe('error_rate');
  });

  it('a non-finite reading is a breach, never a pass', () => {
    expect(evaluateGate(reading({ errorRatePct: Number.NaN }), stage25, 'canary 25%')?.metric).toBe('error_rate');
  });

  it('CPU and memory are only gated when both a limit and a reading exist', () => {
    const noResources: Thresholds = { maxErrorRatePct: 1, maxLatencyMs: 500, comparison: 'atMost' };
    expect(evaluateGate(reading({ cpuPct: 99 }), noResources, 'x')).toBeUndefined();
    expect(evaluateGate(reading({ cpuPct: undefined }), stage25, 'x')).toBeUndefined();
  });

  it('unavailable metrics are a breach with the reason', () => {
    expect(unavailableBreach('canary 10%', 'no data for error rate')).toEqual({
      metric: 'metrics_unavailable',
      phase: 'canary 10%',
      cause: 'metrics unavailable at canary 10%: no data for error rate',
    });
  });
});
