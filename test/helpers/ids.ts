// Names a test starts its rollouts under. Each test gets a service of its own, so its workflow
// IDs (rollout-<service>, rollout-<service>--<region>) are its own: a wedged test never fails another.
import { randomBytes } from 'node:crypto';

const run = randomBytes(2).toString('hex');
let n = 0;

/** "payments-api" → "payments-api-3f9a1": still a valid service name (≤ 48 chars). */
export function uniqueService(base = 'svc'): string {
  return `${base.slice(0, 36).replace(/-+$/, '')}-${run}${(++n).toString(36)}`;
}

/** A task queue no other test polls. */
export const uniqueQueue = (base: string): string => `${base}-${run}-${(++n).toString(36)}`;
