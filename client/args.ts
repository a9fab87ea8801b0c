// `meridian` argument parsing: argv → a typed command, with no I/O beyond reading --config.
// Every mistake becomes one RejectedInput line naming the flag or field (the CLI exits 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Colour } from '../domain/metrics.js';
import { InvalidRolloutInput, parseRolloutInput, strategySchema, type RolloutInput, type RolloutRequest } from '../domain/rollout-input.js';
import { DEFAULT_STRATEGY, rulesOf } from '../domain/strategy.js';
import { RejectedInput } from './errors.js';
import { USAGE, type Verb } from './usage.js';

export interface ServerFlags {
  address?: string;
  namespace?: string;
  taskQueue?: string;
}

export type Command =
  | { verb: 'help'; text: string }
  | { verb: 'start'; server: ServerFlags; input: RolloutInput; wait: boolean; json: boolean }
  | { verb: 'plan'; input: RolloutInput; json: boolean }
  | { verb: 'status' | 'compare'; server: ServerFlags; service: string; json: boolean }
  | { verb: 'watch'; server: ServerFlags; service: string; json: boolean; intervalMs: number }
  | { verb: 'pause'; server: ServerFlags; service: string; region?: string; reason?: string }
  | { verb: 'resume'; server: ServerFlags; service: string; region?: string }
  | { verb: 'abort'; server: ServerFlags; service: string; region?: string; reason: string }
  | { verb: 'approve'; server: ServerFlags; service: string; region: string; role: string; approver: string }
  | { verb: 'rollback'; server: ServerFlags; service: string; region: string; reason: string; to?: Colour; dryRun: boolean; regionTaskQueue: boolean }
  | { verb: 'list'; server: ServerFlags; service?: string; limit: number; json: boolean };

type Options = NonNullable<ParseArgsConfig['options']>;
const str = { type: 'string' } as const;
const bool = { type: 'boolean' } as const;

const SERVER: Options = { address: str, namespace: str, 'task-queue': str };
const REQUEST: Options = {
  config: str,
  service: str,
  version: str,
  'artifact-url': str,
  'artifact-sha256': str,
  regions: str,
  strategy: str,
  'delay-between-regions': str,
  'time-scale': str,
  'report-interval': str,
  /** An alias of --report-interval, so scripts that use it keep working. */
  'check-interval': str,
  'poll-seconds': str,
  'dry-run': bool,
  approvals: str,
  'approval-regions': str,
  'override-parallel-policy': str,
  'region-task-queues': bool,
};

const OPTIONS: Record<Verb, Options> = {
  start: { ...SERVER, ...REQUEST, wait: bool, json: bool },
  plan: { ...REQUEST, json: bool },
  status: { ...SERVER, service: str, json: bool },
  watch: { ...SERVER, service: str, json: bool, interval: str },
  compare: { ...SERVER, service: str, json: bool },
  pause: { ...SERVER, service: str, region: str, reason: str },
  resume: { ...SERVER, service: str, region: str },
  abort: { ...SERVER, service: str, region: str, reason: str },
  approve: { ...SERVER, service: str, region: str, role: str, approver: str },
  rollback: { ...SERVER, service: str, region: str, reason: str, to: str, 'dry-run': bool, 'region-task-queues': bool },
  list: { ...SERVER, service: str, limit: str, json: bool },
};

const isVerb = (v: string | undefined): v is Verb => v !== undefined && Object.hasOwn(OPTIONS, v);

export function parseCommand(argv: string[], readFile: (path: string) => string): Command {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h' || verb === 'help') {
    const topic = verb === 'help' ? rest[0] : undefined;
    return { verb: 'help', text: isVerb(topic) ? USAGE[topic] : USAGE.top };
  }
  if (!isVerb(verb)) throw new RejectedInput(`unknown command "${verb}" (commands: ${Object.keys(OPTIONS).join(', ')}; see meridian --help)`);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...OPTIONS[verb], help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new RejectedInput(`${verb}: ${(err as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, '')}`);
  }
  const v = parsed.values;
  if (v.help) return { verb: 'help', text: USAGE[verb] };
  const s = (name: string) => v[name] as string | undefined;
  const server: ServerFlags = { ...opt('address', s('address')), ...opt('namespace', s('namespace')), ...opt('taskQueue', s('task-queue')) };
  /** The verbs that act on one region of one service. */
  const regionTarget = <V extends Verb>(verb: V) => ({ verb, server, service: service(verb, parsed.positionals, s('service')), region: required(verb, 'region', s('region')) });

  switch (verb) {
    case 'start':
    case 'plan': {
      noPositionals(verb, parsed.positionals);
      const { request, sources } = assembleRequest(v, readFile);
      if (verb === 'start') {
        for (const [flag, value] of [['--service', request.service], ['--version', request.version], ['--artifact-url', request.artifact?.url], ['--artifact-sha256', request.artifact?.sha256]] as const) {
          if (!value) throw new RejectedInput(`start: missing ${flag}`);
        }
        return { verb, server, input: validate(request, sources), wait: Boolean(v.wait), json: Boolean(v.json) };
      }
      // A plan needs no release: placeholders stand in for the identity fields it does not use.
      const placeholder = { service: 'plan', version: '0.0.0', artifact: { url: 'https://plan.invalid/', sha256: '0'.repeat(64) } };
      return { verb, input: validate({ ...placeholder, ...request, artifact: { ...placeholder.artifact, ...request.artifact } } as RolloutRequest, sources), json: Boolean(v.json) };
    }
    case 'watch': {
      const seconds = s('interval') === undefined ? 2 : number('--interval', s('interval')!);
      if (seconds < 0.1 || seconds > 600) throw new RejectedInput('watch: --interval must be between 0.1 and 600 seconds');
      return { verb, server, service: service(verb, parsed.positionals, s('service')), json: Boolean(v.json), intervalMs: Math.round(seconds * 1000) };
    }
    case 'status':
    case 'compare':
      return { verb, server, service: service(verb, parsed.positionals, s('service')), json: Boolean(v.json) };
    case 'pause':
      return { verb, server, service: service(verb, parsed.positionals, s('service')), ...opt('region', s('region')), ...opt('reason', s('reason')) };
    case 'resume':
      return { verb, server, service: service(verb, parsed.positionals, s('service')), ...opt('region', s('region')) };
    case 'abort':
      return { verb, server, service: service(verb, parsed.positionals, s('service')), ...opt('region', s('region')), reason: required(verb, 'reason', s('reason')) };
    case 'approve':
      return { ...regionTarget(verb), role: required(verb, 'role', s('role')), approver: required(verb, 'approver', s('approver')) };
    case 'rollback': {
      const to = s('to');
      if (to !== undefined && to !== 'blue' && to !== 'green') throw new RejectedInput(`rollback: --to must be blue or green, got "${to}"`);
      return {
        ...regionTarget(verb),
        reason: required(verb, 'reason', s('reason')),
        ...(to ? { to } : {}),
        dryRun: Boolean(v['dry-run']),
        regionTaskQueue: Boolean(v['region-task-queues']),
      };
    }
    case 'list': {
      const svc = parsed.positionals[0] ?? s('service');
      if (parsed.positionals.length > 1) throw new RejectedInput(`list: unexpected argument "${parsed.positionals[1]}"`);
      const limit = s('limit') === undefined ? 20 : number('--limit', s('limit')!);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RejectedInput('list: --limit must be a whole number from 1 to 1000');
      return { verb, server, ...opt('service', svc), limit, json: Boolean(v.json) };
    }
  }
}

const opt = <K extends string>(k: K, value: string | undefined) => (value === undefined ? {} : ({ [k]: value } as Record<K, string>));

function noPositionals(verb: string, positionals: string[]): void {
  if (positionals.length) throw new RejectedInput(`${verb}: unexpected argument "${positionals[0]}" (flags start with --)`);
}

function service(verb: string, positionals: string[], flag: string | undefined): string {
  if (positionals.length > 1) throw new RejectedInput(`${verb}: unexpected argument "${positionals[1]}"`);
  const svc = positionals[0] ?? flag;
  if (!svc) throw new RejectedInput(`${verb}: missing the service (meridian ${verb} <service>)`);
  return svc;
}

function required(verb: string, flag: string, value: string | undefined): string {
  if (value === undefined || !value.trim()) throw new RejectedInput(`${verb}: missing --${flag}`);
  return value;
}

function number(flag: string, raw: string): number {
  const n = Number(raw);
  if (!raw.trim() || !Number.isFinite(n)) throw new RejectedInput(`${flag}: must be a number, got "${raw}"`);
  return n;
}

const list = (raw: string) => raw.split(',').map((x) => x.trim()).filter(Boolean);

/** Where a request's fields came from, so a problem names the flag or the --config file that set it. */
export interface RequestSources {
  /** The --config file as given, if one was read, and its top-level fields. */
  file?: { path: string; fields: string[] };
  /** The fields and flags (as in FLAG_OF) of the flags given. */
  flagged: [string, string][];
}

type Values = Record<string, string | boolean | undefined>;

/** --config first, then each flag on top; --regions all means the default regions. */
export function buildRequest(v: Values, readFile: (path: string) => string): RolloutRequest {
  return assembleRequest(v, readFile).request;
}

function assembleRequest(v: Values, readFile: (path: string) => string): { request: RolloutRequest; sources: RequestSources } {
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
  if (delay !== undefined && strategy.success && rulesOf(strategy.data).observes) req.delayBetweenRegionsMinutes = number('--delay-between-regions', delay);
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
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new RejectedInput(`--config: ${path} must hold one JSON object`);
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
  if (file && (problem.startsWith('unknown field') || file.fields.some((field) => isAt(problem, field)))) return `${problem} (in ${file.path})`;
  return problem;
}

function validate(request: RolloutRequest, from: RequestSources): RolloutInput {
  try {
    return parseRolloutInput(request);
  } catch (err) {
    if (err instanceof InvalidRolloutInput) throw new RejectedInput(`invalid rollout input: ${err.problems.map((p) => describeProblem(p, from)).join('; ')}`);
    throw err;
  }
}
