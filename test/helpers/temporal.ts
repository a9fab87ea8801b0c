// One place that builds Temporal test environments on the project's own binaries.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { ensureTemporalBinaries } from '../../workers/temporal-binaries.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../domain/contract.js';

// Workers log warnings and errors only, so test output stays readable.
Runtime.install({ logger: new DefaultLogger('WARN') });

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const { testServer } = ensureTemporalBinaries();
  return TestWorkflowEnvironment.createTimeSkipping(
    testServer ? { server: { executable: { type: 'existing-path', path: testServer } } } : {},
  );
}

export function createDevServerEnv(): Promise<TestWorkflowEnvironment> {
  const { cli } = ensureTemporalBinaries();
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(cli ? { executable: { type: 'existing-path' as const, path: cli } } : {}),
      searchAttributes: Object.values(SEARCH_ATTRIBUTE_KEYS),
    },
  });
}

/** Bundle the workflow code once per test file and reuse it for every worker. */
export function bundleWorkflows(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
}
