// Builds and runs Meridian's worker(s): the main one (workflows + every activity) on the task
// queue, or, in regional mode, one activity-only worker per region on `<queue>-<region>`, for
// workers that run inside a region's network. main.ts wraps this; tests and the lab call it in-process.
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import { DEFAULT_TASK_QUEUE, regionTaskQueue } from '../domain/contract.js';
import type { MeridianActivities } from '../domain/ports.js';
import type { WorkerConfig } from '../activities/config.js';
import { createActivities } from '../activities/index.js';
import type { Env } from '../activities/secrets.js';
import { correlationInterceptor } from './logging.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** The task queue of a region's activity-only worker. */

export interface StartWorkerOptions {
  config: WorkerConfig;
  env: Env;
  connection: NativeConnection;
  /** For the policy activity's visibility count. */
  client: Client;
  namespace?: string;
  /** Default DEFAULT_TASK_QUEUE ('meridian'). */
  taskQueue?: string;
  /** Regional mode: serve only these regions' activities, each on `<taskQueue>-<region>`, no workflows. */
  regions?: string[];
  /** A prebuilt bundle (tests build one per run); default: the SDK bundles workflows/index.ts. */
  workflowBundle?: WorkflowBundleOption;
  /** Replaces some activities (the lab without SSH hosts, tests); the rest stay real. */
  activityOverrides?: Partial<MeridianActivities>;
  maxConcurrentActivityTaskExecutions?: number;
  /** How long running activities may finish after shutdown before they are cancelled (they retry elsewhere). Default 10 s. */
  shutdownGraceMs?: number;
}

export interface RunningWorker {
  taskQueues: string[];
  workers: Worker[];
  /** Resolves once every worker stopped polling and drained (after shutdown()). */
  done: Promise<void>;
  /** Stops polling, lets running tasks finish, then resolves. */
  shutdown(): Promise<void>;
}

export async function startWorker(o: StartWorkerOptions): Promise<RunningWorker> {
  const taskQueue = o.taskQueue ?? DEFAULT_TASK_QUEUE;
  const common = {
    connection: o.connection,
    namespace: o.namespace ?? 'default',
    interceptors: { activity: [correlationInterceptor] },
    shutdownGraceTime: o.shutdownGraceMs ?? 10_000,
    ...(o.maxConcurrentActivityTaskExecutions ? { maxConcurrentActivityTaskExecutions: o.maxConcurrentActivityTaskExecutions } : {}),
  };
  const activitiesFor = (regions?: string[]) => ({ ...createActivities(o.config, o.env, { client: o.client, ...(regions ? { regions } : {}) }), ...o.activityOverrides });

  const workers: Worker[] = [];
  try {
    if (o.regions?.length) {
      for (const region of o.regions) {
        workers.push(await Worker.create({ ...common, taskQueue: regionTaskQueue(taskQueue, region), activities: activitiesFor([region]) }));
      }
    } else {
      const workflows = o.workflowBundle ? { workflowBundle: o.workflowBundle } : { workflowsPath: WORKFLOWS_PATH };
      workers.push(await Worker.create({ ...common, taskQueue, ...workflows, activities: activitiesFor() }));
    }
  } catch (err) {
    for (const w of workers) if (w.getState() === 'INITIALIZED') await w.runUntil(Promise.resolve());
    throw err;
  }

  const stopAll = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  // One worker failing (e.g. connection lost for good) stops the others: the process should exit and restart.
  const runs = workers.map((w) => w.run().catch((err: unknown) => (stopAll(), Promise.reject(err))));
  const done = Promise.allSettled(runs).then((results) => {
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  });
  return {
    taskQueues: workers.map((w) => w.options.taskQueue),
    workers,
    done,
    async shutdown() {
      stopAll();
      await done;
    },
  };
}
