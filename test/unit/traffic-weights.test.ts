// A colour's share of the traffic spread over its fleet as integer balancer weights: whatever the
// fleet sizes and failed hosts, the weights read back as exactly the share that was set.
import { describe, expect, it } from 'vitest';
import type { Colour } from '../../domain/metrics.js';
import {
  colourPercentages,
  duplicateServerIssues,
  MAX_SERVER_WEIGHT,
  planServerWeights,
  type ColourServers,
  type ServerWeight,
} from '../../activities/traffic-weights.js';
import { failure } from '../helpers/failure.js';

const fleet = (blue: number, green: number): ColourServers => ({
  blue: Array.from({ length: blue }, (_, i) => `blue-${i + 1}`),
  green: Array.from({ length: green }, (_, i) => `green-${i + 1}`),
});
const of = (plan: ServerWeight[], colour: Colour, out: readonly string[] = []) =>
  plan.filter((s) => s.colour === colour && !out.includes(s.name)).map((s) => s.weight);
const plan = (green: number, servers: ColourServers, out: string[] = []) =>
  planServerWeights('lb', { blue: 100 - green, green }, servers, out);

const SHARES = [0, 1, 5, 10, 25, 50, 75, 90, 99, 100];
const COUNTS = [1, 2, 3, 7, 200];

describe('per-server weights', () => {
  it('one server per colour: the weights are the percentages themselves, as before fleets', () => {
    expect(plan(25, fleet(1, 1))).toEqual([
      { colour: 'blue', name: 'blue-1', weight: 75 },
      { colour: 'green', name: 'green-1', weight: 25 },
    ]);
    expect(of(plan(0, fleet(1, 1)), 'green')).toEqual([0]);
    expect(of(plan(100, fleet(1, 1)), 'blue')).toEqual([0]);
  });

  it('as many servers per colour: the percentages again, on every server', () => {
    const p = plan(25, fleet(3, 3));
    expect(of(p, 'blue')).toEqual([75, 75, 75]);
    expect(of(p, 'green')).toEqual([25, 25, 25]);
  });

  it('an out-of-service server gets 0 and its colour share goes to the others', () => {
    const p = plan(25, fleet(3, 3), ['green-2']);
    expect(p.find((s) => s.name === 'green-2')!.weight).toBe(0);
    const green = of(p, 'green', ['green-2']);
    expect(new Set(green).size).toBe(1);
    expect(green[0]).toBeGreaterThan(0);
    expect(colourPercentages(p)).toEqual({ blue: 75, green: 25 });
  });

  it('the stable colour at 100 % (rollback) puts every one of its servers back and every candidate at 0', () => {
    const p = plan(0, fleet(3, 3), ['green-2']);
    expect(of(p, 'blue').every((w) => w > 0)).toBe(true);
    expect(of(p, 'green')).toEqual([0, 0, 0]);
    expect(colourPercentages(p)).toEqual({ blue: 100, green: 0 });
  });

  // Every W of the grid, both colours' sizes from COUNTS, and 0, 1, half and all-but-one of green out of service.
  const cases = SHARES.flatMap((green) =>
    COUNTS.flatMap((nb) =>
      COUNTS.flatMap((ng) => [...new Set([0, 1, Math.floor(ng / 2), ng - 1])].filter((k) => k < ng).map((out) => ({ green, nb, ng, out }))),
    ),
  );
  it(`reads back exactly what was set: ${cases.length} cases of share × fleet sizes × hosts out of service`, () => {
    for (const { green, nb, ng, out } of cases) {
      const servers = fleet(nb, ng);
      const down = servers.green.slice(0, out);
      const p = plan(green, servers, down);
      const at = `green ${green}% over ${nb} blue, ${ng} green with ${out} out`;
      expect(colourPercentages(p), at).toEqual({ blue: 100 - green, green });
      expect(
        p.every((s) => Number.isInteger(s.weight) && s.weight >= 0 && s.weight <= MAX_SERVER_WEIGHT),
        at,
      ).toBe(true);
      expect(
        p.filter((s) => down.includes(s.name)).every((s) => s.weight === 0),
        at,
      ).toBe(true);
      for (const [colour, share] of [
        ['blue', 100 - green],
        ['green', green],
      ] as const) {
        const weights = of(p, colour, down);
        if (share === 0) {
          expect(
            weights.every((w) => w === 0),
            at,
          ).toBe(true);
          continue;
        }
        if (weights.every((w) => w > 0)) {
          expect(new Set(weights).size, at).toBe(1); // spread evenly
          continue;
        }
        // Only when no even spread can read back: even at weight 1 against 256 the colour's servers take too much.
        const other = colour === 'blue' ? ng - out : nb;
        const smallest = (100 * weights.length) / (weights.length + MAX_SERVER_WEIGHT * other);
        expect(smallest, at).toBeGreaterThanOrEqual(share + 0.5);
        expect(
          weights.some((w) => w > 0),
          at,
        ).toBe(true);
      }
    }
  });

  it('every whole percentage reads back, for fleets of unequal sizes', () => {
    for (let green = 0; green <= 100; green++) {
      for (const [nb, ng] of [
        [3, 2],
        [7, 5],
        [13, 200],
        [200, 199],
      ] as const) {
        expect(colourPercentages(plan(green, fleet(nb, ng))), `green ${green}% over ${nb}/${ng}`).toEqual({ blue: 100 - green, green });
      }
    }
  });

  it('a host out of service that the config does not list is a non-retryable ConfigurationError naming it', async () => {
    const err = await failure(Promise.resolve().then(() => plan(25, fleet(3, 3), ['green-9'])));
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toMatch(/green-9/);
  });

  it('a share for a colour whose every server is out of service is refused', async () => {
    const err = await failure(Promise.resolve().then(() => plan(25, fleet(3, 1), ['green-1'])));
    expect(err).toMatchObject({ type: 'InvalidArgument', nonRetryable: true });
    expect(colourPercentages(plan(0, fleet(3, 1), ['green-1']))).toEqual({ blue: 100, green: 0 });
  });

  it('names listed twice are issues at the second place', () => {
    expect(
      duplicateServerIssues([
        { name: 'a', path: ['blue', 0] },
        { name: 'b', path: ['blue', 1] },
        { name: 'a', path: ['green', 0] },
      ]),
    ).toEqual([{ path: ['green', 0], message: expect.stringMatching(/"a" is also blue\.0/) }]);
  });
});
