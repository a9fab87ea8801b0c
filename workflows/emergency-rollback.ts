// Emergency rollback of one region, usable when no rollout is running: traffic and DNS to the
// stable colour, then a card and an annotation. Mirrors the original's emergency-rollback.yml.
import { workflowInfo } from '@temporalio/workflow';
import { regionTaskQueue } from '../domain/contract.js';
import type { Colour } from '../domain/metrics.js';
import { weightsFor } from '../domain/plan.js';
import type { ChangeReport, RegionContext } from '../domain/ports.js';
import { regionActivities, rolloutActivities } from './activity-stubs.js';

export interface EmergencyRollbackInput {
  service: string;
  region: string;
  reason: string;
  /** The colour to serve from; blue unless said otherwise. */
  toColour?: Colour;
  dryRun?: boolean;
  /** Run the region's activities on its own worker (task queue <queue>-<region>). */
  regionTaskQueue?: boolean;
}

export interface EmergencyRollbackResult {
  region: string;
  liveColour: Colour;
  traffic: ChangeReport;
  dns: ChangeReport;
}

export async function emergencyRollback(input: EmergencyRollbackInput): Promise<EmergencyRollbackResult> {
  const to = input.toColour ?? 'blue';
  const ctx: RegionContext = {
    correlationId: workflowInfo().workflowId,
    service: input.service,
    region: input.region,
    dryRun: Boolean(input.dryRun),
  };
  const acts = regionActivities(input.regionTaskQueue ? regionTaskQueue(workflowInfo().taskQueue, input.region) : undefined);
  const traffic = await acts.setTrafficWeights(ctx, weightsFor(to, 100));
  const dns = await acts.pointDnsAt(ctx, to);
  const reporting = rolloutActivities();
  const card = { correlationId: ctx.correlationId, service: input.service, version: 'current', region: input.region, dryRun: ctx.dryRun };
  await reporting
    .notify({
      ...card,
      kind: 'rollback',
      title: `Emergency rollback: ${input.region} to ${to}`,
      cause: input.reason,
      impact: `${input.region}: 100% of traffic to ${to}`,
    })
    .catch(() => undefined);
  await reporting
    .annotate({
      correlationId: ctx.correlationId,
      service: input.service,
      version: 'current',
      region: input.region,
      outcome: 'emergency_rollback',
      text: `Emergency rollback of ${input.region} to ${to}: ${input.reason}`,
    })
    .catch(() => undefined);
  return { region: input.region, liveColour: to, traffic, dns };
}
