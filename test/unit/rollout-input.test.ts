import { describe, expect, it } from 'vitest';
import { DEFAULT_REGIONS, DEFAULT_STAGES, InvalidRolloutInput, parseRolloutInput } from '../../domain/rollout-input.js';
import { admitting } from '../../activities/admission.js';

const base = { service: 'payments-api', version: 'v1.12.3', artifact: { url: 'https://a.example/x.tgz', sha256: 'b'.repeat(64) } };
const problems = (raw: unknown): string[] => {
  try {
    parseRolloutInput(raw);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRolloutInput);
    return (err as InvalidRolloutInput).problems;
  }
};

describe('parseRolloutInput', () => {
  it('fills the original package defaults', () => {
    const input = parseRolloutInput(base);
    expect(input).toMatchObject({
      regions: [...DEFAULT_REGIONS],
      strategy: 'delayed',
      delayBetweenRegionsMinutes: 90,
      checkIntervalSeconds: 30,
      timeScale: 1,
      dryRun: false,
    });
    expect(input.stages.map((s) => [s.weightPct, s.maxErrorRatePct, s.maxLatencyMs, s.durationMinutes])).toEqual([
      [10, 1.0, 500, 5],
      [25, 0.8, 450, 5],
      [50, 0.5, 400, 5],
      [75, 0.3, 350, 5],
      [100, 0.2, 300, 30],
    ]);
    expect(input.stages).toEqual(DEFAULT_STAGES);
  });

  it('leaves no delay on strategies other than delayed', () => {
    expect(parseRolloutInput({ ...base, strategy: 'parallel' }).delayBetweenRegionsMinutes).toBeUndefined();
  });

  it.each(['v1.2.3', '1.2.3', 'v2.0.0-rc.1', 'v1.0.0+build.7'])('accepts release tag %s', (version) => {
    expect(problems({ ...base, version })).toEqual([]);
  });

  it.each(['latest', 'v1.2', 'v1.2.3;reboot', 'v1.2.3 && curl x', '$(id)', 'v1.2.3`x`', '../v1.2.3'])('refuses version %j', (version) => {
    expect(problems({ ...base, version })[0]).toMatch(/^version: must be a release tag/);
  });

  it('names every bad field at once, with its path', () => {
    const found = problems({
      ...base,
      service: 'Payments API',
      artifact: { url: 'https://a.example/x.tgz', sha256: 'XYZ' },
      regions: ['us-east', 'us-east'],
      timeScale: 0,
      extra: true,
    });
    expect(found).toHaveLength(5);
    expect(found).toEqual(
      expect.arrayContaining([
        'unknown field "extra"',
        'service: must be a lowercase name like "payments-api" (a-z, 0-9, single "-", 2-48 chars)',
        'artifact.sha256: must be 64 lowercase hex characters',
        'regions: must not repeat a region',
      ]),
    );
    expect(found.find((p) => p.startsWith('timeScale: '))).toBeDefined();
  });

  it('stages must rise strictly and end at 100', () => {
    const stage = (weightPct: number) => ({ weightPct, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 5 });
    expect(problems({ ...base, stages: [stage(10), stage(10), stage(100)] })).toEqual([
      "stages[1].weightPct: must be greater than the previous stage's 10",
    ]);
    expect(problems({ ...base, stages: [stage(10), stage(50)] })).toEqual(['stages[1].weightPct: the last stage must be 100']);
    expect(problems({ ...base, stages: [] })[0]).toMatch(/^stages: /);
  });

  it('approval regions must be rollout regions; the delay only fits delayed and stays within 30–240', () => {
    expect(problems({ ...base, approvals: { roles: ['sre'], regions: ['mars'] } })).toEqual([
      'approvals.regions[0]: "mars" is not one of the rollout\'s regions',
    ]);
    expect(problems({ ...base, delayBetweenRegionsMinutes: 241 })[0]).toMatch(/^delayBetweenRegionsMinutes: /);
    expect(problems({ ...base, strategy: 'sequential', delayBetweenRegionsMinutes: 90 })).toEqual([
      'delayBetweenRegionsMinutes: only applies to strategy "delayed", not "sequential"',
    ]);
  });

  it("the judge's baseline is at most a day of 1-minute bins", () => {
    expect(problems({ ...base, judge: { baselineMinutes: 7 * 24 * 60, baselineBinMinutes: 1 } })).toEqual([
      'judge.baselineBinMinutes: baselineMinutes 10080 in 1-minute bins is 10080 bins, ' +
        'at most 1440 (a day in 1-minute bins); use longer bins',
    ]);
    expect(problems({ ...base, judge: { baselineMinutes: 7 * 24 * 60, baselineBinMinutes: 7 } })).toEqual([]);
    expect(problems({ ...base, judge: { baselineMinutes: 1440, baselineBinMinutes: 1 } })).toEqual([]);
  });

  it('a parallel override needs a reason', () => {
    expect(problems({ ...base, strategy: 'parallel', parallelPolicyOverride: { reason: 'x' } })).toEqual([
      'parallelPolicyOverride.reason: say why (10 characters or more)',
    ]);
  });
});

describe('admitting (the worker parses the request in workerSetup)', () => {
  const setup = admitting(async () => ({ regions: ['us-east'] }));

  it('answers with the setup and the request parsed, or its problems', async () => {
    expect(await setup(base)).toEqual({ regions: ['us-east'], input: parseRolloutInput(base) });
    expect(await setup({ ...base, version: 'v1; rm -rf /' })).toEqual({
      regions: ['us-east'],
      problems: problems({ ...base, version: 'v1; rm -rf /' }),
    });
  });

  it('answers with the setup alone when asked without a request (rollouts started before)', async () => {
    expect(await setup()).toEqual({ regions: ['us-east'] });
  });
});
