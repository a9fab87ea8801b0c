// The real `meridian` CLI (node client/bin.mjs) against a dev server, with an in-process worker
// running the real workflows over stub worlds. Waits are shrunk (timeScale 0.002, short stages)
// so each region takes seconds.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emergencyWorkflowId, rolloutWorkflowId } from '../../domain/contract.js';
import { run as runCli, type Io } from '../../client/cli.js';
import { breachAt } from '../helpers/stub-world.js';
import { devServerEnv } from '../helpers/temporal.js';
import { cli, eventually, ROOT, runWorker, ServiceWorlds, sh, SHA, type RunningWorker } from './cli-harness.js';

let env: TestWorkflowEnvironment;
let worker: RunningWorker;
let tmp: string;
let config: string;
const worlds = new ServiceWorlds();
const taskQueue = `meridian-cli-${process.pid}`;
let server: Record<string, string>;

beforeAll(async () => {
  env = await devServerEnv(import.meta.url);
  worker = await runWorker(env, taskQueue, worlds.activities());
  server = { TEMPORAL_ADDRESS: env.address, TEMPORAL_NAMESPACE: env.namespace!, MERIDIAN_TASK_QUEUE: taskQueue };
  tmp = mkdtempSync(join(tmpdir(), 'meridian-cli-'));
  // Two short stages; 60 s checks under timeScale 0.002 are 120 ms timers: a region takes ~7 checks.
  config = join(tmp, 'rollout.json');
  writeFileSync(
    config,
    JSON.stringify({
      stages: [
        { weightPct: 25, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 1 },
        { weightPct: 100, maxErrorRatePct: 0.2, maxLatencyMs: 300, durationMinutes: 1 },
      ],
      checkIntervalSeconds: 60,
    }),
  );
});

afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const release = (service: string, version = 'v2.4.0') => [
  '--config',
  config,
  '--service',
  service,
  '--version',
  version,
  '--artifact-url',
  `https://artifacts.example/${service}-${version}.tgz`,
  '--artifact-sha256',
  SHA,
  '--time-scale',
  '0.002',
];

const run = (...args: string[]) => cli(args, server);

async function statusUntil(service: string, test: (out: string) => boolean, what: string): Promise<string> {
  return eventually(async () => {
    const r = await run('status', service);
    return r.code === 0 && test(r.stdout) ? r.stdout : undefined;
  }, what);
}

// Each test drives rollouts of its own services: they run side by side, their waits overlap.
describe.concurrent('meridian against a dev server', () => {
  it('starts once, refuses a second start, pauses, resumes, approves, aborts a region and watches to the end', async () => {
    // A drill scales the approval timeout too (240 min × 0.002 is 29 s): 0.01 leaves the approvers 2.4 min.
    const start = await run(
      'start',
      ...release('checkout'),
      '--regions',
      'us-east,eu-west',
      '--strategy',
      'sequential',
      '--approvals',
      'functional,sre',
      '--time-scale',
      '0.01',
    );
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(start.stdout).toContain('started rollout-checkout');

    const again = await run('start', ...release('checkout'), '--regions', 'us-east,eu-west', '--strategy', 'sequential');
    expect(again.code).toBe(3);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toContain(
      'a rollout of checkout is already running (rollout-checkout): watch it with `meridian watch checkout` or abort it',
    );

    await statusUntil(
      'checkout',
      (o) => /us-east\s+awaiting_approval/.test(o) && o.includes('awaiting approval: functional, sre'),
      'us-east awaiting approval',
    );

    // The rollout's own status (its query) names its regions: a control for another is refused.
    const elsewhere = await run('pause', 'checkout', '--region', 'apac-se');
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain('region: "apac-se" is not in the rollout of checkout (regions: us-east, eu-west)');

    const pause = await run('pause', 'checkout', '--reason', 'checking a dashboard');
    expect(pause.code).toBe(0);
    const paused = await statusUntil(
      'checkout',
      (o) => o.includes('PAUSED') && /us-east\s+awaiting_approval \(paused\)/.test(o),
      'paused status',
    );
    expect(paused).toMatch(/eu-west\s+pending/);

    expect((await run('resume', 'checkout')).code).toBe(0);
    await statusUntil('checkout', (o) => !o.includes('PAUSED') && !o.includes('(paused)'), 'resumed status');

    // The workflow's validator answers the update: nothing is recorded for a wrong role or region.
    const badRole = await run('approve', 'checkout', '--region', 'us-east', '--role', 'qa', '--approver', 'bob');
    expect(badRole.code).toBe(2);
    expect(badRole.stderr.trim().split('\n')).toHaveLength(1);
    expect(badRole.stderr).toContain('role "qa" is not required (required: functional, sre)');
    const badRegion = await run('approve', 'checkout', '--region', 'apac-se', '--role', 'sre', '--approver', 'bob');
    expect(badRegion.code).toBe(2);
    expect(badRegion.stderr).toContain('unknown region "apac-se"');

    const first = await run('approve', 'checkout', '--region', 'us-east', '--role', 'functional', '--approver', 'alice');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('approved functional by alice; pending: sre');
    // eu-west has not started yet: abort it now, so it is skipped as aborted and never touched.
    const abort = await run('abort', 'checkout', '--region', 'eu-west', '--reason', 'EU freeze this week');
    expect(abort.code).toBe(0);
    const second = await run('approve', 'checkout', '--region', 'us-east', '--role', 'sre', '--approver', 'carol');
    expect(second.stdout).toContain('all approvals in');

    const watch = await run('watch', 'checkout', '--interval', '0.3');
    expect(watch.code).toBe(1); // partially succeeded: not a success
    expect(watch.stdout).toContain('outcome: partially_succeeded');
    expect(watch.stdout).toMatch(/eu-west\s+aborted\s.*EU freeze this week/);
    expect(watch.stdout).not.toContain('\x1b['); // not a terminal: plain lines

    const world = worlds.world('checkout');
    expect(world.weights.get('us-east')).toEqual({ blue: 0, green: 100 });
    expect(world.weights.get('eu-west')).toEqual({ blue: 100, green: 0 });
    expect(world.callsFor('eu-west', 'deploy')).toHaveLength(0);
    expect(world.cards.find((c) => c.kind === 'approval')?.region).toBe('us-east');

    // Closed: status comes from the result and the search attributes, with no worker asked.
    const closed = await run('status', 'checkout');
    expect(closed.stdout).toContain('checkout v2.4.0 · sequential · completed');
    expect(closed.stdout).toMatch(/us-east\s+succeeded/);
    expect(closed.stdout).toContain('outcome: partially_succeeded');
  }, 240_000); // the longest scenario: some 25 CLI runs one after another

  it('watch on a terminal redraws the status in place until the rollout closes', async () => {
    expect(
      (await run('start', ...release('profile-api'), '--regions', 'us-east', '--strategy', 'sequential', '--approvals', 'sre')).code,
    ).toBe(0);
    await statusUntil('profile-api', (o) => /us-east\s+awaiting_approval/.test(o), 'profile-api awaiting approval');
    let screen = '';
    const io: Io = {
      out: (t) => void (screen += t),
      err: (t) => void (screen += t),
      env: server,
      isTTY: true,
      columns: 200,
      readFile: () => '',
    };
    const watching = runCli(['watch', 'profile-api', '--interval', '0.2'], io);
    await eventually(() => (screen.includes('awaiting approval: sre') ? true : undefined), 'the first frame');
    expect((await run('approve', 'profile-api', '--region', 'us-east', '--role', 'sre', '--approver', 'erin')).code).toBe(0);
    expect(await watching).toBe(0);
    // eslint-disable-next-line no-control-regex -- ANSI escape sequences are what is tested
    expect(screen).toMatch(/\x1b\[\d+A\r/); // later frames move the cursor back up over the last one
    expect(screen).toContain('\x1b[K');
    // eslint-disable-next-line no-control-regex -- splits on an ANSI cursor-up sequence
    const frames = screen.split(/\x1b\[\d+A\r/);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames.at(-1)).toMatch(/us-east\s+succeeded/);
    expect(frames.at(-1)).toContain('outcome: succeeded');
  });

  it('start --wait exits 0 when every region succeeded and prints each region', async () => {
    const r = await run('start', ...release('search-api'), '--regions', 'us-east', '--strategy', 'sequential', '--wait');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('search-api: succeeded');
    expect(r.stdout).toMatch(/us-east\s+succeeded\s+reached 100%\s+live green\s+green: err 0\.05% p95 120 ms/);
    expect(worlds.world('search-api').weights.get('us-east')).toEqual({ blue: 0, green: 100 });
  });

  it('start --wait exits 1 on a breach: the region rolls back and the next is skipped', async () => {
    worlds.world('billing').hooks = { metrics: breachAt('us-east', 100) };
    const r = await run('start', ...release('billing'), '--regions', 'us-east,eu-west', '--strategy', 'sequential', '--wait');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('billing: rolled_back');
    // At 100 % no blue traffic to compare with: green's 5 % against the stage's 0.20 % limit, or against
    // what blue's rate before (its earlier stages) allows, whichever rule crosses first.
    expect(r.stdout).toMatch(
      new RegExp(
        String.raw`us-east\s+rolled_back\s+reached 100%\s+live blue.*at canary 100%: green [\d,]+ errors \/ [\d,]+ — ` +
          String.raw`5\.00 % against (the 0\.20 % limit|0\.\d\d % allowed by blue before)`,
      ),
    );
    expect(r.stdout).toMatch(/eu-west\s+skipped/);
    expect(worlds.world('billing').weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    expect(worlds.world('billing').callsFor('eu-west', 'deploy')).toHaveLength(0);
  });

  it('rollback with no rollout running runs the emergencyRollback workflow: traffic and DNS back on blue', async () => {
    const world = worlds.world('ledger');
    world.weights.set('eu-west', { blue: 0, green: 100 });
    world.dns.set('eu-west', 'green');
    const r = await run('rollback', 'ledger', '--region', 'eu-west', '--reason', 'bad config pushed by hand');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`emergency rollback of ledger in eu-west started (${emergencyWorkflowId('ledger', 'eu-west')})`);
    expect(r.stdout).toContain('eu-west: live blue');
    expect(world.weights.get('eu-west')).toEqual({ blue: 100, green: 0 });
    expect(world.dns.get('eu-west')).toBe('blue');
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 }); // other regions untouched
    expect(world.calls.filter((c) => c.name === 'setTrafficWeights').map((c) => c.region)).toEqual(['eu-west']);
    expect(world.cards.map((c) => c.title)).toContain('Emergency rollback: eu-west to blue');
    const desc = await env.client.workflow.getHandle(emergencyWorkflowId('ledger', 'eu-west')).describe();
    expect(desc.status.name).toBe('COMPLETED');
  });

  it('rollback while a rollout has the region in flight aborts that region instead', async () => {
    const start = await run(
      'start',
      ...release('orders'),
      '--regions',
      'us-east',
      '--strategy',
      'sequential',
      '--approvals',
      'sre',
      '--time-scale',
      '0.01',
    ); // approvers get 2.4 min
    expect(start.code).toBe(0);
    await statusUntil('orders', (o) => /us-east\s+awaiting_approval/.test(o), 'orders awaiting approval');
    const r = await run('rollback', 'orders', '--region', 'us-east', '--reason', 'page from the on-call');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('aborted us-east, which rolls back');
    expect(r.stdout).toContain('us-east: aborted');
    const result = await env.client.workflow.getHandle(rolloutWorkflowId('orders')).result();
    expect(result).toMatchObject({ outcome: 'aborted', regions: { 'us-east': { outcome: 'aborted', reason: 'page from the on-call' } } });
    await expect(env.client.workflow.getHandle(emergencyWorkflowId('orders', 'us-east')).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );
  });

  it('the GitHub Actions steps run as written (the start step as a dry run, so no waits)', async () => {
    const yml = readFileSync(join(ROOT, '.github/workflows/multi-region-deployment.yml'), 'utf8');
    // Each `run:` of the job, folded (">-") scalars joined as YAML folds them.
    const runs = [...yml.matchAll(/^(?: {6}- | {8})run: (?:>-\n((?: {10}.+\n)+)|(.+)\n)/gm)].map((m) =>
      m[1] ? m[1].trim().split(/\n\s*/).join(' ') : m[2]!,
    );
    expect(runs).toEqual(['npm ci', expect.stringMatching(/^npx meridian plan /), expect.stringMatching(/^npx meridian start .* --wait$/)]);
    const inputs = {
      SERVICE: 'gh-api',
      VERSION: 'v3.0.0',
      ARTIFACT_URL: 'https://artifacts.example/gh-api.tgz',
      ARTIFACT_SHA256: SHA,
      REGIONS: 'us-east,eu-west',
      STRATEGY: 'delayed',
      DELAY: '90',
    };
    const step = (cmd: string) => sh(cmd.replace(/^npx meridian/, `${process.execPath} client/bin.mjs`), { ...server, ...inputs });
    const plan = await step(runs[1]!);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('Plan: delayed rollout, us-east → eu-west');
    const start = await step(`${runs[2]!} --dry-run`);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(start.stdout).toContain('gh-api: succeeded');
    const world = worlds.world('gh-api');
    expect(world.calls.filter((c) => c.name === 'deploy').map((c) => c.region)).toEqual(['us-east', 'eu-west']);
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 }); // a dry run changes nothing
    expect((await step(runs[1]!.replace('"$STRATEGY"', 'fastest'))).code).toBe(2);
  });

  it('status of a service with no rollout says so (exit 3)', async () => {
    const r = await run('status', 'never-deployed');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no rollout of never-deployed on record');
  });

  it('bad input is refused before the server: exit 2, one line naming the field, nothing started', async () => {
    const r = await run('start', ...release('inventory', 'v1; rm -rf /'));
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^meridian: invalid rollout input: version: must be a release tag/);
    expect(lines[0]).toContain('(--version)');
    await expect(env.client.workflow.getHandle(rolloutWorkflowId('inventory')).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const strategy = await run('start', ...release('inventory'), '--strategy', 'fastest');
    expect(strategy.code).toBe(2);
    expect(strategy.stderr).toContain('strategy');
    const pauseBad = await run('pause', 'Inventory!');
    expect(pauseBad.code).toBe(2);
    expect(pauseBad.stderr).toContain('service: must be a lowercase name');
  });
});

// These read what the rollouts above left behind.
describe('meridian once those rollouts closed', () => {
  it('list shows the finished deployments from visibility, filtered by service', async () => {
    const all = await eventually(async () => {
      const r = await run('list', '--json');
      const items = JSON.parse(r.stdout) as { service: string; outcome?: string; version: string; strategy: string }[];
      const outcomes = Object.fromEntries(items.map((i) => [i.service, i.outcome]));
      return outcomes.checkout && outcomes['search-api'] && outcomes.billing && outcomes.orders ? items : undefined;
    }, 'all four rollouts with outcomes in visibility');
    // Every rollout here is a drill (--time-scale < 1): listed with its outcome, marked as a drill.
    expect(all.find((i) => i.service === 'search-api')).toMatchObject({
      outcome: 'succeeded',
      kind: 'drill',
      version: 'v2.4.0',
      strategy: 'sequential',
    });
    expect(all.find((i) => i.service === 'billing')).toMatchObject({ outcome: 'rolled_back' });
    expect(all.find((i) => i.service === 'checkout')).toMatchObject({ outcome: 'partially_succeeded' });

    const text = await run('list');
    expect(text.stdout).toMatch(/SERVICE\s+VERSION\s+STRATEGY\s+OUTCOME/);
    expect(text.stdout).toMatch(/billing\s+v2\.4\.0\s+sequential\s+rolled_back \(drill\)\s+rollout-billing/);

    const one = await run('list', 'search-api', '--json');
    const items = JSON.parse(one.stdout) as { service: string }[];
    expect(items.length).toBeGreaterThan(0);
    expect(new Set(items.map((i) => i.service))).toEqual(new Set(['search-api']));
  });

  it('compare prints each region: phase, version serving it, live colour, weights, last metrics', async () => {
    const r = await run('compare', 'checkout');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('checkout v2.4.0 (sequential, partially_succeeded)');
    expect(r.stdout).toMatch(/REGION\s+PHASE\s+VERSION\s+LIVE\s+WEIGHTS\s+ERRORS\s+P95/);
    expect(r.stdout).toMatch(/us-east\s+succeeded\s+v2\.4\.0\s+green\s+candidate green 100 % \/ stable blue 0 %\s+0\.05%\s+120 ms/);
    expect(r.stdout).toMatch(/eu-west\s+aborted\s+previous \(not v2\.4\.0\)/);
    const json = JSON.parse((await run('compare', 'billing', '--json')).stdout) as {
      region: string;
      liveColour?: string;
      serving: string;
    }[];
    expect(json.map((x) => [x.region, x.serving, x.liveColour])).toEqual([
      ['us-east', 'previous', 'blue'],
      ['eu-west', 'previous', undefined],
    ]);
  });
});

describe.concurrent('meridian without a server', () => {
  // Nothing listens on port 1: any attempt to connect would fail the command.
  const offline = { TEMPORAL_ADDRESS: '127.0.0.1:1' };

  it('plan prints the delayed default timeline, about 5.9 h: inside the original 5.5–11.5 h band', async () => {
    const r = await cli(['plan'], offline);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const region of ['us-east', 'eu-west', 'apac-se']) expect(r.stdout).toContain(`\n${region}\n`);
    expect(r.stdout).toContain('canary 10% (≤ 1% errors, ≤ 500 ms)');
    expect(r.stdout).toContain('1 h 30 min  observation window');
    const delayed = Number(/delayed: about [\d.]+ h \((\d+) min\)/.exec(r.stdout)?.[1]);
    expect(delayed).toBe(354);
    expect(delayed).toBeGreaterThanOrEqual(5.5 * 60);
    expect(delayed).toBeLessThanOrEqual(11.5 * 60);
    expect(r.stdout).toContain('Expected total — delayed: about 5.9 h (354 min)');

    const longest = await cli(['plan', '--delay-between-regions', '240', '--json'], offline);
    const totals = (JSON.parse(longest.stdout) as { totals: { strategy: string; totalMinutes: number }[] }).totals;
    const delayedMax = totals.find((t) => t.strategy === 'delayed')!.totalMinutes;
    expect(delayedMax).toBeLessThanOrEqual(11.5 * 60);
    expect(delayedMax).toBeGreaterThan(delayed);
  });

  it('plan --strategy parallel is much shorter: the longest region, under an hour', async () => {
    const r = await cli(['plan', '--strategy', 'parallel', '--delay-between-regions', '90'], offline);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Plan: parallel rollout, us-east + eu-west + apac-se at once');
    expect(r.stdout).not.toContain('observation window');
    const parallel = Number(/Expected total — parallel: about (\d+) min/.exec(r.stdout)?.[1]);
    expect(parallel).toBeLessThan(60);
    expect(parallel * 5).toBeLessThan(354);
  });

  it('help at the top and on every verb; unknown flags and verbs exit 2', async () => {
    const top = await cli(['--help'], offline);
    expect(top.code).toBe(0);
    const verbs = ['start', 'plan', 'status', 'watch', 'compare', 'list', 'pause', 'resume', 'abort', 'approve', 'rollback'];
    const helps = await Promise.all(verbs.map((verb) => cli([verb, '--help'], offline)));
    verbs.forEach((verb, n) => {
      expect(top.stdout).toMatch(new RegExp(`\\n  ${verb}\\s`));
      expect(helps[n]!.code).toBe(0);
      expect(helps[n]!.stdout).toContain(`Usage: meridian ${verb}`);
    });
    const unknown = await cli(['start', '--colour', 'green'], offline);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--colour'");
    expect((await cli(['deploy'], offline)).code).toBe(2);
  });

  it('a server that cannot be reached is a failure (exit 1), not a hang', async () => {
    const r = await cli(['status', 'checkout'], offline);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
