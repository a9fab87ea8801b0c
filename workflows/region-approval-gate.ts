// A region's approval gate: before anything changes, it waits until every required role approved,
// an abort, or the timeout (then the region ends aborted, with nothing to roll back).
import { condition } from '@temporalio/workflow';
import { scaledMs } from '../domain/plan.js';
import type { Card } from '../domain/ports.js';
import type { RegionRolloutInput } from './messages.js';
import { ApprovalTimedOut } from './region-errors.js';
import type { RegionState } from './region-state.js';

type RegionCard = Pick<Card, 'kind' | 'title'> & Partial<Card>;

export async function awaitApprovals(
  input: RegionRolloutInput,
  approvals: NonNullable<RegionRolloutInput['approvals']>,
  state: RegionState,
  card: (c: RegionCard) => Promise<void>,
): Promise<void> {
  if (state.approved()) return;
  state.phase = 'awaiting_approval';
  await card({ kind: 'approval', title: `${input.region} waits for approval: ${state.pendingRoles().join(', ')}` });
  // A drill (timeScale < 1) shrinks this wait like every other (a timer's length is not checked on replay).
  const { timeScale } = input;
  const summary = { summary: `${input.region}: wait for approval by ${state.pendingRoles().join(', ')}` };
  const approved = await condition(
    () => state.approved() || state.aborted,
    scaledMs(approvals.timeoutMinutes * 60_000, timeScale),
    summary,
  );
  state.throwIfAborted();
  if (approved) return;
  const waited = `${approvals.timeoutMinutes} min${timeScale < 1 ? ` × time scale ${timeScale}` : ''}`;
  const reason = `approval timed out after ${waited} (missing: ${state.pendingRoles().join(', ')})`;
  await card({ kind: 'approval_timeout', title: `${input.region} ${reason}`, impact: `${input.region}: not deployed, traffic unchanged` });
  throw new ApprovalTimedOut(reason);
}
