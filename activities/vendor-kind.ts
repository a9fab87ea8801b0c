// Vendors are chosen by the `kind` in their config: every factory (deploy, traffic, metrics, DNS,
// notification channels) is a table from kind to the vendor's constructor, built here.

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
