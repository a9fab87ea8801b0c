// The rollout workflow on the time-skipping server, with stub activities over a StubWorld.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTimeSkippingEnv } from '../helpers/temporal.js';
import { breachAt, HEALTHY } from '../helpers/stub-world.js';
import { childStartTimes, REGIONS, request, runRollout } from './harness.js';
import { recordHistories } from './record.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => env?.teardown());

const MIN = 60_000;

describe('strategies', () => {
  it('runs the default delayed 3-region rollout (about 5.5 h of timers) in seconds, one region after another', async () => {
    const started = Date.now();
    const { result, world, handle } = await runRollout(env, request());
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.outcome).toBe('succeeded');
    for (const r of REGIONS) {
      expect(result.regions[r]).toMatchObject({ outcome: 'succeeded', stageReached: 100, liveColour: 'green' });
      expect(world.weights.get(r)).toEqual({ blue: 0, green: 100 });
      expect(world.dns.get(r)).toBe('green');
      expect(world.deployed.get(`${r}/green`)).toBe('v1.12.3');
    }
    // Each region: 50 min of canary + 5 min validation, then a 90-minute observation window.
    const t = await childStartTimes(handle);
    expect(t['eu-west']! - t['us-east']!).toBeGreaterThanOrEqual((50 + 5 + 90) * MIN);
    expect(t['apac-se']! - t['eu-west']!).toBeGreaterThanOrEqual((50 + 5 + 90) * MIN);
    // The observation window kept checking us-east (promoted) before eu-west started.
    expect(world.cards.map((c) => c.kind)).toEqual(['start', 'observation', 'success', 'observation', 'success', 'success', 'summary']);
    expect(world.annotations).toHaveLength(1);
    await recordHistories('delayed-success', env, handle);
  });

  it('sequential starts a region only when the previous one succeeded, with no observation window', async () => {
    const { result, handle } = await runRollout(env, request({ strategy: 'sequential' }));
    expect(result.outcome).toBe('succeeded');
    const t = await childStartTimes(handle);
    expect(t['eu-west']! - t['us-east']!).toBeGreaterThanOrEqual(55 * MIN);
    expect(t['eu-west']! - t['us-east']!).toBeLessThan(60 * MIN);
    expect(t['apac-se']! - t['eu-west']!).toBeLessThan(60 * MIN);
  });

  it('parallel (with the policy met) starts every region at once', async () => {
    const { result, handle } = await runRollout(env, request({ strategy: 'parallel' }), () => ({ delayedRolloutsOnRecord: 5 }));
    expect(result.outcome).toBe('succeeded');
    const t = Object.values(await childStartTimes(handle));
    expect(Math.max(...t) - Math.min(...t)).toBeLessThan(MIN);
  });

  it('timeScale shrinks every wait while the recorded input keeps the real durations', async () => {
    const { result, handle } = await runRollout(env, request({ timeScale: 0.01 }));
    expect(result.outcome).toBe('succeeded');
    const t = await childStartTimes(handle);
    expect(t['eu-west']! - t['us-east']!).toBeLessThan(3 * MIN);
    const desc = await handle.describe();
    expect(desc.status.name).toBe('COMPLETED');
  });
});

describe('breaches roll back only the failing region', () => {
  it.each([10, 25, 50, 75, 100])(
    'a breach at the %d-percent canary stage in eu-west rolls eu-west back; us-east stays, apac-se is skipped',
    async (weight) => {
      // The static judge: today's rule, one reading against the stage's limits.
      const { result, world, handle } = await runRollout(env, request({ strategy: 'sequential', judge: { kind: 'static' } }), () => ({
        metrics: breachAt('eu-west', weight),
      }));
      expect(result.outcome).toBe('partially_succeeded');
      expect(result.regions['us-east']).toMatchObject({ outcome: 'succeeded', liveColour: 'green' });
      expect(result.regions['eu-west']).toMatchObject({ outcome: 'rolled_back', stageReached: weight, liveColour: 'blue' });
      expect(result.regions['eu-west']!.breach).toMatchObject({ metric: 'error_rate', value: 5, phase: `canary ${weight}%` });
      expect(result.regions['eu-west']!.reason).toContain(`error rate 5.00% > `);
      expect(result.regions['eu-west']!.lastMetrics?.errorRatePct).toBe(5);
      expect(result.regions['apac-se']).toMatchObject({ outcome: 'skipped', reason: 'eu-west rolled back' });
      expect(world.weights.get('eu-west')).toEqual({ blue: 100, green: 0 });
      expect(world.weights.get('us-east')).toEqual({ blue: 0, green: 100 });
      expect(world.callsFor('apac-se')).toHaveLength(0);
      // The weight never advanced past the breaching stage.
      const greens = world.callsFor('eu-west', 'setTrafficWeights').map((c) => (c.args as { green: number }).green);
      expect(Math.max(...greens)).toBe(weight);
      expect(greens.at(-1)).toBe(0);
      const rollbackCard = world.cards.find((c) => c.kind === 'rollback');
      expect(rollbackCard).toMatchObject({ region: 'eu-west', breach: { metric: 'error_rate' } });
      expect(world.cards.map((c) => c.kind)).toEqual(expect.arrayContaining(['incident', 'summary']));
      if (weight === 50) await recordHistories('sequential-breach-50', env, handle);
    },
  );

  it('a latency breach during final validation rolls back with the strict final thresholds', async () => {
    const { result } = await runRollout(env, request({ strategy: 'sequential', regions: ['us-east'], judge: { kind: 'static' } }), () => ({
      // 300 ms passes "≤ 300 ms" at canary 100% but fails "< 300 ms" in final validation.
      metrics: () => ({ ...HEALTHY, latencyP95Ms: 300 }),
    }));
    expect(result.outcome).toBe('rolled_back');
    expect(result.regions['us-east']!.breach).toMatchObject({ metric: 'latency', phase: 'final validation' });
  });

  it('a degradation during the delayed observation window rolls that region back (DNS too) and halts the chain', async () => {
    const { result, world } = await runRollout(env, request(), () => ({
      // CPU degrades once us-east's observation window is being watched.
      metrics: (r, _c, w) =>
        r === 'us-east' && w.watching?.ctx.region === 'us-east' && w.watching.phase === 'observation window'
          ? { ...HEALTHY, cpuPct: 97 }
          : HEALTHY,
    }));
    expect(result.regions['us-east']).toMatchObject({ outcome: 'rolled_back', stageReached: 100 });
    expect(result.regions['us-east']!.breach).toMatchObject({ metric: 'cpu', phase: 'observation window' });
    expect(world.dns.get('us-east')).toBe('blue');
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    // Undone in reverse order of doing: DNS (moved last) first, then the traffic.
    const undo = world
      .callsFor('us-east')
      .filter((c) => c.name === 'pointDnsAt' || c.name === 'setTrafficWeights')
      .slice(-2);
    expect(undo.map((c) => [c.name, c.args])).toEqual([
      ['pointDnsAt', { colour: 'blue' }],
      ['setTrafficWeights', { blue: 100, green: 0 }],
    ]);
    expect(result.regions['eu-west']!.outcome).toBe('skipped');
    expect(result.outcome).toBe('rolled_back');
  });

  it('parallel with one failing region leaves the others promoted', async () => {
    const { result, world } = await runRollout(
      env,
      request({ strategy: 'parallel', parallelPolicyOverride: { reason: 'hotfix for incident 4711' } }),
      () => ({
        metrics: breachAt('apac-se', 25, 'latency'),
      }),
    );
    expect(result.outcome).toBe('partially_succeeded');
    expect(result.regions['us-east']!.outcome).toBe('succeeded');
    expect(result.regions['eu-west']!.outcome).toBe('succeeded');
    expect(result.regions['apac-se']).toMatchObject({ outcome: 'rolled_back', stageReached: 25, breach: { metric: 'latency' } });
    expect(world.weights.get('apac-se')).toEqual({ blue: 100, green: 0 });
  });

  it('metrics that stay unavailable after retries roll back: no data is never healthy', async () => {
    const { result, world } = await runRollout(env, request({ regions: ['us-east', 'eu-west'] }), () => ({
      metrics: (r, c, w) => {
        if (r === 'us-east' && c === 'green' && w.weights.get(r)!.green === 25) throw new Error('no data for error_rate');
        return HEALTHY;
      },
    }));
    expect(result.regions['us-east']).toMatchObject({
      outcome: 'rolled_back',
      stageReached: 25,
      breach: { metric: 'metrics_unavailable' },
    });
    expect(result.regions['us-east']!.reason).toContain('no data for error_rate');
    expect(world.callsFor('us-east', 'readMetrics').length).toBeGreaterThan(0);
    expect(result.regions['eu-west']!.outcome).toBe('skipped');
  });

  it('a failed deploy leaves traffic on the stable colour and reports the cause', async () => {
    const { result, world } = await runRollout(env, request({ regions: ['us-east', 'eu-west'] }), () => ({
      onDeploy: (region) => {
        if (region === 'us-east') throw ApplicationFailure.nonRetryable('sha256 mismatch for artifact', 'ChecksumMismatch');
      },
    }));
    expect(result.regions['us-east']).toMatchObject({ outcome: 'rolled_back', stageReached: 0, liveColour: 'blue' });
    expect(result.regions['us-east']!.reason).toContain('sha256 mismatch');
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    expect(world.callsFor('us-east', 'readMetrics')).toHaveLength(0);
    expect(result.regions['eu-west']!.outcome).toBe('skipped');
  });
});

describe('blue/green alternates', () => {
  it('the next rollout deploys to the idle colour and promotes it, leaving the previous one as the rollback target', async () => {
    const first = await runRollout(env, request({ regions: ['us-east'], strategy: 'sequential' }));
    expect(first.world.weights.get('us-east')).toEqual({ blue: 0, green: 100 });
    const second = await runRollout(
      env,
      request({ regions: ['us-east'], strategy: 'sequential', version: 'v1.13.0' }),
      () => ({}),
      first.world,
    );
    expect(second.result.regions['us-east']).toMatchObject({ outcome: 'succeeded', liveColour: 'blue' });
    expect(second.world.deployed.get('us-east/blue')).toBe('v1.13.0');
    expect(second.world.deployed.get('us-east/green')).toBe('v1.12.3');
    expect(second.world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    expect(second.world.dns.get('us-east')).toBe('blue');
  });
});
