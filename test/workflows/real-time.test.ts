// On the dev server (real time), where the time-skipping server falls short: approval updates and a
// terminated region child. The approval update's validator rejects unknown regions and roles with a
// reason the caller sees; the gate holds the deploy until every role approved.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { regionWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import { approveSignal, approveUpdate, regionStatusQuery } from '../../workflows/messages.js';
import { bundleWorkflows, createDevServerEnv } from '../helpers/temporal.js';
import { StubWorld } from '../helpers/stub-world.js';
import { request } from './harness.js';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const world = new StubWorld(['us-east', 'eu-west']);
const quickStages = [10, 50, 100].map((weightPct) => ({ weightPct, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 1 }));

beforeAll(async () => {
  const [e, bundle] = await Promise.all([createDevServerEnv(), bundleWorkflows()]);
  env = e;
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'updates', workflowBundle: bundle, activities: world.activities() });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

it('validates approvals before history records them and answers with what is still pending', async () => {
  const handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, {
    taskQueue: 'updates',
    workflowId: 'rollout-approvals-svc',
    args: [
      request({
        service: 'approvals-svc',
        regions: ['us-east', 'eu-west'],
        strategy: 'sequential',
        approvals: { roles: ['functional', 'sre'], regions: ['us-east'] },
        // Real time here: at timeScale 0.002 a 60 s check interval is 120 ms: one check per stage.
        stages: quickStages,
        checkIntervalSeconds: 60,
        timeScale: 0.002,
      }),
    ],
  });
  const reject = (args: { region: string; role: string; approver: string }) =>
    handle.executeUpdate(approveUpdate, { args: [args] }).then(
      () => 'accepted',
      (e: WorkflowUpdateFailedError) => e.cause?.message,
    );
  expect(await reject({ region: 'mars', role: 'sre', approver: 'eve' })).toBe('unknown region "mars" (regions: us-east, eu-west)');
  expect(await reject({ region: 'us-east', role: 'intern', approver: 'eve' })).toBe('role "intern" is not required (required: functional, sre)');
  expect(await reject({ region: 'eu-west', role: 'sre', approver: 'eve' })).toBe('region eu-west has no approval gate');
  expect(await reject({ region: 'us-east', role: 'sre', approver: ' ' })).toBe('approver must name a person');

  const state = await handle.executeUpdate(approveUpdate, { args: [{ region: 'us-east', role: 'functional', approver: 'alice' }] });
  expect(state).toEqual({ region: 'us-east', required: ['functional', 'sre'], approvedBy: { functional: 'alice' }, pending: ['sre'] });
  const child = env.client.workflow.getHandle(regionWorkflowId('approvals-svc', 'us-east'));
  await expect.poll(async () => (await child.query(regionStatusQuery)).approvals?.pending, { timeout: 10_000 }).toEqual(['sre']);
  expect(world.callsFor('us-east', 'deploy')).toHaveLength(0);
  // Rejected approvals left no trace in history.
  const history = JSON.stringify((await handle.fetchHistory()).events);
  expect(history).not.toContain('intern');
  expect(history).not.toContain('mars');

  // The last role opens the gate: the region deploys and goes on; eu-west has no gate.
  await handle.signal(approveSignal, { region: 'us-east', role: 'sre', approver: 'bob' });
  const result = (await handle.result()) as { outcome: string; regions: Record<string, { outcome: string }> };
  expect(result.outcome).toBe('succeeded');
  expect(world.callsFor('us-east', 'deploy')).toHaveLength(1);
  expect(world.cards.filter((c) => c.kind === 'approval').map((c) => c.region)).toEqual(['us-east']);
  expect((await child.query(regionStatusQuery)).approvals).toMatchObject({ approvedBy: { functional: 'alice', sre: 'bob' }, pending: [] });
});

it('a region workflow that is terminated stops the chain, and the rollout still reports', async () => {
  const handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, {
    taskQueue: 'updates',
    workflowId: 'rollout-dies-svc',
    args: [request({ service: 'dies-svc', regions: ['us-east', 'eu-west'], strategy: 'sequential', stages: quickStages, checkIntervalSeconds: 60, timeScale: 0.002 })],
  });
  const child = env.client.workflow.getHandle(regionWorkflowId('dies-svc', 'us-east'));
  await expect.poll(async () => (await child.query(regionStatusQuery).catch(() => undefined))?.phase, { timeout: 20_000 }).toMatch(/canary|validating/);
  await child.terminate('operator terminated it');
  const result = (await handle.result()) as { outcome: string; regions: Record<string, { outcome: string; reason?: string }> };
  expect(result.outcome).toBe('aborted');
  expect(result.regions['us-east']!.reason).toMatch(/^region workflow failed: .*terminated/i);
  expect(result.regions['eu-west']).toMatchObject({ outcome: 'skipped', reason: 'us-east aborted' });
  expect(world.cards.filter((c) => c.service === 'dies-svc').map((c) => c.kind).slice(-2)).toEqual(['incident', 'summary']);
});
