// The region checks that its metrics can be judged (checkMetrics) before its first change, on the
// time-skipping server with stub activities: a refusal stops that region before any deploy.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTimeSkippingEnv } from '../helpers/temporal.js';
import { quick, QUICK_STAGES, runRollout } from './harness.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => env?.teardown());

const REFUSAL =
  'the latency histogram http_request_duration_seconds of blue in us-east ' +
  '(regions.us-east.metrics.counts.latencyHistogram) has no le="+Inf" bucket';

describe('checkMetrics before the first change', () => {
  it('a region whose histogram cannot be judged fails before any deploy or weight change, naming the field; the next skipped', async () => {
    const checked: Record<string, number[]> = {};
    const { result, world } = await runRollout(env, quick({ strategy: 'sequential', regions: ['us-east', 'eu-west'] }), () => ({
      onCheckMetrics: (region, limits) => {
        checked[region] = limits;
        throw ApplicationFailure.create({ type: 'ConfigurationError', message: REFUSAL, nonRetryable: true });
      },
    }));
    expect(checked).toEqual({ 'us-east': QUICK_STAGES.map((s) => s.maxLatencyMs) });
    expect(result.regions['us-east']).toMatchObject({ outcome: 'rolled_back', stageReached: 0, liveColour: 'blue' });
    expect(result.regions['us-east']!.reason).toContain(REFUSAL);
    expect(world.callsFor('us-east', 'deploy')).toHaveLength(0);
    // Nothing changed, so its rollback has nothing to undo: not even a weight restated.
    expect(world.callsFor('us-east', 'setTrafficWeights')).toHaveLength(0);
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    expect(result.regions['eu-west']!.outcome).toBe('skipped');
  });
});
