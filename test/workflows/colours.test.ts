// A release deployed to blue (green live before it, as every second release finds the region):
// the status query, the Web UI's details, the cards and `meridian status` name blue as the
// candidate and green as the stable colour.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { viewCard } from '../../activities/cards.js';
import { renderStatus } from '../../client/render.js';
import { getStatus } from '../../client/status.js';
import { regionWorkflowId } from '../../domain/contract.js';
import { regionStatusQuery, type RegionStatus } from '../../workflows/messages.js';
import { LINKS } from '../helpers/cards.js';
import { HEALTHY, StubWorld } from '../helpers/stub-world.js';
import { devServerEnv } from '../helpers/temporal.js';
import { quick, runRollout } from './harness.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServerEnv(import.meta.url);
});
afterAll(async () => env?.teardown());

it('green live: the release goes to blue, and every view names blue the candidate and green the stable colour', async () => {
  const req = quick({ regions: ['us-east', 'eu-west'], strategy: 'sequential' });
  const world = new StubWorld(['us-east', 'eu-west']);
  for (const r of world.regions) {
    world.weights.set(r, { blue: 0, green: 100 });
    world.dns.set(r, 'green');
  }
  const seen: { status?: RegionStatus; details?: string } = {};
  const { result } = await runRollout(
    env,
    req,
    () => ({
      // Blue fails in eu-west once it takes a quarter of the traffic.
      metrics: (r, colour, w) =>
        r === 'eu-west' && colour === 'blue' && w.weights.get(r)!.blue >= 25 ? { ...HEALTHY, errorRatePct: 5 } : HEALTHY,
      onReadMetrics: async (r, _colour, w) => {
        if (r !== 'eu-west' || w.weights.get(r)!.blue !== 25 || seen.status) return;
        const child = env.client.workflow.getHandle(regionWorkflowId(req.service, r));
        seen.status = await child.query(regionStatusQuery);
        seen.details = (await child.query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails;
      },
    }),
    world,
  );

  expect(world.callsFor('us-east', 'deploy').map((c) => c.args)).toEqual([{ colour: 'blue', version: 'v1.12.3' }]);
  expect(result.regions['us-east']).toMatchObject({ outcome: 'succeeded', candidate: 'blue', liveColour: 'blue' });
  expect(result.regions['eu-west']).toMatchObject({ outcome: 'rolled_back', candidate: 'blue', liveColour: 'green', stageReached: 25 });
  expect(world.weights.get('eu-west')).toEqual({ blue: 0, green: 100 });

  // During eu-west's 25 % stage: the status query and the Web UI's details.
  expect(seen.status).toMatchObject({ candidate: 'blue', weights: { blue: 25, green: 75 } });
  expect(seen.details).toMatch(/^\*\*eu-west\*\* v1\.12\.3: canary · stage 25% · candidate blue 25 % \/ stable green 75 %/);

  // The cards: every region card after the deploy names blue; the rollback goes back to green.
  const success = world.cards.find((c) => c.kind === 'success' && c.region === 'us-east')!;
  const rollback = world.cards.find((c) => c.kind === 'rollback')!;
  const incident = world.cards.find((c) => c.kind === 'incident')!;
  for (const card of [success, rollback, incident]) {
    expect(card.candidate).toBe('blue');
    expect(viewCard(card, LINKS).facts).toContainEqual({ label: 'Candidate', value: 'blue (stable green)' });
  }
  expect(rollback.title).toBe('eu-west rolled back to green');
  expect(viewCard(rollback, LINKS).facts.map((f) => f.label)).toContain('Error rate (blue)');
  const summary = world.cards.find((c) => c.kind === 'summary')!;
  expect(viewCard(summary, LINKS).regions.map((r) => r.text)).toEqual([
    '✅ succeeded · blue reached 100%',
    expect.stringMatching(/^⚠️ rolled back · blue reached 25% — /),
  ]);

  // `meridian status` once the rollout closed.
  const lines = renderStatus(await getStatus(env.client, req.service));
  expect(lines.find((l) => l.includes('us-east'))).toMatch(
    /succeeded\s+reached 100%\s+candidate blue 100 % \/ stable green 0 %\s+blue: err/,
  );
  expect(lines.find((l) => l.includes('eu-west'))).toMatch(
    /rolled_back\s+reached 25%\s+candidate blue 0 % \/ stable green 100 %\s+blue: err/,
  );
});
