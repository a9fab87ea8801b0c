// How every rollout ends, whatever happened: an incident card when a region failed, the global
// summary card and a Grafana annotation. Best effort: a failed report never fails the rollout.
import type { RolloutResult } from '../domain/outcome.js';
import type { Card } from '../domain/ports.js';

export type RolloutCard = (c: Omit<Card, 'correlationId' | 'service' | 'version' | 'dryRun'>) => Promise<unknown>;

/** `release` is "<service> <version>", as the cards' titles name it. */
export async function reportOutcome(
  release: string,
  result: RolloutResult,
  card: RolloutCard,
  annotate: () => Promise<void>,
): Promise<void> {
  const outcome = result.outcome.replace('_', ' ');
  const summary = Object.fromEntries(
    Object.entries(result.regions).map(([r, v]) => [
      r,
      { outcome: v.outcome, reason: v.reason, stageReached: v.stageReached, ...(v.candidate ? { candidate: v.candidate } : {}) },
    ]),
  );
  const failed = Object.entries(result.regions).filter(
    ([, r]) => r.outcome === 'rolled_back' || r.outcome === 'aborted' || r.rollbackError,
  );
  if (failed.length) {
    const [region, first] = failed[0]!;
    await card({
      kind: 'incident',
      title: `Incident: ${release} ${outcome}`,
      region,
      stage: first.breach?.phase,
      cause: failed.map(([r, v]) => `${r}: ${v.reason ?? v.outcome}`).join('; '),
      breach: first.breach,
      metrics: first.lastMetrics,
      ...(first.candidate ? { candidate: first.candidate } : {}),
      outcome: result.outcome,
      regions: summary,
    });
  }
  await card({ kind: 'summary', title: `${release}: ${outcome}`, outcome: result.outcome, regions: summary });
  await annotate().catch(() => undefined);
}
