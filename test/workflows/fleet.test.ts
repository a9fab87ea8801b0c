// A colour as a fleet of hosts, in the workflow: a host that fails its deploy is taken out of the
// balancer and named in status and cards, fewer healthy hosts than the policy's minimum fail the
// region before any traffic moves, and a minimum no fleet can meet is refused at admission.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostOutcome } from '../../domain/fleet.js';
import { regionWorkflowId } from '../../domain/contract.js';
import { regionStatusQuery } from '../../workflows/messages.js';
import { createTimeSkippingEnv } from '../helpers/temporal.js';
import { HEALTHY } from '../helpers/stub-world.js';
import { quick, runRollout } from './harness.js';
import { recordHistories } from './record.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => env?.teardown());

/** Three green hosts; the ones named fail their health check. */
const greenFleet =
  (...failing: string[]) =>
  (_region: string, colour: string): HostOutcome[] =>
    [1, 2, 3].map((n) => {
      const host = `${colour}-${n}`;
      return failing.includes(host) ? { host, healthy: false, reason: 'not healthy within 120s after restart' } : { host, healthy: true };
    });

describe('fleets', () => {
  it('a host fails under a 66 % minimum: out of the balancer, named in status and cards; the region promotes', async () => {
    let status: unknown;
    const req = quick({ regions: ['us-east'], deployPolicy: { minimumHealthy: '66%', batchSize: 1 } });
    const { result, world } = await runRollout(env, req, () => ({
      fleet: greenFleet('green-2'),
      onSetWeights: async (region, w) => {
        if (w.green === 50) status = await env.client.workflow.getHandle(regionWorkflowId(req.service, region)).query(regionStatusQuery);
      },
    }));
    expect(result.outcome).toBe('succeeded');
    const sets = world.callsFor('us-east', 'setTrafficWeights').map((c) => c.args as { green: number; outOfService?: string[] });
    expect(sets.map((s) => s.green)).toEqual([10, 25, 50, 75, 100]);
    expect(sets.every((s) => s.outOfService?.join() === 'green-2')).toBe(true);
    expect(status).toMatchObject({ outOfService: [{ host: 'green-2', healthy: false, reason: 'not healthy within 120s after restart' }] });
    const success = world.cards.find((c) => c.kind === 'success');
    expect(success?.outOfService?.map((h) => h.host)).toEqual(['green-2']);
    expect(world.callsFor('us-east', 'deploy')).toHaveLength(1);
  });

  it('two of three fail under the default minimum (all): the region fails before traffic moves, naming each', async () => {
    const req = quick({ regions: ['us-east', 'eu-west'], strategy: 'sequential' });
    const { result, world } = await runRollout(env, req, () => ({ fleet: greenFleet('green-1', 'green-3') }));
    expect(result.outcome).toBe('rolled_back');
    const region = result.regions['us-east']!;
    expect(region.outcome).toBe('rolled_back');
    expect(region.reason).toContain('1 of 3 hosts healthy, 3 needed');
    expect(region.reason).toContain('green-1 (not healthy within 120s after restart); green-3 (not healthy within 120s after restart)');
    expect(region.stageReached).toBe(0);
    // No weight gave green traffic; the only change put (kept) all of it on blue.
    expect(world.callsFor('us-east', 'setTrafficWeights').map((c) => (c.args as { green: number }).green)).toEqual([0]);
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    expect(result.regions['eu-west']).toMatchObject({ outcome: 'skipped' });
    expect(world.callsFor('eu-west', 'deploy')).toHaveLength(0);
    const rollback = world.cards.find((c) => c.kind === 'rollback');
    expect(rollback?.cause).toContain('green-1');
  });

  // Ten green hosts: green-4 fails 2 % of its requests, its siblings 0.05 %; the colour (0.25 %) is no worse than blue (0.3 %).
  const tenHosts = (_region: string, colour: string): HostOutcome[] =>
    Array.from({ length: 10 }, (_, i) => ({ host: `${colour}-${i + 1}`, healthy: true }));
  const greenFourBad = {
    fleet: tenHosts,
    // Enough requests that a host's errors are whole numbers: 1,000 per host and check interval at 10 %.
    requestsPerPoll: 100_000,
    hostErrorPct: (_region: string, host: string) => (host === 'green-4' ? 2 : undefined),
    metrics: (_region: string, colour: string) => ({ ...HEALTHY, errorRatePct: colour === 'blue' ? 0.3 : 0.05 }),
  };

  it('a host far worse than its siblings is taken out mid-stage with its numbers; the stage goes on without it; promoted', async () => {
    const req = quick({ regions: ['us-east'], deployPolicy: { minimumHealthy: '80%' } });
    const { result, world, handle } = await runRollout(env, req, () => greenFourBad);
    expect(result.outcome).toBe('succeeded');
    await recordHistories('fleet-host-out', env, handle);
    const sets = world.callsFor('us-east', 'setTrafficWeights').map((c) => c.args as { green: number; outOfService?: string[] });
    // Taken out at the 10 % stage: the same weight again, without green-4; every later change leaves it out.
    const at = sets.findIndex((s) => s.outOfService?.includes('green-4'));
    expect(sets[at]).toEqual({ blue: 90, green: 10, outOfService: ['green-4'] });
    expect(sets[at - 1]).toEqual({ blue: 90, green: 10 });
    expect(sets.slice(at).every((s) => s.outOfService?.join() === 'green-4')).toBe(true);
    expect(sets.map((s) => s.green)).toEqual([10, 10, 25, 50, 75, 100]);
    const card = world.cards.find((c) => c.kind === 'host_out');
    expect(card).toMatchObject({ title: 'us-east: green-4 taken out at canary 10%', stage: 'canary 10%' });
    expect(card?.cause).toMatch(/^far worse than its siblings at canary 10%: errors [\d,]+ \/ [\d,]+ — 2\.00 % vs its 9 siblings/);
    expect(result.regions['us-east']?.outOfService).toEqual([{ host: 'green-4', healthy: false, reason: card?.cause }]);
  });

  it('a host taken out below the minimum healthy (all ten): the region rolls back, naming the host and the minimum', async () => {
    const req = quick({ regions: ['us-east'] });
    const { result, world } = await runRollout(env, req, () => greenFourBad);
    expect(result.regions['us-east']).toMatchObject({ outcome: 'rolled_back', stageReached: 10 });
    expect(result.regions['us-east']?.reason).toMatch(
      /^host green-4 far worse than its siblings at canary 10%: errors .*; 9 of 10 hosts healthy, 10 needed: green-4/,
    );
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    expect(world.cards.some((c) => c.kind === 'host_out')).toBe(false);
  });

  it("a minimum healthy count above a colour's hosts is refused at admission, naming the field, before any change", async () => {
    const req = quick({ regions: ['us-east'], deployPolicy: { minimumHealthy: 5 } });
    const run = runRollout(env, req, () => ({ fleetSizes: { 'us-east': { blue: 3, green: 3 } } }));
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toContain('deployPolicy.minimumHealthy: 5 hosts, but blue in us-east has 3');
  });
});
