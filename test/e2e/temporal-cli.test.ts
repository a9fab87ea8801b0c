// The raw `temporal` CLI commands the docs show (client/temporal-cli-commands.ts), run through a
// shell exactly as listed, against a dev server with the real workflows over a stub world.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { regionWorkflowId, rolloutWorkflowId } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import type { RolloutRequest } from '../../domain/rollout-input.js';
import type { RolloutStatus } from '../../workflows/messages.js';
import { fillCommand, TEMPORAL_CLI_COMMANDS, type TemporalCliCommand } from '../../client/temporal-cli-commands.js';
import { eventually, HOLD_AT_10, ServiceWorlds, sh, SHA, startCliBench, type CliBench } from './cli-harness.js';

let bench: CliBench;
let env: TestWorkflowEnvironment;
const worlds = new ServiceWorlds(['us-east', 'eu-west']);
const taskQueue = `meridian-temporal-cli-${process.pid}`;
const service = 'payments-api';

beforeAll(async () => {
  bench = await startCliBench(import.meta.url, taskQueue, worlds.activities());
  env = bench.env;
});

afterAll(async () => bench?.stop());

/** The JSON the temporal CLI prints on one line of its text output ("QueryResult  {…}", "Result  {…}"). */
function jsonIn<T>(out: string): T {
  const line = out.split('\n').find((l) => /^\s*\w+\s+\{/.test(l));
  if (!line) throw new Error(`no JSON in: ${out}`);
  return JSON.parse(line.slice(line.indexOf('{'))) as T;
}

async function run(name: TemporalCliCommand['name'], extra: { inputJson?: string } = {}) {
  const r = await sh(fillCommand(name, { service, taskQueue, ...extra }), bench.shellEnv, 60_000);
  if (r.code !== 0) throw new Error(`${name} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

// The rollout sits at 10 % while the commands run; the cancel then rolls it back at once.
const input: RolloutRequest = {
  service,
  version: 'v1.12.3',
  artifact: { url: 'https://artifacts.example/payments-api-v1.12.3.tgz', sha256: SHA },
  regions: ['us-east', 'eu-west'],
  strategy: 'sequential',
  ...HOLD_AT_10,
};

it('the documented list holds every command the docs need, each naming the rollout workflow by its public id', () => {
  expect(TEMPORAL_CLI_COMMANDS.map((c) => c.name)).toEqual(['start', 'status', 'pause', 'resume', 'cancel', 'result', 'list']);
  for (const c of TEMPORAL_CLI_COMMANDS) expect(c.command).toMatch(/^temporal workflow /);
  expect(fillCommand('pause', { service: 'x-api' })).toBe(`temporal workflow signal --workflow-id rollout-x-api --name pause --input '{}'`);
  expect(() => fillCommand('start', { service, taskQueue, inputJson: `{"a":"it's"}` })).toThrow(/shell/);
  expect(() => fillCommand('start', { service })).toThrow(/<task-queue>/);
});

it('start, pause, query, resume and cancel with the temporal CLI: paused shows, cancel rolls us-east back to blue', async () => {
  const world = worlds.world(service);
  const started = await run('start', { inputJson: JSON.stringify(input) });
  // A second start of the running rollout starts nothing and does not fail: it answers with the
  // running execution (exit 0) and drops its input, as the docs warn (the status below keeps v1.12.3).
  const again = await run('start', { inputJson: JSON.stringify({ ...input, version: 'v9.9.9' }) });
  const runId = (out: string) => /RunId\s+(\S+)/.exec(out)?.[1];
  expect(runId(again)).toBeDefined();
  expect(runId(again)).toBe(runId(started));
  await eventually(() => (world.weights.get('us-east')?.green === 10 ? true : undefined), 'us-east at the 10% stage');

  await run('pause');
  const paused = await eventually(async () => {
    const status = jsonIn<RolloutStatus>(await run('status'));
    return status.paused ? status : undefined;
  }, 'status query showing paused');
  expect(paused).toMatchObject({ service, version: 'v1.12.3', strategy: 'sequential', cancelled: false });
  expect(paused.regions).toEqual({
    'us-east': { phase: 'running', workflowId: regionWorkflowId(service, 'us-east') },
    'eu-west': { phase: 'pending', workflowId: regionWorkflowId(service, 'eu-west') },
  });
  const child = env.client.workflow.getHandle(regionWorkflowId(service, 'us-east'));
  expect((await child.query<{ paused: boolean }>('status')).paused).toBe(true); // the parent forwarded the pause

  await run('resume');
  await eventually(async () => (jsonIn<RolloutStatus>(await run('status')).paused ? undefined : true), 'status query showing resumed');
  await eventually(async () => ((await child.query<{ paused: boolean }>('status')).paused ? undefined : true), 'us-east resumed');

  await run('cancel');
  const printed = jsonIn<RolloutResult>(await run('result'));
  expect(printed.outcome).toBe('cancelled');
  const result = (await env.client.workflow.getHandle(rolloutWorkflowId(service)).result()) as RolloutResult;
  expect(result.outcome).toBe('cancelled');
  expect(result.regions['us-east']).toMatchObject({ outcome: 'aborted', liveColour: 'blue' });
  expect(result.regions['eu-west']).toMatchObject({ outcome: 'skipped' });
  expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
  expect(world.weights.get('eu-west')).toEqual({ blue: 100, green: 0 });
  expect(world.callsFor('eu-west', 'deploy')).toHaveLength(0);

  const listed = await eventually(async () => {
    const out = await run('list');
    return out.includes(rolloutWorkflowId(service)) ? out : undefined;
  }, 'the rollout in the list');
  expect(listed).toContain('multiRegionRollout');
});
