// The worker as a process: `tsx workers/main.ts` against the dev server. It polls, logs JSON with
// each activity's correlationId and region, serves SDK metrics for Prometheus, drains on SIGTERM
// and exits 0; a bad config or a missing secret stops it with the field or variable named.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emergencyWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { EmergencyRollbackResult } from '../../workflows/emergency-rollback.js';
import { freePort } from '../../lab/processes.js';
import type { HaproxyLab } from '../../lab/daemons.js';
import { balancedLab, sendRequests, waitUntil, type Lab } from '../helpers/services.js';
import { devServerEnv } from '../helpers/temporal.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

let env: TestWorkflowEnvironment;
let lab: Lab;
let haproxy: HaproxyLab;
const dir = mkdtempSync(join(tmpdir(), 'meridian-worker-proc-'));
const spawned: WorkerProcess[] = [];

const FAKE_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\n-----END OPENSSH PRIVATE KEY-----';
const SECRETS = { DROPLET_IP_BLUE: '10.1.2.3', DROPLET_IP_GREEN: '10.1.2.4', DROPLET_USER: 'deploy', SSH_PRIVATE_KEY: FAKE_KEY };

function writeConfig(name: string, metricsUrl = 'http://127.0.0.1:9/'): string {
  const colour = (c: string) => ({
    baseDir: `/srv/orders-api/${c}`,
    restartCommand: 'true',
    healthUrl: 'http://127.0.0.1:8080/health',
    knownHosts: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
  });
  const config = {
    regions: {
      'us-east': {
        deploy: { blue: colour('blue'), green: colour('green') },
        traffic: { kind: 'haproxy', adminSocket: haproxy.adminSocket, backend: haproxy.backend, servers: haproxy.servers },
        metrics: { prometheusUrl: metricsUrl },
      },
    },
    links: {
      grafanaDashboardUrl: 'https://grafana.example.com/d/x?var-region={region}',
      logsUrl: 'https://logs.example.com/?q={correlationId}',
    },
  };
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

beforeAll(async () => {
  const [e, started] = await Promise.all([devServerEnv(import.meta.url), balancedLab('haproxy', { blue: 'v1.0.0', green: 'v1.0.0' })]);
  env = e;
  ({ lab, balancer: haproxy } = started);
});

afterAll(async () => {
  await Promise.allSettled(spawned.map((w) => w.kill()));
  await env?.teardown();
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function start(extra: Record<string, string>): WorkerProcess {
  const w = spawnWorker({ TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace!, ...extra });
  spawned.push(w);
  return w;
}

describe('worker process', () => {
  it('polls, logs JSON with correlationId and region, serves metrics, and drains on SIGTERM', async () => {
    const metricsAddress = `127.0.0.1:${await freePort()}`;
    const w = start({
      ...SECRETS,
      MERIDIAN_CONFIG: writeConfig('ok.json'),
      MERIDIAN_TASK_QUEUE: 'proc-test',
      MERIDIAN_METRICS_ADDRESS: metricsAddress,
    });
    await waitUntil('the worker to poll', async () => w.stdout().includes('"worker polling"') || w.child.exitCode !== null, 120_000, 250);
    expect(w.child.exitCode, w.stderr()).toBeNull();

    // A workflow completes on it: an emergency rollback that moves real HAProxy traffic to green.
    const workflowId = emergencyWorkflowId('orders-api', 'us-east');
    const result: EmergencyRollbackResult = await env.client.workflow.execute(WORKFLOW_TYPES.emergencyRollback, {
      taskQueue: 'proc-test',
      workflowId,
      args: [{ service: 'orders-api', region: 'us-east', reason: 'drill', toColour: 'green' }],
    });
    expect(result.traffic.changed).toBe(true);
    expect(await sendRequests(haproxy.url, 10, 2)).toEqual({ blue: 0, green: 10, failed: 0 });

    // Every line is a JSON object with time, level and message; activity lines carry the correlation.
    const notifyLine = (l: Record<string, unknown>) => String(l.message).startsWith('no notification channel configured');
    await waitUntil(
      'activity log lines',
      async () => w.logs().some(notifyLine) && w.logs().some((l) => l.message === 'setTrafficWeights finished'),
      10_000,
      100,
    );
    const logs = w.logs();
    for (const l of logs) expect(Object.keys(l)).toEqual(expect.arrayContaining(['time', 'level', 'message']));
    const traffic = logs.find((l) => l.message === 'setTrafficWeights finished');
    expect(traffic).toMatchObject({ level: 'INFO', correlationId: workflowId, region: 'us-east', activityType: 'setTrafficWeights' });
    const notify = logs.find(notifyLine);
    expect(notify).toMatchObject({ correlationId: workflowId, region: 'us-east' });
    expect(logs.some((l) => l.level === 'WARN' && String(l.message).startsWith('no notification channel for region us-east'))).toBe(true);

    const metrics = await (await fetch(`http://${metricsAddress}/metrics`)).text();
    expect(metrics).toMatch(/^temporal_[a-z_]+/m);
    expect(metrics).toContain('temporal_activity_execution_latency');

    const stopAt = Date.now();
    w.child.kill('SIGTERM');
    const { code } = await w.exited;
    expect(code).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(20_000);
    expect(w.logs().at(-1)).toMatchObject({ message: 'worker stopped' });
  });

  it('a malformed config field stops it with the field path', async () => {
    const w = start({ ...SECRETS, MERIDIAN_CONFIG: writeConfig('bad.json', 'not a url') });
    const { code } = await w.exited;
    expect(code).toBe(78);
    expect(w.stderr()).toContain('regions.us-east.metrics.prometheusUrl');
  });

  it('a missing secret stops it with the variable named, and a malformed one without its value', async () => {
    const { DROPLET_USER: _, ...noUser } = SECRETS;
    const w = start({ ...noUser, DROPLET_IP_GREEN: '10.1.2.999', MERIDIAN_CONFIG: writeConfig('ok2.json') });
    const { code } = await w.exited;
    expect(code).toBe(78);
    expect(w.stderr()).toContain('DROPLET_USER is not set for region us-east');
    expect(w.stderr()).toContain('DROPLET_IP_GREEN must be an IPv4 or IPv6 address');
    expect(w.stdout() + w.stderr()).not.toContain('10.1.2.999');
  });
});
