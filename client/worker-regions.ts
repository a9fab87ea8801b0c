// The regions the worker is configured for, as `meridian start` learns them before starting: from
// the worker's config file when MERIDIAN_CONFIG names one (beside the worker, in CI with the
// deployment repo). Only the region names are read. Without it the workflow refuses on its first
// step, and `--wait` reports that refusal (exit 2).
import { regionName } from '../domain/rollout-input.js';
import { RejectedInput } from './errors.js';

export function workerRegions(path: string, readFile: (path: string) => string): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFile(path));
  } catch (err) {
    // Neither the file's text nor JSON.parse's message (which quotes it) goes out: only what went wrong.
    const why = (err as NodeJS.ErrnoException).code ?? 'not valid JSON';
    throw new RejectedInput(`MERIDIAN_CONFIG: cannot read the worker config ${path} (${why})`);
  }
  const regions = (raw as { regions?: unknown } | null)?.regions;
  const names = regions && typeof regions === 'object' && !Array.isArray(regions) ? Object.keys(regions) : [];
  if (!names.length || !names.every((n) => regionName.safeParse(n).success)) {
    throw new RejectedInput(`MERIDIAN_CONFIG: the worker config ${path} names no regions a worker could serve`);
  }
  return names;
}
