// An approval nobody gives in time (issue 14, items 4 and 5): the region posts its own card, and a
// drill (timeScale < 1) shrinks the wait like every other. Time-skipping server: nothing signals.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionWorkflowId } from '../../domain/contract.js';
import { createTimeSkippingEnv } from '../helpers/temporal.js';
import { request, runRollout } from './harness.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => env?.teardown());

/** The region workflow's timers, in minutes of workflow time. */
async function timerMinutes(service: string, region: string): Promise<number[]> {
  const history = await env.client.workflow.getHandle(regionWorkflowId(service, region)).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const t = e.timerStartedEventAttributes?.startToFireTimeout;
    return t ? [(Number(t.seconds ?? 0) + (t.nanos ?? 0) / 1e9) / 60] : [];
  });
}

describe('an approval that times out', () => {
  it('posts a card for its region, naming the roles still missing, and touches nothing', async () => {
    const req = request({
      regions: ['us-east', 'eu-west'],
      strategy: 'sequential',
      approvals: { roles: ['functional', 'sre'], regions: ['eu-west'], timeoutMinutes: 60 },
    });
    const { result, world } = await runRollout(env, req);
    expect(result.regions['eu-west']).toMatchObject({
      outcome: 'aborted',
      reason: 'approval timed out after 60 min (missing: functional, sre)',
    });
    // The region's own cards (the parent's incident card names eu-west too, as before).
    expect(world.cards.filter((c) => c.region === 'eu-west' && c.kind !== 'incident').map((c) => [c.kind, c.title])).toEqual([
      ['approval', 'eu-west waits for approval: functional, sre'],
      ['approval_timeout', 'eu-west approval timed out after 60 min (missing: functional, sre)'],
    ]);
    expect(world.callsFor('eu-west').filter((c) => c.name !== 'notify')).toEqual([]);
    expect(await timerMinutes(req.service, 'eu-west')).toEqual([60]);
  });

  it('in a drill waits the timeout scaled by timeScale, and says so', async () => {
    const req = request({ regions: ['us-east'], timeScale: 0.5, approvals: { roles: ['sre'], timeoutMinutes: 60 } });
    const { result, world } = await runRollout(env, req);
    expect(await timerMinutes(req.service, 'us-east')).toEqual([30]);
    expect(result.regions['us-east']!.reason).toBe('approval timed out after 60 min × time scale 0.5 (missing: sre)');
    expect(world.cards.find((c) => c.kind === 'approval_timeout')?.title).toBe(
      'us-east approval timed out after 60 min × time scale 0.5 (missing: sre)',
    );
  });
});
