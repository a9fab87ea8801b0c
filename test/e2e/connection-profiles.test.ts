// The worker process and the `meridian` CLI reach the dev server through a temporal CLI profile
// (TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE) and through plain TEMPORAL_* variables: one reader for
// both. The dev server has no TLS flags, so TLS settings are covered in test/unit/connection.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionTaskQueue, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import { freePort } from '../../lab/processes.js';
import { uniqueQueue, uniqueService } from '../helpers/ids.js';
import { devServerEnv } from '../helpers/temporal.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';
import { cli, eventually } from './cli-harness.js';

let env: TestWorkflowEnvironment;
const dir = mkdtempSync(join(tmpdir(), 'meridian-profiles-'));
const spawned: WorkerProcess[] = [];
const workflowId = rolloutWorkflowId(uniqueService('conn'));
let viaProfile: Record<string, string>;
let viaEnv: Record<string, string>;
let elsewhere: Record<string, string>;

beforeAll(async () => {
  env = await devServerEnv(import.meta.url);
  const profiles = join(dir, 'temporal.toml');
  writeFileSync(
    profiles,
    `[profile.meridian]\naddress = "${env.address}"\nnamespace = "${env.namespace}"\n\n` +
      `[profile.elsewhere]\naddress = "${env.address}"\nnamespace = "t-no-such-namespace"\n`,
  );
  viaProfile = { TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'meridian' };
  viaEnv = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace! };
  elsewhere = { TEMPORAL_CONFIG_FILE: profiles, TEMPORAL_PROFILE: 'elsewhere' };
  // A rollout nobody runs (no worker on its queue): visible only in this file's namespace.
  await env.client.workflow.start(WORKFLOW_TYPES.rollout, { taskQueue: uniqueQueue('conn-idle'), workflowId, args: [] });
});

afterAll(async () => {
  await Promise.allSettled(spawned.map((w) => w.kill()));
  await env?.client.workflow
    .getHandle(workflowId)
    .terminate('test over')
    .catch(() => undefined);
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

/** A regional worker (activities only, no workflow bundle, so it starts in seconds) on a fresh queue. */
async function startWorker(connection: Record<string, string>): Promise<{ w: WorkerProcess; queue: string }> {
  const colour = (c: string) => ({
    baseDir: `/srv/orders-api/${c}`,
    restartCommand: 'true',
    healthUrl: 'http://127.0.0.1:8080/health',
    knownHosts: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
  });
  const traffic = { kind: 'haproxy', adminSocket: join(dir, 'haproxy.sock'), backend: 'app', servers: { blue: 'blue', green: 'green' } };
  const config = join(dir, `config-${spawned.length}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      regions: {
        'us-east': { deploy: { blue: colour('blue'), green: colour('green') }, traffic, metrics: { prometheusUrl: 'http://127.0.0.1:9/' } },
      },
      links: { grafanaDashboardUrl: 'https://grafana.example.com/d/x', logsUrl: 'https://logs.example.com/?q={correlationId}' },
    }),
  );
  const queue = uniqueQueue('conn');
  const w = spawnWorker({
    ...connection,
    MERIDIAN_CONFIG: config,
    MERIDIAN_REGIONS: 'us-east',
    MERIDIAN_TASK_QUEUE: queue,
    MERIDIAN_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    DROPLET_IP_BLUE: '10.1.2.3',
    DROPLET_IP_GREEN: '10.1.2.4',
    DROPLET_USER: 'deploy',
    SSH_PRIVATE_KEY: '-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\n-----END OPENSSH PRIVATE KEY-----',
  });
  spawned.push(w);
  return { w, queue: regionTaskQueue(queue, 'us-east') };
}

/** Pollers the dev server sees on an activity queue in this file's namespace. */
async function pollers(queue: string): Promise<number> {
  const ACTIVITY = 2; // temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
  const r = await env.client.workflowService.describeTaskQueue({
    namespace: env.namespace,
    taskQueue: { name: queue },
    taskQueueType: ACTIVITY,
  });
  return r.pollers?.length ?? 0;
}

describe('one Temporal connection reader', () => {
  it('the worker polls this namespace through a profile and through env vars', async () => {
    const [byProfile, byEnv] = await Promise.all([startWorker(viaProfile), startWorker(viaEnv)]);
    for (const { w, queue } of [byProfile, byEnv]) {
      await eventually(
        () => (w.stdout().includes('"worker polling"') || w.child.exitCode !== null ? true : undefined),
        'the worker to poll',
        20_000,
      );
      expect(w.child.exitCode, w.stderr()).toBeNull();
      expect(w.logs().find((l) => l.message === 'worker polling')).toMatchObject({ address: env.address, namespace: env.namespace });
      await eventually(async () => ((await pollers(queue)) > 0 ? true : undefined), `a poller on ${queue}`, 10_000);
    }
  });

  it('a profile the file does not have stops the worker with exit 78, naming it', async () => {
    const { w } = await startWorker({ ...viaProfile, TEMPORAL_PROFILE: 'prdo' });
    expect((await w.exited).code).toBe(78);
    expect(w.stderr()).toContain("Profile 'prdo' not found");
  });

  it("the CLI lists this namespace's rollout through a profile and through env vars; the profile picks the namespace", async () => {
    for (const connection of [viaProfile, viaEnv]) {
      const out = await eventually(
        async () => {
          const r = await cli(['list'], connection);
          return r.code === 0 && r.stdout.includes(workflowId) ? r : undefined;
        },
        'the rollout in `meridian list`',
        15_000,
      );
      expect(out.stdout).toMatch(/running/);
    }
    const other = await cli(['list'], elsewhere);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/t-no-such-namespace/);
  });
});
