// `meridian` argument parsing: argv → a typed command, with no I/O beyond reading --config.
// Every mistake becomes one RejectedInput line naming the flag or field (the CLI exits 2).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Colour } from '../domain/metrics.js';
import type { RolloutInput, RolloutRequest } from '../domain/rollout-input.js';
import { RejectedInput } from './errors.js';
import { USAGE, type Verb } from './usage.js';
import { assembleRequest, number, opt, validate } from './request-flags.js';

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
  | {
      verb: 'rollback';
      server: ServerFlags;
      service: string;
      region: string;
      reason: string;
      to?: Colour;
      dryRun: boolean;
      regionTaskQueue: boolean;
    }
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
  'batch-size': str,
  'minimum-healthy': str,
  'max-sessions': str,
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
  if (!isVerb(verb))
    throw new RejectedInput(`unknown command "${verb}" (commands: ${Object.keys(OPTIONS).join(', ')}; see meridian --help)`);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...OPTIONS[verb], help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new RejectedInput(`${verb}: ${(err as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, '')}`);
  }
  const v = parsed.values;
  if (v.help) return { verb: 'help', text: USAGE[verb] };
  const s = (name: string) => v[name] as string | undefined;
  const server: ServerFlags = {
    ...opt('address', s('address')),
    ...opt('namespace', s('namespace')),
    ...opt('taskQueue', s('task-queue')),
  };
  /** The verbs that act on one region of one service. */
  const regionTarget = <V extends Verb>(verb: V) => ({
    verb,
    server,
    service: service(verb, parsed.positionals, s('service')),
    region: required(verb, 'region', s('region')),
  });

  switch (verb) {
    case 'start':
    case 'plan': {
      noPositionals(verb, parsed.positionals);
      const { request, sources } = assembleRequest(v, readFile);
      if (verb === 'start') {
        for (const [flag, value] of [
          ['--service', request.service],
          ['--version', request.version],
          ['--artifact-url', request.artifact?.url],
          ['--artifact-sha256', request.artifact?.sha256],
        ] as const) {
          if (!value) throw new RejectedInput(`start: missing ${flag}`);
        }
        return { verb, server, input: validate(request, sources), wait: Boolean(v.wait), json: Boolean(v.json) };
      }
      // A plan needs no release: placeholders stand in for the identity fields it does not use.
      const placeholder = { service: 'plan', version: '0.0.0', artifact: { url: 'https://plan.invalid/', sha256: '0'.repeat(64) } };
      return {
        verb,
        input: validate(
          { ...placeholder, ...request, artifact: { ...placeholder.artifact, ...request.artifact } } as RolloutRequest,
          sources,
        ),
        json: Boolean(v.json),
      };
    }
    case 'watch': {
      const seconds = s('interval') === undefined ? 2 : number('--interval', s('interval')!);
      if (seconds < 0.1 || seconds > 600) throw new RejectedInput('watch: --interval must be between 0.1 and 600 seconds');
      return {
        verb,
        server,
        service: service(verb, parsed.positionals, s('service')),
        json: Boolean(v.json),
        intervalMs: Math.round(seconds * 1000),
      };
    }
    case 'status':
    case 'compare':
      return { verb, server, service: service(verb, parsed.positionals, s('service')), json: Boolean(v.json) };
    case 'pause':
      return {
        verb,
        server,
        service: service(verb, parsed.positionals, s('service')),
        ...opt('region', s('region')),
        ...opt('reason', s('reason')),
      };
    case 'resume':
      return { verb, server, service: service(verb, parsed.positionals, s('service')), ...opt('region', s('region')) };
    case 'abort':
      return {
        verb,
        server,
        service: service(verb, parsed.positionals, s('service')),
        ...opt('region', s('region')),
        reason: required(verb, 'reason', s('reason')),
      };
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
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new RejectedInput('list: --limit must be a whole number from 1 to 1000');
      return { verb, server, ...opt('service', svc), limit, json: Boolean(v.json) };
    }
  }
}

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
