// `meridian start` with a region the worker has no config for (issue 14, item 1), through the real
// CLI against a dev server whose worker (stub worlds) is configured for us-east, eu-west, apac-se.
// With MERIDIAN_CONFIG naming the worker's config the CLI refuses before starting; without it the
// worker's admission (update-with-start) refuses it at once: bad input (exit 2), with or without --wait.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutWorkflowId } from '../../domain/contract.js';
import { run } from '../../client/cli.js';
import { getStatus } from '../../client/status.js';
import { devServerEnv } from '../helpers/temporal.js';
import { uniqueQueue, uniqueService } from '../helpers/ids.js';
import { cli, eventually, ROOT, runWorker, ServiceWorlds, SHA, type CliRun, type RunningWorker } from './cli-harness.js';

let env: TestWorkflowEnvironment;
let worker: RunningWorker;
const worlds = new ServiceWorlds(['us-east', 'eu-west', 'apac-se']);
const taskQueue = uniqueQueue('cli-regions');
let server: Record<string, string>;

beforeAll(async () => {
  env = await devServerEnv(import.meta.url);
  worker = await runWorker(env, taskQueue, worlds.activities());
  server = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace!, MERIDIAN_TASK_QUEUE: taskQueue };
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
});

const start = (service: string, regions: string, ...more: string[]) => [
  'start',
  '--service',
  service,
  '--version',
  'v1.0.1',
  '--artifact-url',
  `https://artifacts.example/${service}-v1.0.1.tgz`,
  '--artifact-sha256',
  SHA,
  '--regions',
  regions,
  '--strategy',
  'sequential',
  '--time-scale',
  '0.002',
  ...more,
];
/** The CLI in this process (no start-up cost); the real binary runs once, below. */
async function meridian(args: string[], env: Record<string, string>): Promise<CliRun> {
  const out = { stdout: '', stderr: '' };
  const io = {
    out: (t: string) => void (out.stdout += t),
    err: (t: string) => void (out.stderr += t),
    env,
    isTTY: false,
    readFile: (p: string) => readFileSync(join(ROOT, p), 'utf8'),
  };
  return { code: await run(args, io), ...out };
}
const notStarted = (service: string) =>
  expect(env.client.workflow.getHandle(rolloutWorkflowId(service)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

describe('meridian start: only the regions the worker is configured for', () => {
  it('with the worker config in MERIDIAN_CONFIG: refused before starting, exit 2, naming the region by its index', async () => {
    const service = uniqueService('regions');
    // The documented example config: us-east and eu-west.
    const r = await meridian(start(service, 'us-east,apac-se'), { ...server, MERIDIAN_CONFIG: 'docs/meridian.config.example.json' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'meridian: invalid rollout input: regions[1]: "apac-se" is not a region this worker serves (us-east, eu-west) (--regions)',
    ]);
    await notStarted(service);
  });

  it('a MERIDIAN_CONFIG the CLI cannot read is bad input too (exit 2), and nothing starts', async () => {
    const service = uniqueService('regions');
    const r = await meridian(start(service, 'us-east'), { ...server, MERIDIAN_CONFIG: 'no/such/config.json' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('meridian: MERIDIAN_CONFIG: cannot read the worker config no/such/config.json (ENOENT)\n');
    await notStarted(service);
  });

  it.each([[['--wait']], [[]]])(
    'without it, the worker refuses it at once (%j): exit 2 naming regions[0], and no card, deploy or weight change',
    async (extra) => {
      const service = uniqueService('regions');
      const r = await cli([...start(service, 'mars-west,us-east'), ...extra], server); // the real binary: what an operator runs
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        'meridian: invalid rollout input: regions[0]: ' +
          '"mars-west" is not a region this worker serves (us-east, eu-west, apac-se) (--regions)',
      ]);
      // The workflow that took the refused request failed, and status says why.
      await eventually(async () => ((await getStatus(env.client, service)).state === 'FAILED' ? true : undefined), 'the refusal');
      const status = await meridian(['status', service], server);
      expect(status.stdout).toContain(
        'failed: invalid rollout input: regions[0]: "mars-west" is not a region this worker serves (us-east, eu-west, apac-se)',
      );
      expect(worlds.world(service).calls).toEqual([]);
      expect(worlds.world(service).cards).toEqual([]);
    },
  );
});
