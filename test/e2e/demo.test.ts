// `npm start`'s demo, run the way a person runs it: a real delayed rollout over three regions in
// which eu-west's new version serves errors. Asserts the workflow's result, what each HAProxy holds
// afterwards, the rollback card the Slack stand-in got, the timestamped fault in faults.jsonl, and
// that no lab process outlives it. (The subtle fault and Ctrl-C runs are files of their own, so the
// three labs run side by side.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../../lab/demo.js';
import type { FaultInjection } from '../../lab/fault-agent.js';
import { alive, labArgs, leftovers, runDemo, useDemoLab, DEMO_TEST_TIMEOUT_MS } from './demo-harness.js';

useDemoLab();

describe('the demo (npm start)', { timeout: DEMO_TEST_TIMEOUT_MS }, () => {
  it('promotes us-east, rolls eu-west back on its error rate, skips apac-se, and leaves nothing running', async () => {
    const { labDir, args } = await labArgs('demo');
    const started = Date.now();
    const run = await runDemo(['--json', '--time-scale', '0.01', ...args]);
    const ended = Date.now();
    expect(run.code, run.stderr.slice(-8000)).toBe(0);
    const demo = JSON.parse(run.stdout) as DemoResult;
    expect(demo.ok).toBe(true);
    expect(demo.mismatches).toEqual([]);

    // The workflow's own result, region by region.
    const regions = demo.result!.regions;
    expect(demo.result!.outcome).toBe('partially_succeeded');
    expect(regions['us-east']).toMatchObject({ outcome: 'succeeded', stageReached: 100, liveColour: 'green' });
    expect(regions['eu-west']!.outcome).toBe('rolled_back');
    expect(regions['eu-west']!.stageReached).toBeGreaterThan(0);
    expect(regions['eu-west']!.breach).toMatchObject({ metric: 'error_rate' });
    expect(regions['eu-west']!.breach!.value).toBeGreaterThan(regions['eu-west']!.breach!.threshold!);
    expect(regions['apac-se']!.outcome).toBe('skipped');

    // What each HAProxy held afterwards, read over its runtime API.
    expect(demo.haproxyWeights).toEqual({
      'us-east': { blue: 0, green: 100 },
      'eu-west': { blue: 100, green: 0 },
      'apac-se': { blue: 100, green: 0 },
    });
    // eu-west's green really took canary traffic before it was drained; apac-se's never did.
    expect(demo.weightChanges['eu-west']!.some((w) => w.green > 0)).toBe(true);
    expect(demo.weightChanges['eu-west']!.at(-1)).toMatchObject({ blue: 100, green: 0 });
    expect(demo.weightChanges['apac-se']!.every((w) => w.green === 0)).toBe(true);

    // The rollback card in eu-west's Slack channel names the breached metric.
    const card = demo.cards.find((c) => c.channel === 'slack' && c.hook === 'eu-west' && c.kind === 'rollback');
    expect(card?.title).toBe('eu-west rolled back to blue');
    // The canary judge's evidence: green's errors and requests (against blue's, or the stage's limit).
    expect(card?.cause).toMatch(/^error rate (regression|above the limit) at canary \d+%: green [\d,]+ errors \/ [\d,]+ /);
    expect(run.stderr).toMatch(/\[slack:eu-west\] rollback +eu-west +eu-west rolled back to blue — error rate/);

    // faults.jsonl has the timestamped injection, made during the run, into eu-west's green only.
    const lines = readFileSync(join(labDir, 'faults.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FaultInjection);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ region: 'eu-west', colour: 'green', version: 'v2.0.0', kind: 'error-rate', value: 20 });
    const at = Date.parse(lines[0]!.time);
    expect(at).toBeGreaterThan(started);
    expect(at).toBeLessThan(ended);
    expect(demo.timings.faultToRollbackMs).toBeGreaterThan(0);

    // Nothing is left: not the daemons, not the demo's own processes, nothing under its lab dir.
    expect(demo.pids.length).toBe(7); // temporal, sshd, 3 × haproxy, prometheus, pushgateway
    expect(demo.pids.filter(alive)).toEqual([]);
    expect(leftovers([run.pgid, ...demo.pids], labDir)).toEqual([]);
  });
});
