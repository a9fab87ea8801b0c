// The rollout's approvals: who approved which role of each region, checked by domain/approvals.ts
// against the worker's approver lists. The rollout learns the lists at start (WorkerSetup) and
// hands them to each region, so a direct approval of a region is checked the same way.
import { ApplicationFailure, condition, currentUpdateInfo, log, setHandler } from '@temporalio/workflow';
import { FAILURE_TYPES } from '../domain/contract.js';
import { approvalProblem, statedApprovals, type StatedApprovals } from '../domain/approvals.js';
import type { WorkerSetup } from '../domain/ports.js';
import type { RolloutInput, RolloutRequest } from '../domain/rollout-input.js';
import { DEFAULT_REGIONS } from '../domain/rollout-refusals.js';
import { approveSignal, approveUpdate, type ApprovalState, type ApproveRequest, type RegionRolloutInput } from './messages.js';

export interface ApprovalHost {
  /** Why the region takes no more approvals (it finished), if so. */
  closed(region: string): string | undefined;
  /** Passes a granted approval on to the region's child, if it runs. */
  forward(req: ApproveRequest): void;
}

export class RolloutApprovals {
  private readonly granted: Record<string, Record<string, string>> = {};
  private readonly updateIds: Record<string, Record<string, string>> = {};
  private approvers?: Record<string, string[]>;
  /** The rollout's request, parsed (admit): handlers are registered before it is. */
  private input?: RolloutInput;
  /** The worker's setup was read. */
  private known = false;

  /** The regions and gate as the request states them: what an approval is checked against until admit(). */
  private readonly stated?: StatedApprovals;

  constructor(
    request: RolloutRequest,
    private readonly host: ApprovalHost,
  ) {
    this.stated = statedApprovals(request, DEFAULT_REGIONS);
  }

  /** Approvals can be checked once the request is parsed and, with approver rules, the worker's setup read. */
  private get ready(): boolean {
    return this.input !== undefined && this.known;
  }

  listen(): void {
    setHandler(approveSignal, (req) => {
      // A signal cannot answer: an invalid approval is logged and ignored (the update rejects it).
      const take = () => {
        const problem = this.problem(req ?? ({} as ApproveRequest));
        if (problem) log.warn('approval ignored', { reason: problem });
        else this.grant(req);
      };
      return this.ready ? take() : condition(() => this.ready).then(take);
    });
    setHandler(
      approveUpdate,
      (req) => {
        const updateId = currentUpdateInfo()?.id;
        if (this.ready) return this.grant(req, updateId);
        // It came before the request was parsed or the worker's setup read: the validator could not check it all.
        return condition(() => this.ready).then(() => {
          const problem = this.problem(req);
          if (problem) throw ApplicationFailure.create({ type: FAILURE_TYPES.approvalRefused, message: problem, nonRetryable: true });
          return this.grant(req, updateId);
        });
      },
      {
        // Before admit() against the request as stated: a refused approval leaves no trace in history.
        validator: (req) => {
          const problem = this.problem(req);
          if (problem) throw new Error(problem);
        },
      },
    );
  }

  /** The rollout's request, parsed. */
  admit(input: RolloutInput): void {
    this.input = input;
  }

  /** The worker's setup: its approver lists. */
  learn(setup: WorkerSetup): void {
    this.approvers = setup.approvers;
    this.known = true;
  }

  /** The region's gate as its child takes it: roles, timeout, approvals so far, the worker's lists. */
  gate(region: string): RegionRolloutInput['approvals'] {
    const a = this.input?.approvals;
    if (!a || (a.regions && !a.regions.includes(region))) return undefined;
    return {
      roles: a.roles,
      timeoutMinutes: a.timeoutMinutes,
      granted: this.granted[region] ?? {},
      ...(this.approvers ? { approvers: this.approvers } : {}),
    };
  }

  /** Approvals granted for the region so far, as requests (sent again to a child that just started). */
  grantedIn(region: string): ApproveRequest[] {
    return Object.entries(this.granted[region] ?? {}).map(([role, approver]) => ({ region, role, approver }));
  }

  private problem(req: ApproveRequest): string | undefined {
    const gate = this.input ?? this.stated;
    if (!gate) return 'the rollout is starting: its request is being checked';
    const rules = gate.approvals && { ...gate.approvals, approvers: this.approvers };
    return approvalProblem(rules, gate.regions, req, this.granted[req.region]) ?? this.host.closed(req.region);
  }

  private grant(req: ApproveRequest, updateId?: string): ApprovalState {
    const roles = this.input?.approvals?.roles ?? [];
    if (roles.includes(req.role) && !this.granted[req.region]?.[req.role]) {
      (this.granted[req.region] ??= {})[req.role] = req.approver;
      if (updateId) (this.updateIds[req.region] ??= {})[req.role] = updateId;
    }
    this.host.forward(req);
    const approvedBy = { ...(this.granted[req.region] ?? {}) };
    const updateIds = this.updateIds[req.region];
    return {
      region: req.region,
      required: roles,
      approvedBy,
      pending: roles.filter((r) => !approvedBy[r]),
      ...(updateIds ? { updateIds: { ...updateIds } } : {}),
    };
  }
}
