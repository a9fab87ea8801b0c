// One card of every kind, with the data the workflow fills in, for the card and notify tests.
import type { Card, CardKind } from '../../domain/ports.js';
import type { CardLinks } from '../../activities/cards.js';

export const LINKS: CardLinks = {
  grafanaDashboardUrl: 'https://grafana.example.test/d/meridian-region-canary?var-service={service}&var-region={region}',
  logsUrl: 'https://logs.example.test/search?q=correlation_id%3D{correlationId}',
};

const base = { correlationId: 'rollout-checkout', service: 'checkout', version: 'v1.12.3' } as const;
const thresholds = { maxErrorRatePct: 1, maxLatencyMs: 500 };
const healthy = { errorRatePct: 0.42, latencyP95Ms: 180, sampledAt: '2025-01-01T10:00:00Z' };
const breach = {
  metric: 'error_rate',
  phase: 'canary 25%',
  value: 2.1,
  threshold: 1,
  cause: 'error rate 2.10% > 1.00% at canary 25%',
} as const;

export const CARDS: Record<CardKind, Card> = {
  host_out: {
    ...base,
    kind: 'host_out',
    title: 'us-east: green-2 taken out at canary 25%',
    region: 'us-east',
    stage: 'canary 25%',
    cause:
      'far worse than its siblings at canary 25%: errors 41 / 310 — 13.23 % vs its 2 siblings 3 / 640 — 0.47 %, ' +
      'over 3× theirs with evidence 1,204 > 300',
    outOfService: [{ host: 'green-2', healthy: false, reason: 'far worse than its siblings at canary 25%' }],
  },
  paused: {
    ...base,
    kind: 'paused',
    title: 'eu-west paused: the canary judge cannot decide at canary 10%',
    region: 'eu-west',
    stage: 'canary 10%',
    cause: 'inconclusive after 10 min at canary 10%: green served 21 requests in this period, 50 needed',
  },
  start: { ...base, kind: 'start', title: 'Rollout of checkout v1.12.3 started', impact: 'us-east, eu-west in sequence', thresholds },
  observation: {
    ...base,
    kind: 'observation',
    title: 'Canary 25% observing in eu-west',
    region: 'eu-west',
    stage: 'canary 25%',
    impact: 'eu-west: 25% of traffic on v1.12.3 for 2 min',
    metrics: healthy,
    thresholds,
  },
  success: {
    ...base,
    kind: 'success',
    title: 'checkout v1.12.3 promoted in us-east',
    region: 'us-east',
    stage: 'final validation',
    impact: 'us-east: 100% of traffic on v1.12.3',
    metrics: healthy,
    thresholds,
  },
  rollback: {
    ...base,
    kind: 'rollback',
    title: 'Rolled back eu-west to blue',
    region: 'eu-west',
    stage: 'canary 25%',
    impact: 'eu-west: 25% of traffic on v1.12.3 for 2 min',
    breach,
    metrics: { errorRatePct: 2.1, latencyP95Ms: 210, sampledAt: '2025-01-01T10:05:00Z' },
    thresholds,
  },
  incident: {
    ...base,
    kind: 'incident',
    title: 'Rollback of eu-west failed: manual action needed',
    region: 'eu-west',
    stage: 'canary 50%',
    impact: 'eu-west: 50% of traffic on v1.12.3',
    cause: 'latency spike: p95 latency 620ms > 500ms at canary 50%; haproxy unreachable during rollback',
    breach: { metric: 'latency', phase: 'canary 50%', value: 620, threshold: 500, cause: 'p95 latency 620ms > 500ms at canary 50%' },
    metrics: { errorRatePct: 0.5, latencyP95Ms: 620, sampledAt: '2025-01-01T10:07:00Z' },
    thresholds,
    outcome: 'aborted',
    regions: {
      'us-east': { outcome: 'succeeded', stageReached: 100 },
      'eu-west': { outcome: 'aborted', stageReached: 50, reason: 'rollback failed' },
    },
  },
  summary: {
    ...base,
    kind: 'summary',
    title: 'Rollout of checkout v1.12.3 partially succeeded',
    outcome: 'partially_succeeded',
    regions: {
      'us-east': { outcome: 'succeeded', stageReached: 100 },
      'eu-west': { outcome: 'rolled_back', stageReached: 25, reason: 'error rate 2.10% > 1.00% at canary 25%' },
      'ap-south': { outcome: 'skipped', stageReached: 0, reason: 'halted after eu-west rolled back' },
    },
  },
  approval: {
    ...base,
    kind: 'approval',
    title: 'Approve eu-west rollout of checkout v1.12.3',
    region: 'eu-west',
    stage: 'before canary',
    impact: 'eu-west: 0% of traffic until approved',
    thresholds,
  },
  approval_timeout: {
    ...base,
    kind: 'approval_timeout',
    title: 'eu-west approval timed out after 240 min (missing: sre)',
    region: 'eu-west',
    impact: 'eu-west: not deployed, traffic unchanged',
  },
};

export const KINDS = Object.keys(CARDS) as CardKind[];
