// The canary judge inside a real rollout (dev server, scaled time, stub traffic): green is judged
// against blue, so a regression rolls back with its evidence, an incident on both colours does not,
// and thin traffic pauses the region for a person instead of guessing.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionWorkflowId } from '../../domain/contract.js';
import { abortSignal, regionStatusQuery } from '../../workflows/messages.js';
import { devServerEnv } from '../helpers/temporal.js';
import { HEALTHY } from '../helpers/stub-world.js';
import { quick, runRollout } from './harness.js';
import { summariesOf } from '../helpers/workflow-result.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServerEnv(import.meta.url);
});
afterAll(async () => env?.teardown());

describe.concurrent('sequential judge', () => {
  it("rolls back a green 12× worse than blue that every static limit lets through, with both colours' figures", async () => {
    // Green at 0.6 % errors, blue at 0.05 %: under the 1 % stage limit, so the static rule passes it.
    const { result, world } = await runRollout(env, quick({ regions: ['us-east'] }), () => ({
      metrics: (_r, colour) => ({ ...HEALTHY, errorRatePct: colour === 'green' ? 0.6 : 0.05 }),
    }));
    const region = result.regions['us-east']!;
    expect(region).toMatchObject({ outcome: 'rolled_back', breach: { metric: 'error_rate' } });
    // Caught during the canary, before green took all the traffic; the breach names its stage.
    expect(region.stageReached).toBeLessThan(100);
    expect(region.breach!.stage?.weightPct).toBe(region.stageReached);
    expect(region.reason).toMatch(
      /green [\d,]+ errors \/ [\d,]+ vs blue [\d,.]+ \/ [\d,]+ — 0\.60 % vs 0\.05 %, evidence [\d,.e+]+ > [\d,.e+]+/,
    );
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    expect(world.cards.find((c) => c.kind === 'rollback')?.cause).toContain('vs blue');
  });

  it('promotes through an incident that hits both colours alike', async () => {
    const { result } = await runRollout(env, quick({ regions: ['us-east'] }), () => ({
      metrics: () => ({ ...HEALTHY, errorRatePct: 0.9 }),
    }));
    expect(result.regions['us-east']).toMatchObject({ outcome: 'succeeded', stageReached: 100 });
  });

  it('too little traffic is inconclusive: the region pauses with a card, holding its weight, until an operator acts', async () => {
    const req = quick({ regions: ['us-east'] });
    const { result, world } = await runRollout(env, req, (ref) => ({
      requestsPerPoll: 20,
      onNotify: async (card) => {
        if (card.kind !== 'paused') return;
        const status = await env.client.workflow.getHandle(regionWorkflowId(req.service, 'us-east')).query(regionStatusQuery);
        expect(status).toMatchObject({ paused: true, stage: '10%', weights: { green: 10 } });
        expect(status.pauseReason).toMatch(/inconclusive after .* at canary 10%: green served \d+ requests in this period, 50 needed/);
        expect(status.verdict?.phase).toBe('canary 10%');
        // The Web UI's view: the region's current details say the same.
        const meta = await env.client.workflow
          .getHandle(regionWorkflowId(req.service, 'us-east'))
          .query<{ currentDetails: string }>('__temporal_workflow_metadata');
        expect(meta.currentDetails).toContain('**us-east** v1.12.3: canary · stage 10% · candidate green 10 % / stable blue 90 %');
        expect(meta.currentDetails).toMatch(/paused: inconclusive after .* \(resume or abort\)/);
        expect(meta.currentDetails).toMatch(/judge at canary 10%: green .* vs blue/);
        await ref.handle!.signal(abortSignal, { reason: 'not enough traffic to judge' });
      },
    }));
    expect(world.cards.filter((c) => c.kind === 'paused').map((c) => c.region)).toEqual(['us-east']);
    expect(result.regions['us-east']).toMatchObject({ outcome: 'aborted', reason: 'not enough traffic to judge', stageReached: 10 });
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    // Activities and timers carry summaries the Web UI shows in the timeline.
    const summaries = await summariesOf(env.client, regionWorkflowId(req.service, 'us-east'));
    expect(summaries).toEqual(
      expect.arrayContaining(['us-east: deploy v1.12.3 to green', 'us-east: green → 10 %', 'us-east: blue → 100 %']),
    );
    expect(summaries.some((x) => /^us-east canary 10%: watch \d+ s$/.test(x))).toBe(true);
  });
});
