// Drill: restart the Temporal server (a dev server of this file's own, on a database file) while a
// region's observation window runs. The rollout completes, and the observation's durable timer,
// started before the restart, fires after it on its original schedule: not lost, not restarted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { regionWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import { freePort } from '../../lab/processes.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../lab/temporal-dev.js';
import { uniqueQueue } from '../helpers/ids.js';
import { namespaceOf } from '../helpers/namespaces.js';
import { waitUntil } from '../helpers/services.js';
import { StubWorld } from '../helpers/stub-world.js';
import { workflowBundle } from '../helpers/temporal.js';
import { resultWithin } from '../helpers/workflow-result.js';
import { request } from '../workflows/harness.js';

const REGIONS = ['us-east', 'eu-west'];
const TIME_SCALE = 0.01;
const OBSERVE_MINUTES = 30;
const OBSERVE_MS = OBSERVE_MINUTES * 60_000 * TIME_SCALE;
const namespace = namespaceOf(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'meridian-server-restart-'));
const closers: (() => Promise<unknown>)[] = [];
let server: TemporalDevServer | undefined;

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await server?.daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

const seconds = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);

describe('Temporal server restarted', () => {
  it('during an observation window: the rollout completes and the window timer fires on schedule', async () => {
    const opts = {
      dbFile: join(dir, 'temporal.db'),
      headless: true,
      ports: { port: await freePort(), uiPort: 0 },
      namespaces: [namespace],
    };
    server = await startTemporalDevServer(opts);
    const connection = await NativeConnection.connect({ address: server.address });
    const clientConnection = await Connection.connect({ address: server.address });
    closers.push(
      () => connection.close(),
      () => clientConnection.close(),
    );
    const client = new Client({ connection: clientConnection, namespace });

    const world = new StubWorld(REGIONS);
    let observing = false;
    world.hooks = { onNotify: (card) => void (card.kind === 'observation' && card.region === REGIONS[0] && (observing = true)) };
    const taskQueue = uniqueQueue('server-restart');
    const worker = await Worker.create({
      connection,
      namespace,
      taskQueue,
      workflowBundle: workflowBundle(),
      activities: world.activities(),
    });
    const running = worker.run();
    closers.push(async () => (worker.getState() === 'RUNNING' && worker.shutdown(), running));

    const req = request({
      regions: REGIONS,
      strategy: 'delayed',
      delayBetweenRegionsMinutes: OBSERVE_MINUTES,
      stages: [{ weightPct: 100, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 1 }],
      timeScale: TIME_SCALE,
    });
    const { service } = req;
    const handle = await client.workflow.start(WORKFLOW_TYPES.rollout, { taskQueue, workflowId: rolloutWorkflowId(service), args: [req] });

    // The observation window's timer is running in the first region.
    const first = client.workflow.getHandle(regionWorkflowId(service, REGIONS[0]!));
    const windowTimer = async () =>
      (await first.fetchHistory()).events?.find(
        (e) => e.timerStartedEventAttributes && seconds(e.timerStartedEventAttributes.startToFireTimeout) > OBSERVE_MS / 2,
      );
    await waitUntil('the observation window timer', async () => observing && (await windowTimer()) !== undefined, 30_000, 200);

    const stoppedAt = Date.now();
    await server.daemon.stop();
    server = await startTemporalDevServer(opts);
    const restartedAt = Date.now();

    const result = await resultWithin<RolloutResult>(client, handle, 60_000);
    expect(result.outcome).toBe('succeeded');
    for (const r of REGIONS) expect(result.regions[r]).toMatchObject({ outcome: 'succeeded', stageReached: 100 });

    const events = (await first.fetchHistory()).events ?? [];
    const started = events.find(
      (e) => e.timerStartedEventAttributes && seconds(e.timerStartedEventAttributes.startToFireTimeout) > OBSERVE_MS / 2,
    )!;
    const fired = events.find((e) => e.timerFiredEventAttributes?.startedEventId?.toString() === started.eventId?.toString());
    expect(fired, 'the observation timer fired').toBeDefined();
    const startedAt = seconds(started.eventTime);
    const due = startedAt + seconds(started.timerStartedEventAttributes!.startToFireTimeout);
    // Started before the restart, fired after it, when it was due (the server's timer queue is checked once a second).
    expect(startedAt).toBeLessThan(stoppedAt);
    expect(seconds(fired!.eventTime)).toBeGreaterThan(restartedAt);
    expect(seconds(fired!.eventTime) - due).toBeGreaterThanOrEqual(0);
    expect(seconds(fired!.eventTime) - due).toBeLessThan(3_000);
    // The next region started only once the window was over, and nothing ran twice.
    const next = (await handle.fetchHistory()).events?.find(
      (e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId === regionWorkflowId(service, REGIONS[1]!),
    );
    expect(seconds(next?.eventTime)).toBeGreaterThanOrEqual(seconds(fired!.eventTime));
    for (const r of REGIONS) expect(world.callsFor(r, 'deploy'), r).toHaveLength(1);
  }, 90_000);
});
