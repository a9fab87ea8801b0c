// Who may approve what: one rule for the rollout (which forwards approvals) and each region
// (which can be approved directly), so both refuse the same requests with the same words.

export interface ApprovalRules {
  roles: string[];
  /** Gated regions; absent: every region. */
  regions?: string[];
}

export interface ApprovalRequest {
  region?: unknown;
  role?: unknown;
  approver?: unknown;
}

/** Why an approval is refused, or undefined when it is valid. */
export function approvalProblem(rules: ApprovalRules | undefined, regions: readonly string[], req: ApprovalRequest): string | undefined {
  const { region, role, approver } = req;
  if (typeof region !== 'string' || typeof role !== 'string') return 'approval needs region, role and approver';
  if (!regions.includes(region)) return `unknown region "${region}" (regions: ${regions.join(', ')})`;
  if (!rules || (rules.regions && !rules.regions.includes(region))) return `region ${region} has no approval gate`;
  if (!rules.roles.includes(role)) return `role "${role}" is not required (required: ${rules.roles.join(', ')})`;
  if (typeof approver !== 'string' || !approver.trim()) return 'approver must name a person';
  return undefined;
}
