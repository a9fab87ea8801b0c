// A Meridian worker as an OS process for the fleet drills (spawnWorker(env, 'test/helpers/fleet-worker.ts')):
// startWorker with its default limits, one region whose deploy config is a fleet, the REAL deploy
// activity (SSH, batches, heartbeats) and workerSetup, and stub vendors for every other activity
// (stub-vendors.ts: weights, DNS, notify, a healthy watch). Prints one JSON line `{"event":"polling","pid":…}`
// once it polls (its Temporal identity is `pid@host`), and stops on SIGTERM.
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { parseWorkerConfig } from '../../activities/config.js';
import { startWorker } from '../../workers/worker.js';
import { stubVendorActivities } from './stub-vendors.js';

/** The worker's environment: where it polls, its region's deploy config, and the SSH secrets its deploy reads. */
export interface FleetWorkerEnv extends NodeJS.ProcessEnv {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_NAMESPACE: string;
  MERIDIAN_TASK_QUEUE: string;
  /** A prebuilt workflow bundle (a path); default the cached bundle. */
  MERIDIAN_WORKFLOW_BUNDLE?: string;
  /** The one region this worker is configured for. */
  FLEET_REGION: string;
  /** JSON: the region's `deploy` config (kind "ssh", each colour a fleet: `hosts` listed). */
  FLEET_DEPLOY: string;
  DROPLET_USER: string;
  SSH_PRIVATE_KEY: string;
}

const env = process.env as FleetWorkerEnv;
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function main(): Promise<void> {
  // Core's own warnings go through the same logger (stderr): stdout carries only this script's JSON lines.
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    shutdownSignals: ['SIGTERM', 'SIGINT'],
    telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } } },
  });
  const region = env.FLEET_REGION;
  const deploy = JSON.parse(env.FLEET_DEPLOY) as Record<'blue' | 'green', { hosts: { name: string }[] }>;
  // Traffic and metrics are stubs below: their settings only have to pass validation (a server per host).
  const servers = { blue: deploy.blue.hosts.map((h) => h.name), green: deploy.green.hosts.map((h) => h.name) };
  const raw = {
    regions: {
      [region]: {
        deploy,
        traffic: { kind: 'haproxy', adminSocket: '/nonexistent', backend: 'api', servers },
        metrics: { prometheusUrl: 'http://127.0.0.1:9/' },
      },
    },
    links: {
      grafanaDashboardUrl: 'https://grafana.example.com/d/x?var-region={region}',
      logsUrl: 'https://logs.example.com/?q={correlationId}',
    },
  };
  const { config } = parseWorkerConfig(raw, env, { source: 'fleet worker config' });
  const { deploy: _realDeploy, workerSetup: _realSetup, ...stubs } = stubVendorActivities([region]);
  const address = env.TEMPORAL_ADDRESS;
  const [connection, clientConnection] = await Promise.all([NativeConnection.connect({ address }), Connection.connect({ address })]);
  const running = await startWorker({
    config,
    env,
    connection,
    client: new Client({ connection: clientConnection, namespace: env.TEMPORAL_NAMESPACE }),
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.MERIDIAN_TASK_QUEUE,
    ...(env.MERIDIAN_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: env.MERIDIAN_WORKFLOW_BUNDLE } } : {}),
    activityOverrides: stubs,
    shutdownGraceMs: 2_000,
  });
  say({ event: 'polling', pid: process.pid });
  await running.done;
  await Promise.allSettled([connection.close(), clientConnection.close()]);
  say({ event: 'stopped' });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`fleet worker failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
