// One place that builds Temporal test environments on the project's own binaries.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { ensureTemporalBinaries } from '../../workers/temporal-binaries.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../domain/contract.js';

// Workers log warnings and errors only, so test output stays readable.
Runtime.install({ logger: new DefaultLogger('WARN') });

export const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const { testServer } = ensureTemporalBinaries();
  const env = await TestWorkflowEnvironment.createTimeSkipping(
    testServer ? { server: { executable: { type: 'existing-path', path: testServer } } } : {},
  );
  // The dev server registers these at start; the test server takes them through the operator API.
  const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(Object.values(SEARCH_ATTRIBUTE_KEYS).map((k) => [k.name, KEYWORD])),
  });
  return env;
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
