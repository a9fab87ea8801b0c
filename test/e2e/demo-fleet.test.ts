// `npm start -- --hosts 3`: three hosts per colour per region (own loopback addresses, real sshd
// logins, one HAProxy server each). Two green hosts that never come up healthy are below the minimum
// (all but one): the region fails before any traffic moves, naming both. (`--fault host`, one bad
// host taken out and every region promoted, runs the whole 3-region demo: too long for the suite.)
import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../../lab/demo.js';
import { labArgs, leftovers, runDemo, useDemoLab } from './demo-harness.js';

useDemoLab();

describe('the demo (npm start) with fleets of three hosts', () => {
  it('--fault hosts: green-2 and green-3 fail, below the minimum: us-east fails before traffic moves; later regions skipped', async () => {
    const { labDir, args } = await labArgs('demo-fleet-hosts');
    const run = await runDemo(['--json', '--hosts', '3', '--fault', 'hosts', '--fault-region', 'us-east', ...args]);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
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
  }, 300_000);
});
