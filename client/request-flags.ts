// The rollout request as `meridian start` and `plan` assemble it: a --config file, then each flag on
// top; parsed once, and a problem names the flag or the file that set the field.
import { RejectedInput } from './errors.js';
import { InvalidRolloutInput, parseRolloutInput, strategySchema, type RolloutInput, type RolloutRequest } from '../domain/rollout-input.js';
import { DEFAULT_STRATEGY, rulesOf } from '../domain/strategy.js';

export const opt = <K extends string>(k: K, value: string | undefined) =>
  value === undefined ? {} : ({ [k]: value } as Record<K, string>);

export function number(flag: string, raw: string): number {
  const n = Number(raw);
  if (!raw.trim() || !Number.isFinite(n)) throw new RejectedInput(`${flag}: must be a number, got "${raw}"`);
  return n;
}

const list = (raw: string) =>
  raw
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Where a request's fields came from, so a problem names the flag or the --config file that set it. */
export interface RequestSources {
  /** The --config file as given, if one was read, and its top-level fields. */
  file?: { path: string; fields: string[] };
  /** The fields and flags (as in FLAG_OF) of the flags given. */
  flagged: [string, string][];
}

export type Values = Record<string, string | boolean | undefined>;

/** --config first, then each flag on top; --regions all means the default regions. */
export function assembleRequest(v: Values, readFile: (path: string) => string): { request: RolloutRequest; sources: RequestSources } {
  const s = (name: string) => v[name] as string | undefined;
  const path = s('config');
  const req: Record<string, unknown> = path ? readConfig(path, readFile) : {};
  const sources: RequestSources = {
    ...(path ? { file: { path, fields: Object.keys(req) } } : {}),
    flagged: FLAG_OF.filter(([, flag]) => v[flag.slice(2)] !== undefined),
  };
  const set = (key: string, value: unknown) => value !== undefined && (req[key] = value);
  set('service', s('service'));
  set('version', s('version'));
  if (s('artifact-url') !== undefined || s('artifact-sha256') !== undefined) {
    const base = typeof req.artifact === 'object' && req.artifact ? (req.artifact as Record<string, unknown>) : {};
    req.artifact = { ...base, ...opt('url', s('artifact-url')), ...opt('sha256', s('artifact-sha256')) };
  }
  const regions = s('regions');
  if (regions !== undefined) {
    if (regions.trim() === 'all') delete req.regions;
    else req.regions = list(regions);
  }
  set('strategy', s('strategy'));
  // CI passes the delay with every dispatch, whatever the strategy: it is kept only for a strategy that
  // observes, so a dispatch of another is not refused for it. An unknown strategy is reported by validation below.
  const delay = s('delay-between-regions');
  const strategy = strategySchema.safeParse(req.strategy ?? DEFAULT_STRATEGY);
  if (delay !== undefined && strategy.success && rulesOf(strategy.data).observes)
    req.delayBetweenRegionsMinutes = number('--delay-between-regions', delay);
  if (s('time-scale') !== undefined) req.timeScale = number('--time-scale', s('time-scale')!);
  const report = reportFlag(v);
  if (report) req.checkIntervalSeconds = number(report, s(report.slice(2))!);
  if (s('poll-seconds') !== undefined) req.pollSeconds = number('--poll-seconds', s('poll-seconds')!);
  if (v['dry-run']) req.dryRun = true;
  if (v['region-task-queues']) req.regionTaskQueues = true;
  if (s('approvals') !== undefined || s('approval-regions') !== undefined) {
    const base = typeof req.approvals === 'object' && req.approvals ? (req.approvals as Record<string, unknown>) : {};
    req.approvals = {
      ...base,
      ...(s('approvals') !== undefined ? { roles: list(s('approvals')!) } : {}),
      ...(s('approval-regions') !== undefined ? { regions: list(s('approval-regions')!) } : {}),
    };
  }
  if (s('override-parallel-policy') !== undefined) req.parallelPolicyOverride = { reason: s('override-parallel-policy') };
  const policy = {
    ...opt('batchSize', s('batch-size')),
    ...opt('minimumHealthy', s('minimum-healthy')),
    ...opt('maxSessions', s('max-sessions')),
  };
  if (Object.keys(policy).length) {
    const base = typeof req.deployPolicy === 'object' && req.deployPolicy ? (req.deployPolicy as Record<string, unknown>) : {};
    // A count is a number ("3"), a share keeps its "%" ("25%"); anything else is the schema's to refuse.
    const count = (v: string) => (/^\d+$/.test(v.trim()) ? Number(v) : v);
    req.deployPolicy = { ...base, ...Object.fromEntries(Object.entries(policy).map(([k, v]) => [k, count(v as string)])) };
  }
  return { request: req as RolloutRequest, sources };
}

/** The report interval's flag as given: --report-interval, or its alias --check-interval; not both. */
function reportFlag(v: Values): '--report-interval' | '--check-interval' | undefined {
  const given = (['--report-interval', '--check-interval'] as const).filter((f) => v[f.slice(2)] !== undefined);
  if (given.length > 1) throw new RejectedInput('--check-interval is another name for --report-interval: give one of them');
  return given[0];
}

function readConfig(path: string, readFile: (path: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw new RejectedInput(`--config: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RejectedInput(`--config: ${path} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new RejectedInput(`--config: ${path} must hold one JSON object`);
  return json as Record<string, unknown>;
}

/** Input fields and the flags that set them, so a problem names both (an alias after its flag). */
const FLAG_OF: [string, string][] = [
  ['artifact.sha256', '--artifact-sha256'],
  ['artifact.url', '--artifact-url'],
  ['delayBetweenRegionsMinutes', '--delay-between-regions'],
  ['checkIntervalSeconds', '--report-interval'],
  ['checkIntervalSeconds', '--check-interval'],
  ['pollSeconds', '--poll-seconds'],
  ['parallelPolicyOverride', '--override-parallel-policy'],
  ['deployPolicy.batchSize', '--batch-size'],
  ['deployPolicy.minimumHealthy', '--minimum-healthy'],
  ['deployPolicy.maxSessions', '--max-sessions'],
  ['approvals.regions', '--approval-regions'],
  ['approvals.roles', '--approvals'],
  ['timeScale', '--time-scale'],
  ['strategy', '--strategy'],
  ['regions', '--regions'],
  ['service', '--service'],
  ['version', '--version'],
];

const isAt = (problem: string, field: string) => problem.startsWith(field) && /^[:.[]/.test(problem.slice(field.length));

/**
 * The problem with what set the field: its flag, or the --config file (a field the flags left alone,
 * or an unknown one, which only a file can add). Without `from`, every field with a flag names it.
 */
export function describeProblem(problem: string, from?: RequestSources): string {
  const withFlag = (from?.flagged ?? FLAG_OF).find(([field]) => isAt(problem, field));
  if (withFlag) return `${problem} (${withFlag[1]})`;
  const file = from?.file;
  if (file && (problem.startsWith('unknown field') || file.fields.some((field) => isAt(problem, field))))
    return `${problem} (in ${file.path})`;
  return problem;
}

export function validate(request: RolloutRequest, from: RequestSources): RolloutInput {
  try {
    return parseRolloutInput(request);
  } catch (err) {
    if (err instanceof InvalidRolloutInput)
      throw new RejectedInput(`invalid rollout input: ${err.problems.map((p) => describeProblem(p, from)).join('; ')}`);
    throw err;
  }
}
