// How a rollout refuses its input, apart from the schema (rollout-input.ts): the workflow uses
// these on every start, and loads zod only to parse (workflows/rollout-guards.ts says why).

/** The regions of a request that names none. */
export const DEFAULT_REGIONS = ['us-east', 'eu-west', 'apac-se'] as const;

/** Thrown for input that fails validation; the message names each bad field. */
export class InvalidRolloutInput extends Error {
  override readonly name = 'InvalidRolloutInput';
  constructor(readonly problems: string[]) {
    super(`invalid rollout input: ${problems.join('; ')}`);
  }
}

/**
 * The regions a rollout may name are the worker's configured ones (checked by the workflow before
 * its first card, and by the CLI when it can read the worker's config): one problem per other region.
 */
export function unservedRegions(regions: readonly string[], configured: readonly string[]): string[] {
  return regions.flatMap((r, i) =>
    configured.includes(r) ? [] : [`regions[${i}]: "${r}" is not a region this worker serves (${configured.join(', ')})`],
  );
}
