// Carried by every activity call: for logs, cards and idempotency.
export interface RegionContext {
  /** The parent workflow ID (rollout-<service>): the deployment's correlation ID. */
  correlationId: string;
  service: string;
  region: string;
  /** Report what would change; change nothing. */
  dryRun: boolean;
}
