// `npm start -- --hosts 3`: three hosts per colour per region (own loopback addresses, real sshd
// logins, one HAProxy server each). One green host that never comes up healthy is within the minimum
// (all but one): it is taken out of the balancer and the region promotes on the other two, naming it.
// Two are below the minimum: the region fails before any traffic moves, naming both. Both labs run
// two regions (--regions), the fault region first, and side by side (the tests are concurrent).
import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../../lab/demo.js';
import { parseDemoArgs } from '../../lab/demo-args.js';
import { expectedOutcomes } from '../../lab/demo-expect.js';
import { alive, labArgs, leftovers, runDemo, useDemoLab, DEMO_TEST_TIMEOUT_MS } from './demo-harness.js';

useDemoLab();

describe.concurrent('the demo (npm start) with fleets of three hosts', { timeout: DEMO_TEST_TIMEOUT_MS }, () => {
  it('--fault host: green-2 never comes up; us-east promotes without it (HAProxy weight 0, named in result, card, progress)', async () => {
    const { labDir, args } = await labArgs('demo-fleet-host');
    // Two regions: the one with a host out, then one whose fleet is whole. Scaled stages of 3 s and
    // more: 100 req/s gives green's 10 % stage some 30 requests, the judge needs 10 per period.
    const run = await runDemo([
      '--json',
      '--hosts',
      '3',
      '--fault',
      'host',
      '--fault-region',
      'us-east',
      '--regions',
      'us-east,eu-west',
      '--time-scale',
      '0.01',
      '--rate',
      '100',
      ...args,
    ]);
    expect(run.code, run.stderr.slice(-8000)).toBe(0);
    const demo = JSON.parse(run.stdout) as DemoResult;
    expect(demo.mismatches).toEqual([]);
    expect(demo.expected).toEqual({ 'us-east': 'succeeded', 'eu-west': 'succeeded' });
    expect(demo.result!.outcome).toBe('succeeded');
    expect(Object.keys(demo.result!.regions)).toEqual(['us-east', 'eu-west']);

    // us-east promoted on green-1 and green-3; green-2 is named, out of service, with why.
    const usEast = demo.result!.regions['us-east']!;
    expect(usEast).toMatchObject({ outcome: 'succeeded', stageReached: 100, liveColour: 'green' });
    expect(usEast.outOfService).toEqual([{ host: 'green-2', healthy: false, reason: expect.any(String) }]);
    const euWest = demo.result!.regions['eu-west']!;
    expect(euWest).toMatchObject({ outcome: 'succeeded', stageReached: 100, liveColour: 'green' });
    expect(euWest.outOfService).toBeUndefined();

    // Each HAProxy server's weight afterwards, over the runtime API: green-2 took no traffic share.
    expect(demo.haproxyWeights).toEqual({ 'us-east': { blue: 0, green: 100 }, 'eu-west': { blue: 0, green: 100 } });
    const blueOff = { 'blue-1': 0, 'blue-2': 0, 'blue-3': 0 };
    expect(demo.serverWeights).toEqual({
      'us-east': { ...blueOff, 'green-1': 100, 'green-2': 0, 'green-3': 100 },
      'eu-west': { ...blueOff, 'green-1': 100, 'green-2': 100, 'green-3': 100 },
    });
    // Green took canary traffic in us-east before the 100 % stage (on its two healthy hosts).
    expect(demo.weightChanges['us-east']!.some((w) => w.green > 0 && w.green < 100)).toBe(true);

    // us-east's success card (Slack and Teams) names green-2 and why; eu-west's names no host.
    for (const channel of ['slack', 'teams'] as const) {
      const success = demo.cards.find((c) => c.channel === channel && c.hook === 'us-east' && c.kind === 'success');
      expect(success?.outOfService, channel).toMatch(/^green-2 \(.+\)$/);
    }
    expect(demo.cards.filter((c) => c.hook === 'eu-west' && c.outOfService)).toEqual([]);
    expect(demo.cards.some((c) => c.hook === 'eu-west' && c.kind === 'success')).toBe(true);

    // The progress lines (stderr with --json) show the host out of service during the canary.
    expect(run.stderr).toMatch(/\[progress\] us-east +canary +stage \d+% .* green-2 out of service/);
    expect(run.stderr).not.toMatch(/\[progress\] eu-west .*out of service/);

    // Nothing is left: temporal, sshd, 2 × haproxy, prometheus, pushgateway.
    expect(demo.pids.length).toBe(6);
    expect(demo.pids.filter(alive)).toEqual([]);
    expect(leftovers([run.pgid, ...demo.pids], labDir)).toEqual([]);
  });

  it('--fault hosts: green-2 and green-3 fail, below the minimum: us-east fails before traffic moves; later regions skipped', async () => {
    const { labDir, args } = await labArgs('demo-fleet-hosts');
    const run = await runDemo([
      '--json',
      '--hosts',
      '3',
      '--fault',
      'hosts',
      '--fault-region',
      'us-east',
      '--regions',
      'us-east,eu-west',
      ...args,
    ]);
    expect(run.code, run.stderr.slice(-8000)).toBe(0);
    const demo = JSON.parse(run.stdout) as DemoResult;
    expect(demo.mismatches).toEqual([]);
    const usEast = demo.result!.regions['us-east']!;
    expect(usEast).toMatchObject({ outcome: 'rolled_back', stageReached: 0, liveColour: 'blue' });
    expect(usEast.reason).toMatch(/1 of 3 hosts healthy, 2 needed: green-2 \(.*\); green-3 \(.*\)/);
    expect(demo.haproxyWeights['us-east']).toEqual({ blue: 100, green: 0 });
    expect(demo.result!.regions['eu-west']!.outcome).toBe('skipped');
    const rollback = demo.cards.find((c) => c.channel === 'slack' && c.hook === 'us-east' && c.kind === 'rollback');
    expect(rollback?.cause).toContain('green-3');
    expect(leftovers([run.pgid, ...demo.pids], labDir)).toEqual([]);
  });

  it('--regions: all or distinct lab regions in the order given, the fault region among them; the expectations follow', () => {
    expect(parseDemoArgs([]).regions).toEqual(['us-east', 'eu-west', 'apac-se']);
    expect(parseDemoArgs(['--regions', 'all']).regions).toEqual(['us-east', 'eu-west', 'apac-se']);
    const two = parseDemoArgs(['--regions', 'eu-west,us-east', '--fault-region', 'us-east']);
    expect(two.regions).toEqual(['eu-west', 'us-east']);
    expect(expectedOutcomes(two.regions, two.fault, two.faultRegion)).toEqual({ 'eu-west': 'succeeded', 'us-east': 'rolled_back' });
    expect(parseDemoArgs(['--regions', 'apac-se', '--fault', 'none']).regions).toEqual(['apac-se']);
    for (const [argv, message] of [
      [['--regions', 'mars'], '--regions must be all or lab regions separated by commas'],
      [['--regions', 'us-east,,eu-west'], '--regions must be all or lab regions separated by commas'],
      [['--regions', 'us-east,us-east', '--fault-region', 'us-east'], '--regions names a region twice'],
      // The default fault region (eu-west) is not run: the fault would never show.
      [['--regions', 'us-east'], '--fault-region eu-west is not among --regions us-east'],
    ] as const)
      expect(() => parseDemoArgs([...argv]), argv.join(' ')).toThrow(message);
  });
});
