// On the dev server (real time): approvers come from the worker's config (workerSetup), never the
// rollout input. The rollout and its region refuse a name not on the role's list and one person
// approving two roles of a region; the caller's Temporal identity is in history beside the update.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { Client, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { regionWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import { approveSignal, approveUpdate, regionStatusQuery, type ApproveRequest } from '../../workflows/messages.js';
import { devServerEnv } from '../helpers/temporal.js';
import { resultWithin } from '../helpers/workflow-result.js';
import { StubWorld } from '../helpers/stub-world.js';
import { QUICK_STAGES, request, workerOn } from './harness.js';

const world = new StubWorld(['us-east'], {}, { sre: ['alice', 'bob'], functional: ['carol', 'bob'] });
let env: TestWorkflowEnvironment;
beforeAll(async () => void (env = await devServerEnv(import.meta.url)));
afterAll(() => env?.teardown());

const answer = (handle: WorkflowHandle, req: ApproveRequest) =>
  handle.executeUpdate(approveUpdate, { args: [req] }).then(
    (state) => state,
    (e: WorkflowUpdateFailedError) => e.cause?.message,
  );

it("takes only the worker's listed approvers, one role per person, and history names the caller", async () => {
  const worker = await Worker.create({ ...workerOn(env), taskQueue: 'approvers', activities: world.activities() });
  await worker.runUntil(approvals);
});

async function approvals(): Promise<void> {
  const req = request({
    regions: ['us-east'],
    strategy: 'sequential',
    approvals: { roles: ['functional', 'sre'] },
    stages: QUICK_STAGES,
    checkIntervalSeconds: 60,
    timeScale: 0.002,
  });
  const handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, {
    taskQueue: 'approvers',
    workflowId: rolloutWorkflowId(req.service),
    args: [req],
  });
  const us = (role: string, approver: string) => ({ region: 'us-east', role, approver });

  expect(await answer(handle, us('sre', 'mallory'))).toBe(
    `"mallory" is not an approver for role "sre" (approvers.sre in the worker's config)`,
  );
  // bob approves as sre from a client of his own: the update ID in the answer points at history's record of him.
  const bobs = new Client({ connection: env.connection, namespace: env.namespace, identity: 'bob@meridian-test' });
  const state = await bobs.workflow.getHandle(handle.workflowId).executeUpdate(approveUpdate, { args: [us('sre', 'bob')] });
  expect(state).toMatchObject({ approvedBy: { sre: 'bob' }, pending: ['functional'] });
  const accepted = (await handle.fetchHistory())
    .events!.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta)
    .find((m) => m?.updateId === state.updateIds?.sre);
  expect(accepted?.identity).toBe('bob@meridian-test');
  expect(await answer(handle, us('functional', 'bob'))).toBe(
    '"bob" already approved us-east as sre: one person cannot approve two roles of a region',
  );

  // The region checks a direct approval the same way: refused by update, ignored by signal.
  const child = env.client.workflow.getHandle(regionWorkflowId(req.service, 'us-east'));
  await expect
    .poll(async () => (await child.query(regionStatusQuery).catch(() => undefined))?.approvals?.pending, { timeout: 10_000 })
    .toEqual(['functional']);
  expect(await answer(child, us('functional', 'bob'))).toBe(
    '"bob" already approved us-east as sre: one person cannot approve two roles of a region',
  );
  expect(await answer(child, us('functional', 'mallory'))).toBe(
    `"mallory" is not an approver for role "functional" (approvers.functional in the worker's config)`,
  );
  await child.signal(approveSignal, us('functional', 'mallory'));
  expect(world.callsFor('us-east', 'deploy')).toHaveLength(0);

  // A listed person opens the gate (the first approval of a role counts, so mallory's signal did not).
  expect(await answer(handle, us('functional', 'carol'))).toMatchObject({ approvedBy: { sre: 'bob', functional: 'carol' }, pending: [] });
  expect(await resultWithin<RolloutResult>(env.client, handle)).toMatchObject({ outcome: 'succeeded' });
  expect(world.callsFor('us-east', 'deploy')).toHaveLength(1);
  expect((await child.query(regionStatusQuery)).approvals).toMatchObject({ approvedBy: { sre: 'bob', functional: 'carol' }, pending: [] });
}

it("an approval sent before the worker's first task of the rollout is answered: handlers come before the request is parsed", async () => {
  const early = new StubWorld(['us-east'], {}, { sre: ['alice'] });
  const req = request({
    regions: ['us-east'],
    strategy: 'sequential',
    approvals: { roles: ['sre'] },
    stages: QUICK_STAGES,
    checkIntervalSeconds: 60,
    timeScale: 0.002,
  });
  const handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, {
    taskQueue: 'approvers-early',
    workflowId: rolloutWorkflowId(req.service),
    args: [req],
  });
  // No worker yet: the updates wait at the server and come with the rollout's first task, before
  // the worker parsed the request; the unknown region is refused against the request as stated.
  const refused = answer(handle, { region: 'mars', role: 'sre', approver: 'alice' });
  const answered = answer(handle, { region: 'us-east', role: 'sre', approver: 'alice' });
  await new Promise((r) => setTimeout(r, 500));
  const worker = await Worker.create({ ...workerOn(env), taskQueue: 'approvers-early', activities: early.activities() });
  await worker.runUntil(async () => {
    expect(await refused).toBe('unknown region "mars" (regions: us-east)');
    expect(await answered).toMatchObject({ approvedBy: { sre: 'alice' }, pending: [] });
    expect(JSON.stringify((await handle.fetchHistory()).events)).not.toContain('mars');
    expect(await resultWithin<RolloutResult>(env.client, handle)).toMatchObject({ outcome: 'succeeded' });
  });
});
