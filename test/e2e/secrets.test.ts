// Secrets stay in the worker's environment: after a rollout on real activities (SSH deploy, HAProxy,
// Prometheus, Pushgateway, Slack, Teams, Cloudflare, Grafana stand-ins), no secret string appears in
// the recorded histories, in the worker process's log output, or in any card the stand-ins received.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import { secretName } from '../../activities/secrets.js';
import { freePort } from '../../lab/processes.js';
import { REGION, startLabUnderLoad, type LabUnderLoad } from '../helpers/lab-under-load.js';
import { expectNoSecrets } from '../helpers/secrets.js';
import { waitUntil } from '../helpers/services.js';
import { devServerEnv } from '../helpers/temporal.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

const SERVICE = 'ledger-api';
/** The region's own Teams channel: its hook is given a wrong signature below. */
const TEAMS_HOOK = secretName('TEAMS_WEBHOOK_URL', REGION);
let env: TestWorkflowEnvironment;
let world: LabUnderLoad;
let worker: WorkerProcess;
const dir = mkdtempSync(join(tmpdir(), 'meridian-secrets-'));

/** Payload bytes (base64 `data` in the history's JSON form) as text, so a secret inside a payload is found. */
const asText = (value: unknown): string =>
  JSON.stringify(value, (k, v: unknown) => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    return k === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v;
  });

beforeAll(async () => {
  [env, world] = await Promise.all([devServerEnv(import.meta.url), startLabUnderLoad('secrets')]);
  const { lab } = world;
  // Teams answers 401 to this hook (wrong signature): the failure path is logged, and must stay clean too.
  lab.secrets[TEAMS_HOOK] = lab.secrets[TEAMS_HOOK]!.replace(/sig=[^&]+/, 'sig=0000wrongsig0000');
  const config = join(dir, 'meridian.config.json');
  writeFileSync(config, JSON.stringify(lab.config));
  worker = spawnWorker({
    ...lab.secrets,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace!,
    MERIDIAN_CONFIG: config,
    MERIDIAN_TASK_QUEUE: 'secrets-test',
    MERIDIAN_METRICS_ADDRESS: `127.0.0.1:${await freePort()}`,
    MERIDIAN_LOG_LEVEL: 'DEBUG',
  });
  await Promise.all([
    world.baseline(),
    waitUntil(
      'the worker to poll',
      async () => worker.stdout().includes('"worker polling"') || worker.child.exitCode !== null,
      120_000,
      250,
    ),
  ]);
  if (worker.child.exitCode !== null) throw new Error(`worker exited: ${worker.stderr()}`);
});

afterAll(async () => {
  await worker?.kill();
  await env?.teardown();
  await world?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('secrets', () => {
  it('appear in no history, no worker log line and no card after a real rollout', async () => {
    const version = 'v3.1.0';
    const workflowId = rolloutWorkflowId(SERVICE);
    const result: RolloutResult = await env.client.workflow.execute(WORKFLOW_TYPES.rollout, {
      taskQueue: 'secrets-test',
      workflowId,
      args: [
        {
          service: SERVICE,
          version,
          artifact: world.lab.release(version, { default: {} }),
          regions: [REGION],
          stages: [{ weightPct: 100, maxErrorRatePct: 5, maxLatencyMs: 500, durationMinutes: 1 }],
          checkIntervalSeconds: 60,
          timeScale: 0.02,
        },
      ],
    });
    // The rollout really used the secrets: deployed over SSH, moved DNS, posted cards, annotated.
    const { lab } = world;
    expect(result.outcome).toBe('succeeded');
    expect(lab.cloudflare.requests.some((r) => r.method === 'PATCH' && r.authorized && r.status === 200)).toBe(true);
    expect(lab.slack.received.length).toBeGreaterThan(0);
    expect(lab.grafana.annotations.length).toBeGreaterThan(0);
    await waitUntil('the Teams failure in the log', async () => worker.stdout().includes('teams did not take'), 10_000, 100);

    const s = lab.secrets;
    const slackHooks = [s[secretName('SLACK_WEBHOOK_URL', REGION)]!, s.SLACK_WEBHOOK_URL!, s.GLOBAL_SLACK_WEBHOOK!];
    // The SSH key's body, not its BEGIN/END lines (those are public boilerplate).
    const keyBody = s
      .SSH_PRIVATE_KEY!.split('\n')
      .filter((l) => l && !l.startsWith('-----'))
      .join('');
    const secrets = [
      ...slackHooks,
      ...slackHooks.map((u) => new URL(u).pathname),
      s[TEAMS_HOOK]!,
      s.TEAMS_WEBHOOK_URL!,
      'wrongsig',
      s.PROMETHEUS_PUSHGATEWAY_URL!,
      s.CF_API_TOKEN!,
      s.CF_ZONE_ID!,
      s[secretName('CF_RECORD_ID_API', REGION)]!,
      s.GRAFANA_API_KEY!,
      keyBody.slice(0, 40),
      keyBody.slice(-40),
    ];

    const histories = await Promise.all(
      [workflowId, regionWorkflowId(SERVICE, REGION)].map((id) => env.client.workflow.getHandle(id).fetchHistory()),
    );
    for (const h of histories) {
      expect(h.events!.length).toBeGreaterThan(10);
      expectNoSecrets(asText(h), secrets);
    }
    // The decoding works: the history does hold the rollout's non-secret input.
    expect(asText(histories[0])).toContain(version);

    const output = worker.stdout() + worker.stderr();
    expect(worker.logs().some((l) => l.correlationId === workflowId && l.region === REGION)).toBe(true);
    expectNoSecrets(output, secrets);

    const cards = asText([lab.slack.received, lab.slack.rejected, lab.teams.received, lab.teams.rejected, lab.grafana.annotations]);
    expect(cards).toContain(workflowId);
    expectNoSecrets(cards, secrets);
  });
});
