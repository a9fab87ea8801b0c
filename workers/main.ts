// The worker process: `npx tsx workers/main.ts`. Reads its config file and secrets, installs a
// JSON logger and a Prometheus metrics endpoint, connects to Temporal, and polls until SIGTERM or
// SIGINT, then drains and exits 0. A bad config or missing secret exits 78 (EX_CONFIG) naming it.
import { Runtime } from '@temporalio/worker';
import { DEFAULT_TASK_QUEUE } from '../domain/contract.js';
import { regionName } from '../domain/rollout-input.js';
import { DEFAULT_CONFIG_PATH, loadWorkerConfig, WorkerConfigError } from '../activities/config.js';
import { connectTemporal, temporalSettingsFromEnv } from './connect.js';
import { jsonLogger, parseLogLevel } from './logging.js';
import { startWorker } from './worker.js';

const EX_CONFIG = 78;
const env = process.env;
const logger = jsonLogger(parseLogLevel(env.MERIDIAN_LOG_LEVEL));

function servedRegions(): string[] | undefined {
  const list = env.MERIDIAN_REGIONS?.split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (!list?.length) return undefined;
  const bad = list.filter((r) => !regionName.safeParse(r).success);
  if (bad.length)
    throw new WorkerConfigError(
      'invalid MERIDIAN_REGIONS',
      bad.map((r) => `"${r}" is not a region name like "us-east"`),
    );
  return list;
}

async function main(): Promise<void> {
  const regions = servedRegions();
  const configPath = env.MERIDIAN_CONFIG || DEFAULT_CONFIG_PATH;
  const { config, warnings } = loadWorkerConfig(configPath, env, regions ? { regions } : {});
  const temporal = temporalSettingsFromEnv(env);
  const taskQueue = env.MERIDIAN_TASK_QUEUE || DEFAULT_TASK_QUEUE;
  const metricsAddress = env.MERIDIAN_METRICS_ADDRESS || '127.0.0.1:9464';
  for (const w of warnings) logger.warn(w);

  Runtime.install({
    logger,
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    telemetryOptions: {
      // Core's own logs come through the same JSON logger.
      logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
      metrics: { prometheus: { bindAddress: metricsAddress } },
    },
  });

  const conn = await connectTemporal(temporal);
  try {
    const running = await startWorker({
      config,
      env,
      connection: conn.connection,
      client: conn.client,
      namespace: temporal.namespace,
      taskQueue,
      ...(regions ? { regions } : {}),
    });
    logger.info('worker polling', {
      taskQueues: running.taskQueues,
      ...(running.version ? { deployment: running.version.deploymentName, buildId: running.version.buildId } : {}),
      address: temporal.address,
      namespace: temporal.namespace,
      metrics: `http://${metricsAddress}/metrics`,
      config: configPath,
    });
    await running.done;
    logger.info('worker stopped');
  } finally {
    await conn.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof WorkerConfigError) {
      logger.error(`worker not started: ${err.source}`, { problems: err.problems });
      process.stderr.write(`meridian worker not started: ${err.message}\n`);
      process.exit(EX_CONFIG);
    }
    logger.error('worker failed', { error: err });
    process.exit(1);
  },
);
