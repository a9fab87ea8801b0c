// Records a rollout's histories (parent and each region's child) as replay fixtures.
// Set MERIDIAN_RECORD_HISTORIES=1 to (re)write them after a workflow change that alters history.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

export async function recordHistories(name: string, env: TestWorkflowEnvironment, parent: WorkflowHandle): Promise<void> {
  if (process.env.MERIDIAN_RECORD_HISTORIES !== '1') return;
  const parentHistory = await parent.fetchHistory();
  const childIds = (parentHistory.events ?? [])
    .map((e) => e.childWorkflowExecutionStartedEventAttributes?.workflowExecution)
    .filter((x): x is { workflowId: string; runId: string } => Boolean(x?.workflowId));
  // The proto3 JSON form, the same as `temporal workflow show --output json` writes.
  const entries = [{ workflowId: parent.workflowId, history: JSON.parse(historyToJSON(parentHistory)) }];
  for (const c of childIds) {
    const history = await env.client.workflow.getHandle(c.workflowId, c.runId).fetchHistory();
    entries.push({ workflowId: c.workflowId, history: JSON.parse(historyToJSON(history)) });
  }
  // Gzipped JSON: the same proto3 JSON form, a tenth of the size in the repository.
  writeFileSync(`${HISTORIES_DIR}${name}.json.gz`, gzipSync(JSON.stringify(entries), { level: 9 }));
}
