// One place that builds Temporal test environments on the project's own binaries: the shared dev
// server (a namespace per test file) and a time-skipping server per file that needs hours of timers.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkflowBundlePath } from '@temporalio/worker';
import { inject } from 'vitest';
import { ensureTemporalBinaries } from '../../lab/temporal-binaries.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../../domain/contract.js';
import { namespaceOf } from './namespaces.js';

// Workers log warnings and errors only, so test output stays readable.
Runtime.install({ logger: new DefaultLogger('WARN') });

/** The workflow bundle global setup built once for the whole run. */
export const workflowBundle = (): WorkflowBundlePath => ({ codePath: inject('workflowBundlePath') });

/** The run's dev server, in the calling file's own namespace: pass `import.meta.url`. */
export function devServerEnv(testFile: string): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address: inject('temporalAddress'), namespace: namespaceOf(testFile) });
}

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
