// Which vendor serves a call, in one place: the worker builds each concern's vendor from the `kind`
// in its config (deploy, traffic, metrics, DNS, notification channels), one per region, and each
// call goes to its region's vendor.
import { nonRetryable } from './errors.js';

/** The factory for a union of vendor configs; the table must name every kind (the compiler checks). */
export function byKind<C extends { kind: string }, A extends unknown[], T>(vendors: { [K in C['kind']]: (cfg: Extract<C, { kind: K }>, ...rest: A) => T }): (cfg: C, ...rest: A) => T {
  return (cfg, ...rest) => (vendors[cfg.kind as C['kind']] as (cfg: C, ...rest: A) => T)(cfg, ...rest);
}

/**
 * zod preprocess step for a concern that had one vendor before `kind` existed: a config without
 * `kind` is read as that vendor's, so existing worker configs stay valid.
 */
export const withDefaultKind =
  (kind: string) =>
  (v: unknown): unknown =>
    v && typeof v === 'object' && !('kind' in v) ? { ...v, kind } : v;

/** The region's vendor; an unserved region is a configuration problem, not a retry. */
export function byRegion<T>(what: string, vendors: Record<string, T>): (region: string) => T {
  return (region) => {
    if (!Object.hasOwn(vendors, region)) throw nonRetryable('ConfigurationError', `this worker has no ${what} for region ${region}`);
    return vendors[region]!;
  };
}
