// Public names that the temporal CLI, the Web UI, CI scripts and docs rely on.
import { defineSearchAttributeKey } from '@temporalio/common';

export const DEFAULT_TASK_QUEUE = 'meridian';

export const WORKFLOW_TYPES = {
  rollout: 'multiRegionRollout',
  region: 'regionRollout',
  emergencyRollback: 'emergencyRollback',
} as const;

/**
 * Workflow IDs. Service and region names never contain "--" (rollout-input.ts), and the region
 * follows its service after "--": no service name and no region name can produce another's ID
 * ("pay-us-east" is rollout-pay-us-east; region us-east of "pay" is rollout-pay--us-east).
 */
export const rolloutWorkflowId = (service: string): string => `rollout-${service}`;
export const regionWorkflowId = (service: string, region: string): string => `rollout-${service}--${region}`;
export const emergencyWorkflowId = (service: string, region: string): string => `emergency-rollback-${service}--${region}`;

/** The queue a region's own worker polls for that region's activities (MERIDIAN_REGIONS on the worker). */
export const regionTaskQueue = (taskQueue: string, region: string): string => `${taskQueue}-${region}`;

/** Search attributes that list and filter deployments in the Web UI. The dev server registers them. */
export const SEARCH_ATTRIBUTE_KEYS = {
  service: defineSearchAttributeKey('MeridianService', 'KEYWORD'),
  version: defineSearchAttributeKey('MeridianVersion', 'KEYWORD'),
  strategy: defineSearchAttributeKey('MeridianStrategy', 'KEYWORD'),
  outcome: defineSearchAttributeKey('MeridianOutcome', 'KEYWORD'),
} as const;

/**
 * The ApplicationFailure types a rollout workflow fails with (or an update is refused with) when it
 * refuses a request: the workflows raise them and the client matches them, so both read them here.
 */
export const FAILURE_TYPES = {
  /** The request fails validation, or names a region the worker does not serve; `details[0]` lists the problems. */
  invalidInput: 'InvalidRolloutInput',
  /** `parallel` before the service has PARALLEL_POLICY_MIN_DELAYED successful delayed rollouts, with no override. */
  parallelPolicy: 'ParallelPolicy',
  /** An approval for a region or role the rollout does not require, or by someone not on the role's list. */
  approvalRefused: 'ApprovalRefused',
} as const;

/** Successful delayed rollouts a service needs on record before `parallel` is allowed. */
export const PARALLEL_POLICY_MIN_DELAYED = 5;
