// Issue 19: a trickle on the stable colour at 100 % is no baseline. The lab sends, besides its load
// through HAProxy, a few requests a second straight to blue (drained keep-alive clients, a health
// checker counted in http_requests_total); green fails 20 % of its requests only once its weight is
// 100 %. The rollout on the real activities (dev server, SSH, HAProxy, Prometheus) must roll back
// in the 100 % stage: the judge used to wait there for green to prove itself worse than that trickle.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { Colour } from '../../domain/metrics.js';
import type { RolloutResult } from '../../domain/outcome.js';
import { parseWorkerConfig } from '../../activities/config.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { labRollout, REGION, startLabUnderLoad, type LabUnderLoad } from '../helpers/lab-under-load.js';
import { sendRequests } from '../helpers/services.js';
import { devServerEnv, workflowBundle } from '../helpers/temporal.js';
import { uniqueQueue, uniqueService } from '../helpers/ids.js';
import { resultWithin } from '../helpers/workflow-result.js';

const RATE = 120;
/** Straight to blue: under 2 % of the region's requests, well under the 5 % of a live baseline. */
const RESIDUAL = 2;
const TASK_QUEUE = uniqueQueue('meridian-e2e-residual');

let env: TestWorkflowEnvironment;
let world: LabUnderLoad;
let worker: RunningWorker;

beforeAll(async () => {
  [env, world] = await Promise.all([devServerEnv(import.meta.url), startLabUnderLoad('e2e-residual', RATE, { residualRate: RESIDUAL })]);
  const { config } = parseWorkerConfig(world.lab.config, world.lab.secrets);
  [worker] = await Promise.all([
    startWorker({
      config,
      env: world.lab.secrets,
      connection: env.nativeConnection,
      client: env.client,
      namespace: env.namespace!,
      taskQueue: TASK_QUEUE,
      workflowBundle: workflowBundle(),
    }),
    world.baseline(),
  ]);
});

afterAll(async () => {
  await worker?.shutdown();
  await env?.teardown();
  await world?.stop();
});

interface Sample {
  at: number;
  weights: Record<Colour, number>;
  /** Blue's application requests (its http_requests_total) just before and just after the weights were read. */
  blueServed: [number, number];
  /** Load through HAProxy answered by green, and green's failed answers, when the weights were read. */
  green: number;
  greenFailed: number;
}

/** HAProxy's weights every 50 ms, each with blue's request counter around the read. */
function recordWeights(): { samples: Sample[]; stop(): Promise<void> } {
  const { lab, region, load } = world;
  const samples: Sample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const before = region.services.blue.served();
      const weights = await lab.weights(REGION);
      samples.push({
        at: Date.now(),
        weights,
        blueServed: [before, region.services.blue.served()],
        green: load.green,
        greenFailed: load.failed.green,
      });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

describe('a trickle on the stable colour at 100 %', () => {
  it('green failing 20 % from its 100 % stage rolls back in that stage, blue still getting a trickle; traffic back on blue', async () => {
    const { lab, region: labRegion, load } = world;
    const service = uniqueService('checkout-api');
    const version = 'v2.3.0';
    // 3 s canaries, then 12 s at 100 % (the fault's stage).
    const req = labRollout({ service, version, artifact: lab.release(version, { default: { errorRatePct: 20, fromWeightPct: 100 } }) }, [
      { weightPct: 10, maxErrorRatePct: 5, maxLatencyMs: 500, durationMinutes: 1 },
      { weightPct: 50, maxErrorRatePct: 5, maxLatencyMs: 500, durationMinutes: 1 },
      { weightPct: 100, maxErrorRatePct: 5, maxLatencyMs: 500, durationMinutes: 4 },
    ]);
    const weights = recordWeights();
    const handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, {
      taskQueue: TASK_QUEUE,
      workflowId: rolloutWorkflowId(service),
      args: [req],
    });
    const result = await resultWithin<RolloutResult>(env.client, handle, 100_000).finally(() => weights.stop());

    const region = result.regions[REGION]!;
    expect(result.outcome).toBe('rolled_back');
    expect(region).toMatchObject({ outcome: 'rolled_back', stageReached: 100, liveColour: 'blue' });
    expect(region.breach).toMatchObject({ metric: 'error_rate', phase: 'canary 100%', stage: { weightPct: 100 } });
    expect(region.breach!.value).toBeGreaterThan(10);
    // The stage, green's counts in it and what they were held to, and the evidence against its bound.
    expect(region.breach!.cause).toMatch(
      new RegExp(
        String.raw`^error rate above the (limit|stable baseline) at canary 100%: green [\d,]+ errors \/ [\d,]+ — ` +
          String.raw`\d+\.\d\d % against (the 5\.00 % limit|\d+\.\d\d % allowed by blue before), evidence [\d,.e]+ > [\d,.e]+$`,
      ),
    );

    // The fault waited for green's 100 %: no failed answer before, and the agent logged it then.
    const s = weights.samples;
    const at100 = s.findIndex((x) => x.weights.green === 100 && x.weights.blue === 0);
    expect(at100, 'HAProxy seen at green 100 / blue 0').toBeGreaterThan(0);
    expect(s[at100 - 1]!.greenFailed).toBe(0);
    const injection = lab.faults.injections.find((i) => i.region === REGION && i.colour === 'green' && i.version === version);
    expect(injection).toMatchObject({ kind: 'error-rate', value: 20, fromWeightPct: 100 });
    expect(Math.abs(Date.parse(injection!.time) - s[at100]!.at)).toBeLessThan(1_000);

    // While HAProxy sent blue nothing, the trickle still reached it: its request counter grew, by
    // about RESIDUAL a second (no more: none of the load), under 5 % of what green served meanwhile.
    const back = s.findIndex((x, i) => i > at100 && x.weights.blue > 0);
    expect(back, 'HAProxy seen back on blue').toBeGreaterThan(at100);
    const last = s[back - 1]!;
    expect(last.weights).toEqual({ blue: 0, green: 100 });
    const seconds = (last.at - s[at100]!.at) / 1000;
    const trickle = last.blueServed[0] - s[at100]!.blueServed[1];
    const greenServed = last.green - s[at100]!.green;
    expect(seconds).toBeGreaterThan(1);
    expect(trickle).toBeGreaterThan(0);
    expect(trickle).toBeLessThanOrEqual(RESIDUAL * (seconds + 1));
    expect(trickle / (trickle + greenServed)).toBeLessThan(0.05);
    expect(load.residual.errors).toBe(0);

    // Clients are back on blue; the trickle's own connection never moved.
    expect(await lab.weights(REGION)).toEqual({ blue: 100, green: 0 });
    expect(await sendRequests(labRegion.haproxy.url, 30, 5)).toEqual({ blue: 30, green: 0, failed: 0 });
    const card = lab.slack.received.find((d) => d.hook === REGION && (d.payload.text ?? '').includes(`${REGION} rolled back to blue`));
    expect(card?.payload.text).toContain('at canary 100%');
  }, 120_000);
});
