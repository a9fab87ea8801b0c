// The parallel-rollout policy's evidence: how many `delayed` rollouts of a service succeeded,
// counted through Temporal visibility (the search attributes the rollout workflow upserts).
// Dry runs and drills (timeScale < 1) record `dry_run_<outcome>` / `drill_<outcome>`: never counted.
import type { Client } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_KEYS, WORKFLOW_TYPES } from '../domain/contract.js';
import type { PolicyActivities } from '../domain/ports.js';
import { serviceName } from '../domain/rollout-input.js';
import { RECORD_STRATEGIES } from '../domain/strategy.js';
import { nonRetryable } from './errors.js';

/** The strategies whose successes count, from the strategy table (today: delayed). */
function strategyClause(): string {
  const clauses = RECORD_STRATEGIES.map((s) => `${SEARCH_ATTRIBUTE_KEYS.strategy.name} = '${s}'`);
  return clauses.length === 1 ? clauses[0]! : `(${clauses.join(' OR ')})`;
}

/** The visibility query; `service` must already be validated (it is quoted into the query). */
export function successfulDelayedRolloutsQuery(service: string): string {
  const k = SEARCH_ATTRIBUTE_KEYS;
  return [
    `WorkflowType = '${WORKFLOW_TYPES.rollout}'`,
    `${k.service.name} = '${service}'`,
    strategyClause(),
    `${k.outcome.name} = 'succeeded'`,
  ].join(' AND ');
}

export function createPolicyActivities(client: Client): PolicyActivities {
  return {
    async countSuccessfulDelayedRollouts(service: string): Promise<number> {
      // Only a plain service name reaches the query: no quote can end the string early.
      if (!serviceName.safeParse(service).success)
        throw nonRetryable('InvalidArgument', 'service must be a lowercase name like "payments-api"');
      const { count } = await client.workflow.count(successfulDelayedRolloutsQuery(service));
      return count;
    },
  };
}
