// `npm start -- --fault subtle`: a regression only the canary judge's comparison with blue can tell
// from noise is rolled back, with the judge's evidence in the rollback card.
import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../../lab/demo.js';
import { labArgs, leftovers, runDemo, useDemoLab, DEMO_TEST_TIMEOUT_MS } from './demo-harness.js';

useDemoLab();

describe('the demo (npm start) with a subtle fault', { timeout: DEMO_TEST_TIMEOUT_MS }, () => {
  it('--fault subtle: 0.6 % errors on green (none on blue) are rolled back by the canary judge, its evidence in the card', async () => {
    const { labDir, args } = await labArgs('demo-subtle');
    // A regression this small needs requests to show: more traffic and longer stages than the default demo.
    const run = await runDemo([
      '--json',
      '--fault',
      'subtle',
      '--fault-region',
      'us-east',
      '--rate',
      '150',
      '--time-scale',
      '0.05',
      ...args,
    ]);
    expect(run.code, run.stderr.slice(-8000)).toBe(0);
    const demo = JSON.parse(run.stdout) as DemoResult;
    expect(demo.mismatches).toEqual([]);
    const region = demo.result!.regions['us-east']!;
    expect(region).toMatchObject({ outcome: 'rolled_back', liveColour: 'blue', breach: { metric: 'error_rate' } });
    // Within the static limits of the first stages (1 % at 10 %, 0.8 % at 25 %): the judge decides on
    // counts, with both colours' figures (or the stage's limit) and its evidence in the card.
    const card = demo.cards.find((c) => c.channel === 'slack' && c.hook === 'us-east' && c.kind === 'rollback');
    expect(card?.cause).toMatch(
      /^error rate (regression|above the limit) at canary \d+%: green [\d,]+ errors \/ [\d,]+ .*evidence [\d,.e+]+ > [\d,.e+]+$/,
    );
    expect(demo.haproxyWeights['us-east']).toEqual({ blue: 100, green: 0 });
    expect(demo.result!.regions['eu-west']!.outcome).toBe('skipped');
    expect(leftovers([run.pgid, ...demo.pids], labDir)).toEqual([]);
  });
});
