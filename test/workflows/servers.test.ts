// Proof that both Temporal servers are real: timers skip on the time-skipping server,
// and a workflow on the dev server is visible to the installed temporal CLI.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTemporalBinaries } from '../../workers/temporal-binaries.js';
import { bundleWorkflows, createDevServerEnv, createTimeSkippingEnv } from '../helpers/temporal.js';

const workflowsPath = fileURLToPath(new URL('../helpers/sleep-workflow.ts', import.meta.url));
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  bundle = await bundleWorkflows(workflowsPath);
});

describe('time-skipping server', () => {
  it('completes a 90-minute sleep in well under 10 s of wall time', async () => {
    const env = await createTimeSkippingEnv();
    try {
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'servers-ts', workflowBundle: bundle });
      const started = Date.now();
      const result = await worker.runUntil(
        env.client.workflow.execute('sleepFor', { taskQueue: 'servers-ts', workflowId: 'sleep-90', args: [90] }),
      );
      const wallMs = Date.now() - started;
      expect(result).toBe('slept 90 minutes');
      expect(wallMs).toBeLessThan(10_000);
      const history = await env.client.workflow.getHandle('sleep-90').fetchHistory();
      const timer = history.events?.find((e) => e.timerStartedEventAttributes)?.timerStartedEventAttributes;
      expect(Number(timer?.startToFireTimeout?.seconds)).toBe(90 * 60);
    } finally {
      await env.teardown();
    }
  });
});

describe('dev server', () => {
  let env: Awaited<ReturnType<typeof createDevServerEnv>>;
  beforeAll(async () => {
    env = await createDevServerEnv();
  });
  afterAll(async () => env?.teardown());

  it('runs a workflow that the installed temporal CLI then describes and lists', async () => {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'servers-dev', workflowBundle: bundle });
    const result = await worker.runUntil(
      env.client.workflow.execute('sleepFor', { taskQueue: 'servers-dev', workflowId: 'dev-proof', args: [0.001] }),
    );
    expect(result).toMatch(/^slept/);
    const cli = ensureTemporalBinaries().cli!;
    const address = env.connection.options.address;
    const describeOut = JSON.parse(
      execFileSync(cli, ['workflow', 'describe', '--address', address, '--workflow-id', 'dev-proof', '--output', 'json']).toString(),
    );
    expect(describeOut.workflowExecutionInfo.type.name).toBe('sleepFor');
    expect(describeOut.workflowExecutionInfo.status).toMatch(/COMPLETED/);
    // Visibility is eventually consistent: give the list a few seconds to catch up.
    await expect
      .poll(() => execFileSync(cli, ['workflow', 'list', '--address', address, '--query', "WorkflowType='sleepFor'", '--output', 'json']).toString(), { timeout: 10_000 })
      .toContain('dev-proof');
  });
});
