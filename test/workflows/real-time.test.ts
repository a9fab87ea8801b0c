// On the dev server (real time), where the time-skipping server falls short: approval updates and a
// terminated region child. The approval update's validator rejects unknown regions and roles with a
// reason the caller sees; the gate holds the deploy until every role approved.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { regionWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import { approveSignal, approveUpdate, regionStatusQuery, rolloutStatusQuery, type RolloutStatus } from '../../workflows/messages.js';
import { devServerEnv } from '../helpers/temporal.js';
import { resultWithin } from '../helpers/workflow-result.js';
import { StubWorld } from '../helpers/stub-world.js';
import { QUICK_STAGES, request, workerOn } from './harness.js';
import { startRollout } from '../../client/rollouts.js';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const world = new StubWorld(['us-east', 'eu-west']);

beforeAll(async () => {
  env = await devServerEnv(import.meta.url);
  worker = await Worker.create({ ...workerOn(env), taskQueue: 'updates', activities: world.activities() });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

/** Two regions in sequence; real time, at timeScale 0.002 a 60 s check interval is 120 ms: one check per stage. */
const TWO_REGIONS_QUICK = () => ({
  regions: ['us-east', 'eu-west'],
  strategy: 'sequential' as const,
  stages: QUICK_STAGES,
  checkIntervalSeconds: 60,
  timeScale: 0.002,
});

/** Starts the rollout as `temporal workflow start` would: the request as given, on this file's queue. */
const startOnUpdates = (req: ReturnType<typeof request>) =>
  env.client.workflow.start(WORKFLOW_TYPES.rollout, { taskQueue: 'updates', workflowId: rolloutWorkflowId(req.service), args: [req] });

it('validates approvals before history records them and answers with what is still pending', async () => {
  const req = request({
    regions: ['us-east', 'eu-west'],
    strategy: 'sequential',
    approvals: { roles: ['functional', 'sre'], regions: ['us-east'] },
    // Real time here: at timeScale 0.002 a 60 s check interval is 120 ms: one check per stage.
    stages: QUICK_STAGES,
    checkIntervalSeconds: 60,
    timeScale: 0.002,
  });
  const handle = await startOnUpdates(req);
  const reject = (args: { region: string; role: string; approver: string }) =>
    handle.executeUpdate(approveUpdate, { args: [args] }).then(
      () => 'accepted',
      (e: WorkflowUpdateFailedError) => e.cause?.message,
    );
  expect(await reject({ region: 'mars', role: 'sre', approver: 'eve' })).toBe('unknown region "mars" (regions: us-east, eu-west)');
  expect(await reject({ region: 'us-east', role: 'intern', approver: 'eve' })).toBe(
    'role "intern" is not required (required: functional, sre)',
  );
  expect(await reject({ region: 'eu-west', role: 'sre', approver: 'eve' })).toBe('region eu-west has no approval gate');
  expect(await reject({ region: 'us-east', role: 'sre', approver: ' ' })).toBe('approver must name a person');

  const state = await handle.executeUpdate(approveUpdate, { args: [{ region: 'us-east', role: 'functional', approver: 'alice' }] });
  expect(state).toEqual({
    region: 'us-east',
    required: ['functional', 'sre'],
    approvedBy: { functional: 'alice' },
    pending: ['sre'],
    updateIds: { functional: expect.any(String) },
  });
  const child = env.client.workflow.getHandle(regionWorkflowId(req.service, 'us-east'));
  await expect.poll(async () => (await child.query(regionStatusQuery)).approvals?.pending, { timeout: 10_000 }).toEqual(['sre']);
  expect(world.callsFor('us-east', 'deploy')).toHaveLength(0);
  // Rejected approvals left no trace in history.
  const history = JSON.stringify((await handle.fetchHistory()).events);
  expect(history).not.toContain('intern');
  expect(history).not.toContain('mars');

  // The last role opens the gate: the region deploys and goes on; eu-west has no gate.
  await handle.signal(approveSignal, { region: 'us-east', role: 'sre', approver: 'bob' });
  const result = await resultWithin<RolloutResult>(env.client, handle);
  expect(result.outcome).toBe('succeeded');
  expect(world.callsFor('us-east', 'deploy')).toHaveLength(1);
  expect(world.cards.filter((c) => c.kind === 'approval').map((c) => c.region)).toEqual(['us-east']);
  expect((await child.query(regionStatusQuery)).approvals).toMatchObject({ approvedBy: { functional: 'alice', sre: 'bob' }, pending: [] });
});

it('a region workflow that is terminated stops the chain, and the rollout still reports', async () => {
  const req = request(TWO_REGIONS_QUICK());
  const handle = await startOnUpdates(req);
  const child = env.client.workflow.getHandle(regionWorkflowId(req.service, 'us-east'));
  await expect
    .poll(async () => (await child.query(regionStatusQuery).catch(() => undefined))?.phase, { timeout: 20_000 })
    .toMatch(/canary|validating/);
  await child.terminate('operator terminated it');
  const result = await resultWithin<RolloutResult>(env.client, handle);
  expect(result.outcome).toBe('aborted');
  expect(result.regions['us-east']!.reason).toMatch(/^region workflow failed: .*terminated/i);
  expect(result.regions['eu-west']).toMatchObject({ outcome: 'skipped', reason: 'us-east aborted' });
  expect(
    world.cards
      .filter((c) => c.service === req.service)
      .map((c) => c.kind)
      .slice(-2),
  ).toEqual(['incident', 'summary']);
});

it('answers a status query while the parallel policy check is still in flight', async () => {
  const req = request({ regions: ['us-east'], strategy: 'parallel', stages: QUICK_STAGES, checkIntervalSeconds: 60, timeScale: 0.002 });
  let seen: RolloutStatus | undefined;
  world.hooks = {
    delayedRolloutsOnRecord: 5,
    onPolicyCheck: async () => {
      seen = await env.client.workflow.getHandle(rolloutWorkflowId(req.service)).query(rolloutStatusQuery);
    },
  };
  const handle = await startOnUpdates(req);
  const result = await resultWithin<RolloutResult>(env.client, handle);
  world.hooks = {};
  expect(seen).toMatchObject({ service: req.service, strategy: 'parallel', regions: { 'us-east': { phase: 'pending' } } });
  expect(result.outcome).toBe('succeeded');
});

it('reads in the Web UI like meridian status: static summaries and details, live current details', async () => {
  const req = request(TWO_REGIONS_QUICK());
  const { workflowId } = await startRollout(env.client, req, { taskQueue: 'updates' });
  const parent = env.client.workflow.getHandle(workflowId);
  const desc = await parent.describe();
  expect(await desc.staticSummary()).toBe(`Rollout ${req.service} v1.12.3 (sequential) — drill`);
  expect(await desc.staticDetails()).toContain(`**${req.service} v1.12.3**, sequential: us-east → eu-west`);
  const child = env.client.workflow.getHandle(regionWorkflowId(req.service, 'us-east'));
  await expect
    .poll(
      async () => (await parent.query<{ currentDetails: string }>('__temporal_workflow_metadata').catch(() => undefined))?.currentDetails,
      { timeout: 20_000 },
    )
    .toMatch(/us-east: (running|succeeded)/);
  const childDesc = await child.describe();
  expect(await childDesc.staticSummary()).toBe(`${req.service} v1.12.3 in us-east (1 of 2, sequential)`);
  expect(await resultWithin<RolloutResult>(env.client, parent)).toMatchObject({ outcome: 'succeeded' });
  const done = await parent.query<{ currentDetails: string }>('__temporal_workflow_metadata');
  expect(done.currentDetails).toBe('us-east: succeeded\n\neu-west: succeeded');
  // The promoted colour is the one idle before: it depends on this file's earlier rollouts in us-east.
  const { blue, green } = world.weights.get('us-east')!;
  expect([blue, green].sort()).toEqual([0, 100]);
  const [promoted, idle] = green === 100 ? ['green', 'blue'] : ['blue', 'green'];
  expect((await child.query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails).toMatch(
    new RegExp(`^\\*\\*us-east\\*\\* v1\\.12\\.3: succeeded · stage 100% · candidate ${promoted} 100 % / stable ${idle} 0 %`),
  );
});
