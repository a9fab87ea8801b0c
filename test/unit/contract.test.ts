// Workflow IDs: no service name and no region name can produce another rollout's ID.
import { describe, expect, it } from 'vitest';
import { emergencyWorkflowId, regionWorkflowId, rolloutWorkflowId } from '../../domain/contract.js';
import { regionName, serviceName } from '../../domain/rollout-input.js';

const names = ['pay', 'pay-us', 'pay-us-east', 'us', 'us-east', 'east', 'a1', 'eu-west', 'pay-eu', 'payments-api', 'api-us', 'x-y-z'];

describe('workflow IDs', () => {
  it('never collide across services and regions', () => {
    const ids = new Map<string, string>();
    const add = (id: string, who: string) => {
      expect(ids.get(id), `${who} and ${ids.get(id)} share ${id}`).toBeUndefined();
      ids.set(id, who);
    };
    for (const s of names) {
      add(rolloutWorkflowId(s), `rollout of ${s}`);
      for (const r of names) {
        add(regionWorkflowId(s, r), `region ${r} of ${s}`);
        add(emergencyWorkflowId(s, r), `emergency rollback of ${r} in ${s}`);
      }
    }
    // Service "pay-us-east" and region us-east of "pay" do not collide.
    expect(rolloutWorkflowId('pay-us-east')).toBe('rollout-pay-us-east');
    expect(regionWorkflowId('pay', 'us-east')).toBe('rollout-pay--us-east');
  });

  it('refuses names with "--", the separator', () => {
    expect(serviceName.safeParse('pay--us').success).toBe(false);
    expect(regionName.safeParse('us--east').success).toBe(false);
    expect(serviceName.safeParse('pay-us').success).toBe(true);
  });
});
