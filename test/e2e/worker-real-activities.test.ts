// The rollout workflow on the REAL activities (createActivities via startWorker): SSH deploy into a
// real sshd, HAProxy weights over its runtime API, Prometheus gates on real request rates, the
// Pushgateway, Slack/Teams/Cloudflare/Grafana stand-ins. Dev server, real time, timeScale 0.05.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import { parseWorkerConfig } from '../../activities/config.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { labRollout, REGION, startLabUnderLoad, type LabUnderLoad } from '../helpers/lab-under-load.js';
import { sendRequests, waitUntil } from '../helpers/services.js';
import { devServerEnv, workflowBundle } from '../helpers/temporal.js';
import { uniqueService } from '../helpers/ids.js';
import { resultWithin } from '../helpers/workflow-result.js';

const SERVICE = 'checkout-api';
const TASK_QUEUE = 'meridian-e2e-real';

let env: TestWorkflowEnvironment;
let world: LabUnderLoad;
let worker: RunningWorker;

beforeAll(async () => {
  // Clients keep calling through HAProxy for the whole file; blue needs a baseline before the first gate.
  [env, world] = await Promise.all([devServerEnv(import.meta.url), startLabUnderLoad('e2e-real')]);
  const { lab } = world;
  const { config } = parseWorkerConfig(lab.config, lab.secrets);
  [worker] = await Promise.all([
    startWorker({
      config,
      env: lab.secrets,
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

function rollout(service: string, version: string, errorRatePct: number): Promise<RolloutResult> {
  // 1-minute stages: 3 s each; the judge needs 100 requests a stage before it calls one healthy,
  // and bets once per poll, so a stage needs a few polls.
  const req = labRollout(
    { service, version, artifact: world.lab.release(version, { default: { errorRatePct } }) },
    [
      { weightPct: 10, maxErrorRatePct: 5, maxLatencyMs: 500, durationMinutes: 1 },
      { weightPct: 50, maxErrorRatePct: 5, maxLatencyMs: 500, durationMinutes: 1 },
      { weightPct: 100, maxErrorRatePct: 5, maxLatencyMs: 500, durationMinutes: 1 },
    ],
    { minRequests: 100 },
  );
  return env.client.workflow
    .start(WORKFLOW_TYPES.rollout, { taskQueue: TASK_QUEUE, workflowId: rolloutWorkflowId(service), args: [req] })
    .then((h) => resultWithin<RolloutResult>(env.client, h, 100_000));
}

async function stageOutcomes(version: string): Promise<string> {
  const text = await (await fetch(`${world.lab.pushgateway.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('meridian_stage_outcome{') && l.includes(`version="${version}"`) && l.endsWith(' 1'))
    .join('\n');
}

describe('rollout on real activities', () => {
  it('B: green serving 20 % errors is rolled back at the first stage; HAProxy holds blue 100 / green 0', async () => {
    const { lab, region: labRegion } = world;
    const service = uniqueService(SERVICE);
    const result = await rollout(service, 'v2.0.1', 20);
    const region = result.regions[REGION]!;
    expect(result.outcome).toBe('rolled_back');
    expect(region.outcome).toBe('rolled_back');
    expect(region.stageReached).toBe(10);
    expect(region.breach).toMatchObject({ metric: 'error_rate', phase: 'canary 10%' });
    expect(region.breach!.value).toBeGreaterThan(5);

    // Real traffic now goes to blue only.
    expect(await sendRequests(labRegion.haproxy.url, 30, 5)).toEqual({ blue: 30, green: 0, failed: 0 });
    // The release really reached green over SSH (its restart applied 20 % errors); DNS never moved.
    expect((await sendRequests(labRegion.services.green.url, 10, 1)).failed).toBe(2);
    expect(lab.cloudflare.requests.filter((r) => r.method !== 'GET')).toEqual([]);

    const rollbackCard = lab.slack.received.find(
      (d) => d.hook === REGION && (d.payload.text ?? '').includes(`${REGION} rolled back to blue`),
    );
    expect(rollbackCard, 'rollback card in the regional Slack channel').toBeDefined();
    // The judge's evidence: green's and blue's counts since the stage began, the statistic and its bound.
    expect(rollbackCard!.payload.text).toMatch(
      /error rate (regression|above the limit) at canary 10%: green \d+ errors \/ \d+ .*evidence [\d,.e+]+ (&gt;|>) [\d,.e+]+/,
    );
    expect(lab.slack.received.some((d) => d.hook === 'global' && /rolled back/.test(d.payload.text ?? ''))).toBe(true);
    expect(await stageOutcomes('v2.0.1')).toMatch(/outcome="rolled_back".*region="us-east"|region="us-east".*outcome="rolled_back"/);
    expect(lab.grafana.annotations.some((a) => a.tags.includes('outcome:rolled_back') && a.tags.includes(`service:${service}`))).toBe(true);
  }, 150_000);

  it('A: healthy green passes every gate and is promoted; HAProxy holds green 100 / blue 0', async () => {
    // B's errors must leave Prometheus' 10 s rate window before green is judged again.
    const { lab, region: labRegion, load } = world;
    await waitUntil(
      'green errors to age out of the rate window',
      async () => (await lab.observedErrorRate(REGION, 'green')) === undefined,
      30_000,
      500,
    );
    const before = { ...load };
    const result = await rollout(uniqueService(SERVICE), 'v2.0.0', 0);
    const region = result.regions[REGION]!;
    expect(result.outcome).toBe('succeeded');
    expect(region).toMatchObject({ outcome: 'succeeded', stageReached: 100, liveColour: 'green' });
    expect(region.lastMetrics!.errorRatePct).toBe(0);

    expect(await sendRequests(labRegion.haproxy.url, 30, 5)).toEqual({ blue: 0, green: 30, failed: 0 });
    // Clients were served throughout: green took part of the live traffic during the canary.
    expect(load.green - before.green).toBeGreaterThan(20);
    expect(load.errors).toBe(0);

    const cardTexts = lab.slack.received.filter((d) => d.hook === REGION).map((d) => d.payload.text ?? '');
    expect(cardTexts.some((t) => /promoted v2\.0\.0/.test(t))).toBe(true);
    expect(lab.teams.received.length).toBeGreaterThan(0);
    expect(await stageOutcomes('v2.0.0')).toMatch(/promoted/);
    // DNS now points at green: the Cloudflare stand-in took an authorised edit.
    expect(lab.cloudflare.requests.some((r) => r.method === 'PATCH' && r.authorized && r.status === 200)).toBe(true);
  }, 150_000);
});
