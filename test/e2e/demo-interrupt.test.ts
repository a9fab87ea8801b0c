// Ctrl-C (SIGINT to the demo's process group, as a terminal sends it) in the middle of the rollout
// stops every lab process: the daemons, the worker, the demo itself.
import { describe, expect, it } from 'vitest';
import { alive, daemonPids, labArgs, leftovers, runDemo, useDemoLab } from './demo-harness.js';

useDemoLab();

describe('the demo (npm start) interrupted', () => {
  it('stops everything on Ctrl-C in the middle of the rollout', async () => {
    const { labDir, args } = await labArgs('demo-int');
    const run = await runDemo(['--time-scale', '0.01', ...args], { interrupt: /canary +stage 10%/, deadlineMs: 130_000 });
    const out = run.stdout + run.stderr;
    expect(out).toMatch(/SIGINT: stopping the lab/);
    expect(run.code, out.slice(-3000)).toBe(130);
    const pids = daemonPids(out);
    expect(pids.length).toBe(7);
    expect(pids.filter(alive)).toEqual([]);
    expect(leftovers([run.pgid, ...pids], labDir)).toEqual([]);
  }, 180_000);
});
