// What the CLI prints, from data alone.
import { describe, expect, it } from 'vitest';
import { parseRolloutInput } from '../../domain/rollout-input.js';
import {
  aboutDuration,
  changedLines,
  offset,
  redraw,
  renderCompare,
  renderList,
  renderPlan,
  renderResult,
  renderStatus,
  span,
  strategyTotals,
  table,
} from '../../client/render.js';
import type { RegionComparison, RolloutView } from '../../client/status.js';

const input = (over: Record<string, unknown> = {}) =>
  parseRolloutInput({
    service: 'payments-api',
    version: 'v1.12.3',
    artifact: { url: 'https://a.example/p.tgz', sha256: 'a'.repeat(64) },
    ...over,
  });
const M = { errorRatePct: 0.12, latencyP95Ms: 210.4, cpuPct: 41.2, memoryPct: 63.8, sampledAt: '2026-01-01T00:00:00Z' };

describe('durations', () => {
  // Each formatter with its cases, minutes → text.
  it.each([
    { format: aboutDuration, cases: { 354: 'about 5.9 h', 58: 'about 58 min', 0.3: 'about 18 s' } },
    { format: span, cases: { 90: '1 h 30 min', 120: '2 h', 5: '5 min', 0.7: '42 s', 1.5: '1 min 30 s', 119.9: '2 h', 59.9: '60 min' } },
    { format: offset, cases: { 98: 'T+1:38:00', 0.5: 'T+0:00:30' } },
  ])('$format.name formats minutes', ({ format, cases }) => {
    for (const [minutes, want] of Object.entries(cases)) expect(format(Number(minutes)), `${format.name}(${minutes})`).toBe(want);
  });

  it('table aligns columns and trims the end', () => {
    expect(
      table([
        ['a', 'bb', ''],
        ['ccc', 'd', 'e'],
      ]),
    ).toEqual(['a    bb', 'ccc  d   e']);
  });
});

describe('plan', () => {
  it('delayed default: 3 regions, observation windows between them, total 354 min', () => {
    const lines = renderPlan(input());
    expect(lines[0]).toBe('Plan: delayed rollout, us-east → eu-west → apac-se');
    expect(lines).toContain('Expected total — delayed: about 5.9 h (354 min)');
    expect(lines).toContain('Other strategies — sequential: about 2.9 h (174 min) · parallel: about 58 min');
    expect(lines.filter((l) => l.includes('observation window'))).toHaveLength(2);
    const euStart = lines[lines.indexOf('eu-west') + 1]!;
    expect(euStart).toMatch(/^ {2}T\+2:28:00\s+3 min\s+deploy to candidate colour$/);
  });

  it('strategy totals follow the input: a longer delay lengthens only "delayed"', () => {
    const totals = Object.fromEntries(strategyTotals(input({ delayBetweenRegionsMinutes: 240 })).map((t) => [t.strategy, t.totalMinutes]));
    expect(totals).toEqual({ delayed: 58 * 3 + 480, sequential: 174, parallel: 58 });
  });

  it('a time scale shrinks the timeline and says so', () => {
    const lines = renderPlan(input({ strategy: 'parallel', timeScale: 0.01 }));
    expect(lines[0]).toBe('Plan: parallel rollout, us-east + eu-west + apac-se at once (timeScale 0.01: every wait shrunk)');
    expect(lines).toContain('Expected total — parallel: about 35 s');
  });
});

const view: RolloutView = {
  workflowId: 'rollout-payments-api',
  runId: 'r1',
  state: 'RUNNING',
  startTime: new Date('2026-03-01T10:00:00Z'),
  service: 'payments-api',
  version: 'v1.12.3',
  strategy: 'delayed',
  paused: true,
  cancelled: false,
  regions: [
    {
      region: 'us-east',
      workflowId: 'rollout-payments-api-us-east',
      phase: 'canary',
      paused: true,
      stage: '25%',
      stageReached: 25,
      weights: { blue: 75, green: 25 },
      candidate: 'green',
      liveColour: 'blue',
      lastMetrics: M,
    },
    {
      region: 'eu-west',
      workflowId: 'rollout-payments-api-eu-west',
      phase: 'awaiting_approval',
      paused: false,
      stageReached: 0,
      approvals: { region: 'eu-west', required: ['functional', 'sre'], approvedBy: { functional: 'ann' }, pending: ['sre'] },
    },
    { region: 'apac-se', workflowId: 'rollout-payments-api-apac-se', phase: 'pending', paused: false, stageReached: 0 },
  ],
};

describe('status, result, list, compare', () => {
  it('status: a header and one aligned row per region', () => {
    const lines = renderStatus(view);
    expect(lines[0]).toBe('payments-api v1.12.3 · delayed · running · PAUSED  (rollout-payments-api)');
    expect(lines[1]).toMatch(
      /^ {2}us-east\s+canary \(paused\)\s+25%\s+candidate green 25 % \/ stable blue 75 %\s+green: err 0\.12% p95 210 ms cpu 41% mem 64%$/,
    );
    expect(lines[2]).toMatch(/^ {2}eu-west\s+awaiting_approval\s+awaiting approval: sre$/);
    expect(lines[3]).toMatch(/^ {2}apac-se\s+pending$/);
    expect(lines.indexOf('us-east')).toBe(-1);
    const done = renderStatus({ ...view, state: 'COMPLETED', paused: false, outcome: 'rolled_back', regions: [] });
    expect(done).toEqual(['payments-api v1.12.3 · delayed · completed  (rollout-payments-api)', 'outcome: rolled_back']);
    expect(renderStatus({ ...view, state: 'FAILED', paused: false, regions: [], failure: 'strategy "parallel" needs 5' })).toContain(
      'failed: strategy "parallel" needs 5',
    );
  });

  it('result: the outcome, then each region with stage, colour, metrics and reason', () => {
    const lines = renderResult('payments-api', {
      outcome: 'partially_succeeded',
      regions: {
        'us-east': { outcome: 'succeeded', stageReached: 100, liveColour: 'green', lastMetrics: M },
        'eu-west': {
          outcome: 'rolled_back',
          stageReached: 25,
          liveColour: 'blue',
          reason: 'error rate 2.10% > 0.80% at canary 25%',
          rollbackError: 'dns: 500',
        },
      },
    });
    expect(lines[0]).toBe('payments-api: partially_succeeded');
    expect(lines[1]).toMatch(/us-east\s+succeeded\s+reached 100%\s+live green\s+err 0\.12%/);
    expect(lines[2]).toMatch(
      /eu-west\s+rolled_back\s+reached 25%\s+live blue\s+error rate 2\.10% > 0\.80% at canary 25% — ROLLBACK INCOMPLETE/,
    );
  });

  it('status, result and compare name a blue candidate as blue, and green as the stable colour', () => {
    const us = { ...view.regions[0]!, weights: { blue: 25, green: 75 }, candidate: 'blue' as const, liveColour: 'green' as const };
    expect(renderStatus({ ...view, regions: [us] })[1]).toMatch(/25%\s+candidate blue 25 % \/ stable green 75 %\s+blue: err 0\.12%/);
    const result = renderResult('payments-api', {
      outcome: 'rolled_back',
      regions: { 'us-east': { outcome: 'rolled_back', stageReached: 25, liveColour: 'green', candidate: 'blue', lastMetrics: M } },
    });
    expect(result[1]).toMatch(/us-east\s+rolled_back\s+reached 25%\s+live green\s+blue: err 0\.12%/);
    const row: RegionComparison = {
      region: 'us-east',
      phase: 'canary',
      serving: 'previous',
      version: 'v1.12.3',
      liveColour: 'green',
      weights: { blue: 25, green: 75 },
      candidate: 'blue',
      stageReached: 25,
    };
    expect(renderCompare(view, [row])[2]).toMatch(
      /^us-east\s+canary\s+previous \(not v1\.12\.3\)\s+green\s+candidate blue 25 % \/ stable green 75 %/,
    );
  });

  it('list: newest rows with the outcome, or "running"', () => {
    const lines = renderList([
      {
        workflowId: 'rollout-a-api',
        runId: '1',
        state: 'RUNNING',
        service: 'a-api',
        version: 'v2.0.0',
        strategy: 'parallel',
        startTime: new Date('2026-03-02T09:05:00Z'),
      },
      {
        workflowId: 'rollout-b-api',
        runId: '2',
        state: 'COMPLETED',
        service: 'b-api',
        version: 'v1.0.0',
        strategy: 'delayed',
        outcome: 'succeeded',
        startTime: new Date('2026-03-01T08:00:00Z'),
      },
      { workflowId: 'rollout-c-api', runId: '3', state: 'TERMINATED', startTime: new Date('2026-03-01T07:00:00Z') },
    ]);
    expect(lines[0]).toMatch(/^STARTED \(UTC\)\s+SERVICE\s+VERSION\s+STRATEGY\s+OUTCOME\s+WORKFLOW$/);
    expect(lines[1]).toMatch(/^2026-03-02 09:05\s+a-api\s+v2\.0\.0\s+parallel\s+running\s+rollout-a-api$/);
    expect(lines[2]).toMatch(/b-api\s+v1\.0\.0\s+delayed\s+succeeded/);
    expect(lines[3]).toMatch(/\?\s+\?\s+\?\s+terminated/);
    expect(renderList([])).toEqual(['no rollouts found']);
  });

  it('list: drills and dry runs are marked, so nobody takes them for rollouts on record', () => {
    const at = new Date('2026-03-01T08:00:00Z');
    const lines = renderList([
      {
        workflowId: 'rollout-d-api',
        runId: '4',
        state: 'COMPLETED',
        service: 'd-api',
        version: 'v1.0.0',
        strategy: 'delayed',
        outcome: 'succeeded',
        kind: 'drill',
        startTime: at,
      },
      {
        workflowId: 'rollout-e-api',
        runId: '5',
        state: 'COMPLETED',
        service: 'e-api',
        version: 'v1.0.0',
        strategy: 'delayed',
        outcome: 'rolled_back',
        kind: 'dry_run',
        startTime: at,
      },
      {
        workflowId: 'rollout-f-api',
        runId: '6',
        state: 'COMPLETED',
        service: 'f-api',
        version: 'v1.0.0',
        strategy: 'delayed',
        outcome: 'succeeded',
        kind: 'rollout',
        startTime: at,
      },
    ]);
    expect(lines[1]).toMatch(/d-api\s+v1\.0\.0\s+delayed\s+succeeded \(drill\)\s+rollout-d-api$/);
    expect(lines[2]).toMatch(/e-api\s+v1\.0\.0\s+delayed\s+rolled_back \(dry run\)\s+rollout-e-api$/);
    expect(lines[3]).toMatch(/f-api\s+v1\.0\.0\s+delayed\s+succeeded\s+rollout-f-api$/);
  });

  it('compare: one row per region with version, live colour, weights and metrics', () => {
    const regions: RegionComparison[] = [
      {
        region: 'us-east',
        phase: 'succeeded',
        serving: 'new',
        version: 'v1.12.3',
        liveColour: 'green',
        weights: { blue: 0, green: 100 },
        stageReached: 100,
        lastMetrics: M,
      },
      { region: 'eu-west', phase: 'pending', serving: 'previous', version: 'v1.12.3', stageReached: 0 },
    ];
    const lines = renderCompare({ ...view, state: 'RUNNING' }, regions);
    expect(lines[0]).toBe('payments-api v1.12.3 (delayed, running)');
    expect(lines[2]).toMatch(/^us-east\s+succeeded\s+v1\.12\.3\s+green\s+blue 0 % \/ green 100 %\s+0\.12%\s+210 ms\s+41%\s+64%$/);
    expect(lines[3]).toMatch(/^eu-west\s+pending\s+previous \(not v1\.12\.3\)\s+\?\s+\?\s+-\s+-\s+-\s+-$/);
  });
});

describe('watch output', () => {
  it('redraw moves up over the last frame, clears each line tail and what is left below', () => {
    expect(redraw(0, ['a', 'b'])).toBe('a\x1b[K\nb\x1b[K\n\x1b[J');
    expect(redraw(3, ['a'])).toBe('\x1b[3A\ra\x1b[K\n\x1b[J');
    expect(redraw(0, ['x'.repeat(50)], 10)).toBe(`${'x'.repeat(9)}\x1b[K\n\x1b[J`);
  });

  it('changedLines keeps only the lines that changed, for logs', () => {
    expect(changedLines(['h', '  us-east canary 10%', '  eu-west pending'], ['h', '  us-east canary 25%', '  eu-west pending'])).toEqual([
      '  us-east canary 25%',
    ]);
    expect(changedLines([], ['h'])).toEqual(['h']);
  });
});

describe('status shows the judge', () => {
  it("prints each region's pause reason and the judge's latest evidence", () => {
    const view: RolloutView = {
      service: 'payments-api',
      version: 'v1.12.3',
      strategy: 'delayed',
      paused: false,
      cancelled: false,
      workflowId: 'rollout-payments-api',
      runId: 'r',
      state: 'RUNNING',
      startTime: new Date('2026-01-01T00:00:00Z'),
      regions: [
        {
          region: 'eu-west',
          workflowId: 'rollout-payments-api-eu-west',
          phase: 'canary',
          paused: true,
          pauseReason: 'inconclusive after 10 min at canary 10%: green served 21 requests in this period, 50 needed',
          stage: '10%',
          stageReached: 10,
          verdict: {
            phase: 'canary 10%',
            test: 'error_rate_sequential',
            text: 'green 1 errors / 21 vs blue 2 / 190 — 4.76 % vs 1.05 %, evidence 3.1 < 250',
          },
        },
      ],
    };
    const lines = renderStatus(view);
    expect(lines).toContain(
      '  eu-west paused: inconclusive after 10 min at canary 10%: green served 21 requests in this period, 50 needed',
    );
    expect(lines).toContain('  eu-west judge at canary 10%: green 1 errors / 21 vs blue 2 / 190 — 4.76 % vs 1.05 %, evidence 3.1 < 250');
  });
});
