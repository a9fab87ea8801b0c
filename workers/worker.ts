// Builds and runs Meridian's worker(s): the main one (workflows + every activity) on the task
// queue, or, in regional mode, one activity-only worker per region on `<queue>-<region>`, for
// workers that run inside a region's network. main.ts wraps this; tests and the lab call it in-process.
import type { Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import { DEFAULT_TASK_QUEUE, regionTaskQueue } from '../domain/contract.js';
import type { MeridianActivities } from '../domain/ports.js';
import { withAdmission } from '../activities/admission.js';
import type { WorkerConfig } from '../activities/config.js';
import { createActivities } from '../activities/index.js';
import type { Env } from '../activities/secrets.js';
import { bundleBuildId, workflowBundle } from './bundle.js';
import { correlationInterceptor } from './logging.js';
import { deploymentOptions, stopWhenDrained, takeCurrentIfNone, type Versioning } from './versioning.js';

/** The worker limits that decide how many regions one worker can watch at once. */
export interface WorkerLimits {
  /** Activity slots. A watched period holds one for its whole length (minutes to hours). */
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentWorkflowTaskExecutions: number;
  /** Heartbeats of a watch are sent at most this often (and at most every 0.8 × its heartbeat timeout). */
  maxHeartbeatThrottleInterval: Duration;
  /** Running workflows kept in memory; others replay their history on their next task. */
  maxCachedWorkflows: number;
}

/**
 * Sized for long-running watches (docs/PRODUCTION_READINESS_CHECKLIST.md, "Worker limits"): every
 * region under rollout holds one activity slot all the time (its watch) and briefly a second (a
 * weight change, a report), so the SDK's 100 slots would cap a worker at under 100 regions and
 * queue every short activity behind the watches. 1,000 slots cost little (a watch sleeps between
 * polls; `bench scale` measures them, docs/BENCHMARKS.md). Heartbeats at most every 5 s (one
 * default poll): the Web UI's progress and a retry's resume point are at most one poll old, and a
 * cancelled watch (abort, the end of a paused hold) stops within 5 s. The cache holds two workflows
 * per slot (each watched region's and its rollout's), so running rollouts do not replay their
 * histories; each cached workflow adds to the worker's RSS (docs/BENCHMARKS.md).
 */
export const WORKER_LIMITS: WorkerLimits = {
  maxConcurrentActivityTaskExecutions: 1_000,
  maxConcurrentWorkflowTaskExecutions: 40,
  maxHeartbeatThrottleInterval: '5 seconds',
  maxCachedWorkflows: 2_000,
};

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
  /** A prebuilt bundle; default: the bundle of this code, from the cache or built once (bundle.ts). */
  workflowBundle?: WorkflowBundleOption;
  /** Replaces some activities (the lab without SSH hosts, tests); the rest stay real. */
  activityOverrides?: Partial<MeridianActivities>;
  /** Overrides of WORKER_LIMITS. */
  limits?: Partial<WorkerLimits>;
  /** How long running activities may finish after shutdown before they are cancelled (they retry elsewhere). Default 10 s. */
  shutdownGraceMs?: number;
  /**
   * Worker Versioning (workers/versioning.ts), on by default: deployment config.workerDeployment.name,
   * build ID its buildId (or MERIDIAN_BUILD_ID) else the bundle's hash; these override them.
   * `false` where the server has no Worker Deployments (the time-skipping test server).
   */
  versioning?: false | Partial<Versioning>;
}

export interface RunningWorker {
  taskQueues: string[];
  /** The workflow worker's deployment version; undefined when unversioned (regional or `versioning: false`). */
  version?: { deploymentName: string; buildId: string };
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
    ...WORKER_LIMITS,
    ...o.limits,
  };
  const activitiesFor = (regions?: string[]) =>
    withAdmission({ ...createActivities(o.config, o.env, { client: o.client, ...(regions ? { regions } : {}) }), ...o.activityOverrides });

  const workers: Worker[] = [];
  let versioning: Versioning | undefined;
  try {
    if (o.regions?.length) {
      // Activity-only workers stay unversioned: activities need no determinism, so any build may
      // run them, and a pinned rollout's activities on another queue go to that queue's pollers.
      for (const region of o.regions) {
        workers.push(
          await Worker.create({ ...common, taskQueue: regionTaskQueue(taskQueue, region), activities: activitiesFor([region]) }),
        );
      }
    } else {
      const bundle = o.workflowBundle ?? (await workflowBundle());
      if (o.versioning !== false) {
        const { name, buildId } = o.config.workerDeployment;
        versioning = { deploymentName: name, buildId: buildId ?? bundleBuildId(bundle), drainCheckMs: 30_000, ...o.versioning };
      }
      workers.push(
        await Worker.create({
          ...common,
          taskQueue,
          workflowBundle: bundle,
          activities: activitiesFor(),
          ...(versioning ? { workerDeploymentOptions: deploymentOptions(versioning) } : {}),
        }),
      );
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
  const stopWatch = versioning ? stopWhenDrained(o.client, versioning, stopAll) : () => undefined;
  const done = Promise.allSettled(runs).then((results) => {
    stopWatch();
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  });
  if (versioning) {
    // Polling registers the version; the first build of a deployment makes itself current.
    try {
      await takeCurrentIfNone(o.client, versioning, taskQueue);
    } catch (err) {
      stopAll();
      await done.catch(() => undefined);
      throw err;
    }
  }
  return {
    taskQueues: workers.map((w) => w.options.taskQueue),
    ...(versioning ? { version: { deploymentName: versioning.deploymentName, buildId: versioning.buildId } } : {}),
    workers,
    done,
    async shutdown() {
      stopAll();
      await done;
    },
  };
}
