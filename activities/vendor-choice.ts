// Which vendor serves a call, the same way for every concern (deploy, traffic, metrics, DNS,
// notification channels): each vendor file exports one `vendor(kind, settings, create)`, each
// concern's factory lists its vendors once (`kinds`), and `byRegion` sends a call to its region's
// instance. So a new vendor is its file and its entry in its concern's list, nothing else.
import { z } from 'zod';
import { nonRetryable } from './errors.js';
import type { Env } from './secrets.js';

/** What a per-region vendor is built from besides its settings: secrets are looked up by region. */
export type RegionVendorArgs = [env: Env, region: string];

/** A vendor as its concern's factory lists it: settings with `kind` set to the vendor's name. */
export function vendor<K extends string, Shape extends z.core.$ZodShape, Cfg extends z.core.$ZodObjectConfig, A extends unknown[], T>(
  kind: K,
  settings: z.ZodObject<Shape, Cfg>,
  create: (cfg: z.output<z.ZodObject<Shape, Cfg>>, ...rest: A) => T,
) {
  return { kind, schema: settings.extend({ kind: z.literal(kind) }), create };
}

interface AnyVendor<T, A extends unknown[]> {
  kind: string;
  schema: z.core.$ZodTypeDiscriminable;
  create: (cfg: never, ...rest: A) => T;
}

type Discriminable = readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]];

/**
 * A concern's factory: `schema`, the union of its vendors' settings told apart by `kind`, and
 * `create`, which builds the vendor a config names. Every vendor makes the concern's interface T.
 */
export const kinds =
  <T, A extends unknown[]>() =>
  <V extends readonly [AnyVendor<T, A>, ...AnyVendor<T, A>[]]>(...vendors: V) => {
    type Config = z.output<V[number]['schema']>;
    const options = vendors.map((v) => v.schema) as unknown as Discriminable;
    const schema = z.discriminatedUnion('kind', options) as unknown as z.ZodType<Config, z.input<V[number]['schema']>>;
    const byKind = new Map(vendors.map((v) => [v.kind, v.create as unknown as (cfg: Config, ...rest: A) => T]));
    const create = (cfg: Config, ...rest: A): T => byKind.get((cfg as { kind: string }).kind)!(cfg, ...rest);
    return { schema, create };
  };

/**
 * zod preprocess step for a concern that had one vendor before `kind` existed: a config without
 * `kind` is read as that vendor's, so existing worker configs stay valid.
 */
export const withDefaultKind =
  (kind: string) =>
  (v: unknown): unknown =>
    v && typeof v === 'object' && !('kind' in v) ? { ...v, kind } : v;

/**
 * A setting written in one of several forms (one server or a list; one host or a fleet): `choose`
 * picks the form's schema by the value's shape, and that form's own issues are reported (its fields'
 * paths), not a union's "invalid input".
 */
export const byForm = <T>(choose: (value: unknown) => z.ZodType<T>) =>
  z.unknown().transform((v, ctx): T => {
    const r = choose(v).safeParse(v);
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.addIssue({ ...issue } as z.core.$ZodRawIssue);
    return z.NEVER;
  });

/**
 * The region dispatch of every per-region concern: a region's vendor, built from that region's
 * config on its first call and kept for the next. A region this worker does not serve is a
 * configuration problem, not a retry.
 */
export function byRegion<C, T>(what: string, configs: Record<string, C>, create: (cfg: C, region: string) => T): (region: string) => T {
  const built = new Map<string, T>();
  return (region) => {
    if (!Object.hasOwn(configs, region)) throw nonRetryable('ConfigurationError', `this worker has no ${what} for region ${region}`);
    if (!built.has(region)) built.set(region, create(configs[region]!, region));
    return built.get(region)!;
  };
}
