// Who may approve what: one rule for the rollout (which forwards approvals) and each region
// (which can be approved directly), so both refuse the same requests with the same words.

export interface ApprovalRules {
  roles: string[];
  /** Gated regions; absent: every region. */
  regions?: string[];
  /**
   * Who may approve each role, from the worker's config (never the rollout input, which the
   * requester writes). Absent: no lists configured, any name is taken. Present: a role without a
   * list cannot be approved by anyone.
   */
  approvers?: Record<string, string[]>;
}

/** A rollout's regions and approval gate, as the request states them or as parsed. */
export interface StatedApprovals {
  regions: readonly string[];
  approvals?: Pick<ApprovalRules, 'roles' | 'regions'>;
}

/**
 * The regions and approval gate a request states, before it is parsed (a rollout checks an approval
 * that comes with its first workflow task against these, while the worker parses the request).
 * Undefined when they are malformed: the parse will refuse the request.
 */
export function statedApprovals(
  request: { regions?: unknown; approvals?: unknown },
  defaultRegions: readonly string[],
): StatedApprovals | undefined {
  const names = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const regions = request.regions ?? defaultRegions;
  if (!names(regions)) return undefined;
  const a = request.approvals;
  if (a === undefined) return { regions };
  if (typeof a !== 'object' || a === null) return undefined;
  const { roles, regions: gated } = a as { roles?: unknown; regions?: unknown };
  if (!names(roles) || (gated !== undefined && !names(gated))) return undefined;
  return { regions, approvals: { roles, ...(gated ? { regions: gated } : {}) } };
}

export interface ApprovalRequest {
  region?: unknown;
  role?: unknown;
  approver?: unknown;
}

/**
 * Why an approval is refused, or undefined when it is valid. `approvedBy` is the region's
 * approvals so far (role → name): one person approves at most one role of a region.
 */
export function approvalProblem(
  rules: ApprovalRules | undefined,
  regions: readonly string[],
  req: ApprovalRequest,
  approvedBy: Readonly<Record<string, string>> = {},
): string | undefined {
  const { region, role, approver } = req;
  if (typeof region !== 'string' || typeof role !== 'string') return 'approval needs region, role and approver';
  if (!regions.includes(region)) return `unknown region "${region}" (regions: ${regions.join(', ')})`;
  if (!rules || (rules.regions && !rules.regions.includes(region))) return `region ${region} has no approval gate`;
  if (!rules.roles.includes(role)) return `role "${role}" is not required (required: ${rules.roles.join(', ')})`;
  if (typeof approver !== 'string' || !approver.trim()) return 'approver must name a person';
  const name = approver.trim();
  if (rules.approvers) {
    const listed = Object.hasOwn(rules.approvers, role) ? rules.approvers[role]! : undefined;
    const roles = Object.keys(rules.approvers).join(', ') || 'no role';
    if (!listed) return `nobody may approve role "${role}": the worker's config lists approvers for ${roles} only`;
    if (!listed.includes(name)) return `"${name}" is not an approver for role "${role}" (approvers.${role} in the worker's config)`;
  }
  const other = Object.entries(approvedBy).find(([r, who]) => r !== role && who.trim() === name);
  if (other) return `"${name}" already approved ${region} as ${other[0]}: one person cannot approve two roles of a region`;
  return undefined;
}
