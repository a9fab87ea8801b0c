// The seed's secrets come from the worker's environment only. A region-specific value
// (NAME__US_EAST for region us-east) overrides the global one (NAME), the way the original
// kept one GitHub environment per region.
export type Env = Record<string, string | undefined>;

export const regionSuffix = (region: string): string => region.toUpperCase().replace(/-/g, '_');

export function secretName(name: string, region?: string): string {
  return region ? `${name}__${regionSuffix(region)}` : name;
}

/** The region's value of a secret, else the global one, else undefined. */
export function lookupSecret(env: Env, name: string, region?: string): string | undefined {
  const regional = region ? env[secretName(name, region)] : undefined;
  return regional?.length ? regional : env[name]?.length ? env[name] : undefined;
}
