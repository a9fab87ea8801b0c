// `npm start`'s demo, run the way a person runs it (its own process, a process group of its own, as
// in a terminal): a real delayed rollout over three regions in which eu-west's new version serves
// errors. Asserts the workflow's result, what each HAProxy holds afterwards, the rollback card the
// Slack stand-in got, the timestamped fault in faults.jsonl, and that no lab process outlives it —
// also when it is stopped with Ctrl-C (SIGINT to its process group) in the middle of the rollout.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages } from '../../lab/debian.js';
import { LAB_PACKAGES } from '../../lab/lab.js';
import type { DemoResult } from '../../lab/demo.js';
import type { FaultInjection } from '../../lab/fault-agent.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The demo's process group (npx, tsx and node). */
  pgid: number;
}

/** Starts the demo in a process group of its own; `interrupt` sends SIGINT to the group once its output matches. */
function runDemo(args: string[], interrupt?: RegExp): Promise<Run> {
  // npx dies of the SIGINT itself (no exit code to check), so the Ctrl-C run starts tsx directly.
  const [cmd, ...pre] = interrupt ? [join(ROOT, 'node_modules', '.bin', 'tsx')] : ['npx', 'tsx'];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, [...pre, 'lab/demo.ts', ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const check = () => {
      if (interrupt && !sent && interrupt.test(stdout + stderr)) {
        sent = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    };
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      check();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      check();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, pgid: child.pid! }));
  });
}

/** Still running: a zombie (exited, waiting to be reaped by its new parent) counts as gone. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = (() => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return '';
    }
  })();
  return !/^\d+ \(.*\) Z/.test(stat);
}

/** Live processes (pid, pgid, command) that belong to one of the groups or name the lab directory. */
function leftovers(pgids: number[], labDir: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return ps
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => {
      const [, pgid, stat = ''] = l.split(/\s+/);
      // A zombie has exited already; it only waits for its (re)parent to reap it.
      if (stat.startsWith('Z')) return false;
      return (pgid && pgids.includes(Number(pgid))) || l.includes(labDir);
    })
    .filter((l) => !l.includes('ps -eo'));
}

const daemonPids = (stderr: string): number[] => [...(/lab daemons \(pid\): (.*)/.exec(stderr)?.[1] ?? '').matchAll(/ (\d+)/g)].map((m) => Number(m[1]));

beforeAll(() => {
  ensureDebianPackages(LAB_PACKAGES);
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the demo (npm start)', () => {
  it('promotes us-east, rolls eu-west back on its error rate, skips apac-se, and leaves nothing running', async () => {
    const labDir = mkdtempSync(join(tmpdir(), 'meridian-demo-'));
    dirs.push(labDir);
    const started = Date.now();
    const run = await runDemo(['--json', '--time-scale', '0.01', '--lab-dir', labDir]);
    const ended = Date.now();
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
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
    expect(demo.haproxyWeights).toEqual({ 'us-east': { blue: 0, green: 100 }, 'eu-west': { blue: 100, green: 0 }, 'apac-se': { blue: 100, green: 0 } });
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
    const lines = readFileSync(join(labDir, 'faults.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as FaultInjection);
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
  }, 300_000);

  it('--fault subtle: a 0.6 % error rate on green (blue at none) is rolled back by the canary judge, with its evidence in the card', async () => {
    const labDir = mkdtempSync(join(tmpdir(), 'meridian-demo-subtle-'));
    dirs.push(labDir);
    // A regression this small needs requests to show: more traffic and longer stages than the default demo.
    const run = await runDemo(['--json', '--fault', 'subtle', '--fault-region', 'us-east', '--rate', '150', '--time-scale', '0.05', '--lab-dir', labDir]);
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const demo = JSON.parse(run.stdout) as DemoResult;
    expect(demo.mismatches).toEqual([]);
    const region = demo.result!.regions['us-east']!;
    expect(region).toMatchObject({ outcome: 'rolled_back', liveColour: 'blue', breach: { metric: 'error_rate' } });
    // Within the static limits of the first stages (1 % at 10 %, 0.8 % at 25 %): the judge decides on
    // counts, with both colours' figures (or the stage's limit) and its evidence in the card.
    const card = demo.cards.find((c) => c.channel === 'slack' && c.hook === 'us-east' && c.kind === 'rollback');
    expect(card?.cause).toMatch(/^error rate (regression|above the limit) at canary \d+%: green [\d,]+ errors \/ [\d,]+ .*evidence [\d,.e+]+ > [\d,.e+]+$/);
    expect(demo.haproxyWeights['us-east']).toEqual({ blue: 100, green: 0 });
    expect(demo.result!.regions['eu-west']!.outcome).toBe('skipped');
    expect(leftovers([run.pgid, ...demo.pids], labDir)).toEqual([]);
  }, 300_000);

  it('stops everything on Ctrl-C in the middle of the rollout', async () => {
    const labDir = mkdtempSync(join(tmpdir(), 'meridian-demo-int-'));
    dirs.push(labDir);
    const run = await runDemo(['--time-scale', '0.01', '--lab-dir', labDir], /canary +stage 10%/);
    const out = run.stdout + run.stderr;
    expect(out).toMatch(/SIGINT: stopping the lab/);
    expect(run.code, out.slice(-3000)).toBe(130);
    const pids = daemonPids(out);
    expect(pids.length).toBe(7);
    expect(pids.filter(alive)).toEqual([]);
    expect(leftovers([run.pgid, ...pids], labDir)).toEqual([]);
  }, 180_000);
});
