import { describe, expect, it } from 'vitest';
import { approvalProblem, statedApprovals, type ApprovalRules } from '../../domain/approvals.js';

const REGIONS = ['us-east', 'eu-west'];
const open: ApprovalRules = { roles: ['functional', 'sre'] };
const listed: ApprovalRules = { ...open, approvers: { sre: ['alice', 'bob'], functional: ['carol', 'bob'] } };
const ask = (role: string, approver: string, region = 'us-east') => ({ region, role, approver });

describe('approvalProblem', () => {
  it("takes only a name on the role's list when the worker's config lists approvers, after the basic checks", () => {
    expect(approvalProblem(listed, REGIONS, ask('sre', 'alice'))).toBeUndefined();
    expect(approvalProblem(listed, REGIONS, ask('sre', ' bob '))).toBeUndefined();
    expect(approvalProblem(listed, REGIONS, ask('sre', 'carol'))).toBe(
      '"carol" is not an approver for role "sre" (approvers.sre in the worker\'s config)',
    );
    expect(approvalProblem(listed, REGIONS, ask('sre', 'Alice'))).toMatch(/"Alice" is not an approver/);
    expect(approvalProblem(listed, REGIONS, ask('sre', 'alice', 'mars'))).toBe('unknown region "mars" (regions: us-east, eu-west)');
    expect(approvalProblem({ ...listed, regions: ['us-east'] }, REGIONS, ask('sre', 'alice', 'eu-west'))).toBe(
      'region eu-west has no approval gate',
    );
    expect(approvalProblem(listed, REGIONS, ask('intern', 'alice'))).toBe('role "intern" is not required (required: functional, sre)');
    expect(approvalProblem(listed, REGIONS, ask('sre', '  '))).toBe('approver must name a person');
  });

  it('refuses every name for a required role the lists leave out; with no lists at all takes any name, as before', () => {
    const sreOnly: ApprovalRules = { ...open, approvers: { sre: ['alice'] } };
    expect(approvalProblem(sreOnly, REGIONS, ask('functional', 'alice'))).toBe(
      `nobody may approve role "functional": the worker's config lists approvers for sre only`,
    );
    expect(approvalProblem(open, REGIONS, ask('functional', 'anyone'))).toBeUndefined();
  });

  it('refuses one person approving two roles of a region, listed or not', () => {
    expect(approvalProblem(listed, REGIONS, ask('functional', 'bob'), { sre: 'bob' })).toBe(
      '"bob" already approved us-east as sre: one person cannot approve two roles of a region',
    );
    expect(approvalProblem(open, REGIONS, ask('sre', 'dana '), { functional: 'dana' })).toMatch(
      /"dana" already approved us-east as functional/,
    );
    // The same role again, or another person, is no second role.
    expect(approvalProblem(listed, REGIONS, ask('sre', 'bob'), { sre: 'bob' })).toBeUndefined();
    expect(approvalProblem(listed, REGIONS, ask('functional', 'carol'), { sre: 'bob' })).toBeUndefined();
  });
});

describe('statedApprovals', () => {
  const defaults = ['us-east', 'eu-west'];
  it('reads the regions and gate a request states, the default regions when it names none', () => {
    expect(
      statedApprovals({ regions: ['apac-se'], approvals: { roles: ['sre'], regions: ['apac-se'], timeoutMinutes: 5 } }, defaults),
    ).toEqual({ regions: ['apac-se'], approvals: { roles: ['sre'], regions: ['apac-se'] } });
    expect(statedApprovals({}, defaults)).toEqual({ regions: defaults });
    expect(approvalProblem(statedApprovals({}, defaults)?.approvals, defaults, { region: 'us-east', role: 'sre', approver: 'a' })).toBe(
      'region us-east has no approval gate',
    );
  });

  it('gives nothing for a malformed request, which the parse will refuse', () => {
    expect(statedApprovals({ regions: 'us-east' }, defaults)).toBeUndefined();
    expect(statedApprovals({ approvals: { roles: [1] } }, defaults)).toBeUndefined();
    expect(statedApprovals({ approvals: { roles: ['sre'], regions: {} } }, defaults)).toBeUndefined();
    expect(statedApprovals({ approvals: null }, defaults)).toBeUndefined();
  });
});
