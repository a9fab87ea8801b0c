// Weight arithmetic shared by the load-balancer routers (kept apart from traffic.ts to avoid an import cycle):
// a colour's share of the traffic in %, spread over the colour's servers as integer balancer weights.
import { z } from 'zod';
import type { ChangeReport, TrafficWeights } from '../domain/ports.js';
import type { Colour } from '../domain/metrics.js';
import { nonRetryable } from './errors.js';

export const COLOURS: readonly Colour[] = ['blue', 'green'];

/** Weights the routers accept: whole percentages that add up to 100. */
export function validateWeights(w: TrafficWeights): TrafficWeights {
  const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= 100;
  if (!ok(w.blue) || !ok(w.green) || w.blue + w.green !== 100) {
    throw nonRetryable(
      'InvalidArgument',
      `traffic weights must be whole percentages adding up to 100, got blue ${w.blue} green ${w.green}`,
    );
  }
  return w;
}

/** Raw load-balancer weights as percentages; both zero means no traffic anywhere and reads as 0/0. */
export function toPercentages(blue: number, green: number): TrafficWeights {
  const total = blue + green;
  if (total <= 0) return { blue: 0, green: 0 };
  const g = Math.round((green * 100) / total);
  return { blue: 100 - g, green: g };
}

export const describeWeights = (w: TrafficWeights): string => `blue ${w.blue}% / green ${w.green}%`;

/** A balancer's server names by colour, in config order (a server is a host; names are unique across colours). */
export type ColourServers = Record<Colour, readonly string[]>;

/** One server's balancer weight: 0 sends it no new traffic. */
export interface ServerWeight {
  colour: Colour;
  name: string;
  weight: number;
}

/** HAProxy's highest server weight; NGINX takes the same range (it has no 0: that is `down`). */
export const MAX_SERVER_WEIGHT = 256;

/** Colour-level percentages from per-server weights: each colour's weights added up. */
export function colourPercentages(servers: readonly ServerWeight[]): TrafficWeights {
  const sum = (c: Colour) => servers.reduce((s, x) => s + (x.colour === c ? x.weight : 0), 0);
  return toPercentages(sum('blue'), sum('green'));
}

/** Each colour's in-service servers and their weight, and how many of them take it (the rest get 0). */
interface Spread {
  weight: Record<Colour, number>;
  count: Record<Colour, number>;
}

/**
 * The per-server weight pair (each 1…MAX_SERVER_WEIGHT) for `nb` blue and `ng` green servers that
 * reads back exactly as `green` % green, with the ratio nearest the exact share; among equally near,
 * the pair nearest the percentages themselves (so equal fleets get weights 75 and 25, as one server
 * per colour always did). Undefined when no pair reads back as the target.
 */
function weightPair(green: number, nb: number, ng: number): Record<Colour, number> | undefined {
  const blue = 100 - green;
  let best: { b: number; g: number; err: number; total: number; dist: number } | undefined;
  for (let b = 1; b <= MAX_SERVER_WEIGHT; b++) {
    const ideal = (green * nb * b) / (blue * ng);
    for (const g of new Set([Math.floor(ideal), Math.ceil(ideal)].map((x) => Math.min(MAX_SERVER_WEIGHT, Math.max(1, x))))) {
      const total = nb * b + ng * g;
      if (toPercentages(nb * b, ng * g).green !== green) continue;
      // |share - target| = err / total (in %), compared without division.
      const err = Math.abs(100 * ng * g - green * total);
      const dist = Math.abs(b - blue) + Math.abs(g - green);
      const nearer = !best || err * best.total < best.err * total || (err * best.total === best.err * total && dist < best.dist);
      if (nearer) best = { b, g, err, total, dist };
    }
  }
  return best && { blue: best.b, green: best.g };
}

/**
 * How the target spreads over `inService` servers per colour. Every in-service server of a colour
 * with a share gets the same weight; only when the weights cannot express the share that way (a
 * colour at 1 % spread over 200 servers against one server of the other colour) does the smaller
 * share go to as many of its colour's servers as the weights allow, the first in config order.
 */
function spread(target: TrafficWeights, inService: Record<Colour, number>): Spread {
  if (target.blue === 0 || target.green === 0) {
    const weight = { blue: target.blue, green: target.green }; // 100 and 0: the percentages themselves
    return { weight, count: inService };
  }
  const minority: Colour = target.green < target.blue ? 'green' : 'blue';
  for (let k = inService[minority]; k >= 1; k--) {
    const count = { ...inService, [minority]: k };
    const weight = weightPair(target.green, count.blue, count.green);
    if (weight) return { weight, count };
  }
  // Unreachable for up to 256 servers a colour: one minority server at weight 1 reads any share down to 1 %.
  throw nonRetryable('InvalidArgument', `no server weights of at most ${MAX_SERVER_WEIGHT} read back as ${describeWeights(target)}`);
}

/**
 * Per-server weights for a colour-level target: a colour's share spread evenly over its in-service
 * servers, the out-of-service ones at 0. `where` names the balancer in error messages.
 */
export function planServerWeights(
  where: string,
  target: TrafficWeights,
  servers: ColourServers,
  outOfService: readonly string[],
): ServerWeight[] {
  const known = new Set(COLOURS.flatMap((c) => servers[c]));
  const unknown = outOfService.filter((h) => !known.has(h));
  if (unknown.length) {
    throw nonRetryable('ConfigurationError', `${where}: out-of-service host(s) ${unknown.join(', ')} not among its servers`);
  }
  const out = new Set(outOfService);
  const inService = { blue: servers.blue.filter((s) => !out.has(s)), green: servers.green.filter((s) => !out.has(s)) };
  for (const c of COLOURS) {
    if (target[c] > 0 && inService[c].length === 0) {
      throw nonRetryable('InvalidArgument', `${where}: ${c} is to take ${target[c]}% but every ${c} server is out of service`);
    }
  }
  const { weight, count } = spread(target, { blue: inService.blue.length, green: inService.green.length });
  return COLOURS.flatMap((colour) =>
    servers[colour].map((name) => {
      const rank = inService[colour].indexOf(name);
      return { colour, name, weight: rank >= 0 && rank < count[colour] ? weight[colour] : 0 };
    }),
  );
}

/** Whether two weight lists give every server the same weight. */
export const sameServerWeights = (a: readonly ServerWeight[], b: readonly ServerWeight[]): boolean =>
  a.length === b.length && a.every((x) => b.some((y) => y.name === x.name && y.colour === x.colour && y.weight === x.weight));

/** A router's change: each server's weight, and its reports (the same words for every balancer). */
export interface WeightChange {
  plan: ServerWeight[];
  /** The target in words: "blue 75% / green 25%, out of service: green-2". */
  goal: string;
  unchanged: ChangeReport;
  dryRun(now: TrafficWeights | string): ChangeReport;
  done(was: TrafficWeights | string): ChangeReport;
}

/** Plans `target` with `outOfService` taken out on `where`'s servers, and words its reports. */
export function weightChange(where: string, target: TrafficWeights, servers: ColourServers, outOfService: readonly string[]): WeightChange {
  const plan = planServerWeights(where, target, servers, outOfService);
  const goal = outOfService.length ? `${describeWeights(target)}, out of service: ${outOfService.join(', ')}` : describeWeights(target);
  const text = (w: TrafficWeights | string) => (typeof w === 'string' ? w : describeWeights(w));
  return {
    plan,
    goal,
    unchanged: { changed: false, summary: `${where} already at ${goal}` },
    dryRun: (now) => ({ changed: false, summary: `dry run: would set ${where} to ${goal} (now ${text(now)})` }),
    done: (was) => ({ changed: true, summary: `set ${where} to ${goal} (was ${text(was)})` }),
  };
}

/** A server name as the config lists it, and where (`["green", 1]` or `["green", 1, "name"]`). */
export interface NamedAt {
  name: string;
  path: (string | number)[];
}

/**
 * A balancer config's `servers` check: a name listed twice is an issue at its second place (a server
 * is one host of one colour, and `outOfService` names it). `named` lists each colour's names.
 */
export const uniqueServerNames =
  <S>(named: (servers: S, colour: Colour) => NamedAt[]) =>
  (servers: S, ctx: z.RefinementCtx): void => {
    const all = COLOURS.flatMap((c) => named(servers, c));
    for (const issue of duplicateServerIssues(all)) ctx.addIssue({ code: 'custom', ...issue });
  };

/** The names a config lists twice, as zod issues at the second place. */
export function duplicateServerIssues(names: readonly NamedAt[]): { path: (string | number)[]; message: string }[] {
  const seen = new Map<string, string>();
  return names.flatMap(({ name, path }) => {
    const first = seen.get(name);
    if (first === undefined) {
      seen.set(name, path.join('.'));
      return [];
    }
    return [{ path, message: `"${name}" is also ${first}: each server is listed once, in one colour` }];
  });
}
