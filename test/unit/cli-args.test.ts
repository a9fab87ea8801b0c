// `meridian` argument parsing: flags → the rollout input, and one-line errors naming the field.
import { describe, expect, it } from 'vitest';
import { DEFAULT_REGIONS, DEFAULT_STAGES } from '../../domain/rollout-input.js';
import { parseCommand, type Command } from '../../client/args.js';
import { describeProblem } from '../../client/request-flags.js';
import { RejectedInput } from '../../client/errors.js';

const SHA = 'b'.repeat(64);
const files: Record<string, string> = {
  'rollout.json': JSON.stringify({
    service: 'payments-api',
    version: 'v1.0.0',
    artifact: { url: 'https://a.example/p.tgz', sha256: SHA },
    regions: ['eu-west'],
    checkIntervalSeconds: 10,
  }),
  'broken.json': '{ "service": ',
  'array.json': '[]',
  'bad.json': JSON.stringify({
    service: 'payments-api',
    version: 'v1; rm -rf /',
    artifact: { url: 'https://a.example/p.tgz', sha256: 'nope' },
    colour: 'green',
  }),
};
const readFile = (p: string) => {
  if (!(p in files)) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  return files[p]!;
};
const parse = (...argv: string[]) => parseCommand(argv, readFile);
const release = [
  '--service',
  'payments-api',
  '--version',
  'v1.12.3',
  '--artifact-url',
  'https://a.example/p.tgz',
  '--artifact-sha256',
  SHA,
];

function usageError(argv: string[]): string {
  try {
    parse(...argv);
  } catch (err) {
    expect(err).toBeInstanceOf(RejectedInput);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error(`parsed: ${argv.join(' ')}`);
}

const start = (cmd: Command) => {
  if (cmd.verb !== 'start') throw new Error(`not start: ${cmd.verb}`);
  return cmd;
};

describe('start', () => {
  it('maps the original dispatch inputs onto the rollout input', () => {
    const cmd = start(
      parse(
        'start',
        ...release,
        '--regions',
        'us-east,eu-west',
        '--strategy',
        'delayed',
        '--delay-between-regions',
        '120',
        '--time-scale',
        '0.5',
        '--dry-run',
        '--approvals',
        'functional,sre',
        '--wait',
      ),
    );
    expect(cmd.input).toMatchObject({
      service: 'payments-api',
      version: 'v1.12.3',
      artifact: { url: 'https://a.example/p.tgz', sha256: SHA },
      regions: ['us-east', 'eu-west'],
      strategy: 'delayed',
      delayBetweenRegionsMinutes: 120,
      timeScale: 0.5,
      dryRun: true,
      approvals: { roles: ['functional', 'sre'], timeoutMinutes: 240 },
    });
    expect(cmd.wait).toBe(true);
  });

  it('--regions all means the default regions; the delay is dropped unless the strategy is delayed', () => {
    const all = start(parse('start', ...release, '--regions', 'all', '--strategy', 'sequential', '--delay-between-regions', '90'));
    expect(all.input.delayBetweenRegionsMinutes).toBeUndefined();
    expect(all.input.regions).toEqual([...DEFAULT_REGIONS]);
    const delayed = start(parse('start', ...release, '--delay-between-regions', '45'));
    expect(delayed.input).toMatchObject({ strategy: 'delayed', delayBetweenRegionsMinutes: 45 });
  });

  it('--override-parallel-policy and --approval-regions fill their objects; server flags are kept apart', () => {
    const cmd = start(
      parse(
        'start',
        ...release,
        '--strategy',
        'parallel',
        '--override-parallel-policy',
        'CVE hotfix, SRE on call',
        '--approvals',
        'sre',
        '--approval-regions',
        'us-east',
        '--address',
        'temporal:7233',
        '--namespace',
        'prod',
        '--task-queue',
        'q1',
      ),
    );
    expect(cmd.input.parallelPolicyOverride).toEqual({ reason: 'CVE hotfix, SRE on call' });
    expect(cmd.input.approvals).toMatchObject({ roles: ['sre'], regions: ['us-east'] });
    expect(cmd.server).toEqual({ address: 'temporal:7233', namespace: 'prod', taskQueue: 'q1' });
    expect(start(parse('start', ...release, '--region-task-queues')).input.regionTaskQueues).toBe(true);
  });

  it('--poll-seconds sets the poll interval; --report-interval, or its alias --check-interval, the report interval', () => {
    expect(start(parse('start', ...release, '--poll-seconds', '2', '--report-interval', '15')).input).toMatchObject({
      pollSeconds: 2,
      checkIntervalSeconds: 15,
    });
    expect(start(parse('start', ...release, '--check-interval', '45')).input.checkIntervalSeconds).toBe(45);
    expect(start(parse('start', ...release)).input).toMatchObject({ pollSeconds: 5, checkIntervalSeconds: 30 });
  });

  it('refuses a bad poll or report interval naming the flag given', () => {
    expect(usageError(['start', ...release, '--poll-seconds', 'often'])).toBe('--poll-seconds: must be a number, got "often"');
    expect(usageError(['start', ...release, '--poll-seconds', '0'])).toMatch(/^invalid rollout input: pollSeconds: .*\(--poll-seconds\)$/);
    expect(usageError(['start', ...release, '--report-interval', '0'])).toMatch(
      /^invalid rollout input: checkIntervalSeconds: .*\(--report-interval\)$/,
    );
    expect(usageError(['start', ...release, '--check-interval', '0'])).toMatch(
      /^invalid rollout input: checkIntervalSeconds: .*\(--check-interval\)$/,
    );
    expect(usageError(['start', ...release, '--check-interval', 'x'])).toBe('--check-interval: must be a number, got "x"');
    expect(usageError(['start', ...release, '--check-interval', '10', '--report-interval', '20'])).toBe(
      '--check-interval is another name for --report-interval: give one of them',
    );
    expect(describeProblem('checkIntervalSeconds: too big')).toBe('checkIntervalSeconds: too big (--report-interval)');
  });

  it('--config gives the input; flags override its fields', () => {
    const cmd = start(parse('start', '--config', 'rollout.json', '--version', 'v1.0.1', '--artifact-sha256', 'c'.repeat(64)));
    expect(cmd.input).toMatchObject({ service: 'payments-api', version: 'v1.0.1', regions: ['eu-west'], checkIntervalSeconds: 10 });
    expect(cmd.input.artifact).toEqual({ url: 'https://a.example/p.tgz', sha256: 'c'.repeat(64) });
  });

  it('refuses bad input in one line naming the field and its flag', () => {
    const msg = usageError(['start', ...release.slice(0, 2), '--version', 'v1; rm -rf /', ...release.slice(4)]);
    expect(msg).toMatch(/^invalid rollout input: version: must be a release tag .*\(--version\)$/);
    expect(usageError(['start', ...release, '--strategy', 'yolo'])).toContain('strategy');
    expect(usageError(['start', ...release, '--regions', 'us-east,us-east'])).toContain('regions: must not repeat a region (--regions)');
    expect(usageError(['start', ...release, '--delay-between-regions', '10'])).toContain('delayBetweenRegionsMinutes');
    expect(usageError(['start', ...release, '--override-parallel-policy', 'because'])).toContain('parallelPolicyOverride.reason');
    expect(usageError(['start', ...release, '--time-scale', 'fast'])).toBe('--time-scale: must be a number, got "fast"');
    expect(usageError(['start', '--service', 'payments-api'])).toBe('start: missing --version');
    expect(usageError(['start', ...release, '--colour', 'green'])).toContain("Unknown option '--colour'");
    expect(usageError(['start', ...release, 'extra'])).toContain('unexpected argument "extra"');
    expect(usageError(['start', '--config', 'missing.json'])).toBe('--config: cannot read missing.json (ENOENT)');
    expect(usageError(['start', '--config', 'broken.json'])).toContain('is not valid JSON');
    expect(usageError(['start', '--config', 'array.json'])).toContain('must hold one JSON object');
  });

  it('a bad value from --config names the file and its field; a flag that set the field names the flag', () => {
    const fromFile = usageError(['start', '--config', 'bad.json', '--artifact-url', 'https://a.example/q.tgz']);
    expect(fromFile).toMatch(/^invalid rollout input: version: must be a release tag [^;]* \(in bad\.json\); /);
    expect(fromFile).toMatch(/; artifact\.sha256: [^;]* \(in bad\.json\)(;|$)/);
    expect(fromFile).toMatch(/unknown field "colour" \(in bad\.json\)/);
    expect(fromFile).not.toContain('(--');
    const flagged = usageError(['start', '--config', 'rollout.json', '--version', 'v1; rm -rf /']);
    expect(flagged).toMatch(/^invalid rollout input: version: must be a release tag .*\(--version\)$/);
    expect(usageError(['plan', '--config', 'bad.json', '--version', 'v2.0.0', '--artifact-sha256', SHA])).toBe(
      'invalid rollout input: unknown field "colour" (in bad.json)',
    );
  });
});

describe('plan', () => {
  it('needs no release: defaults give the original table and the 90-minute delay', () => {
    const cmd = parse('plan');
    if (cmd.verb !== 'plan') throw new Error(cmd.verb);
    expect(cmd.input).toMatchObject({
      strategy: 'delayed',
      delayBetweenRegionsMinutes: 90,
      regions: [...DEFAULT_REGIONS],
      stages: DEFAULT_STAGES,
    });
  });

  it('still validates what it is given', () => {
    expect(usageError(['plan', '--regions', 'US East'])).toContain('regions[0]');
  });
});

describe('operator verbs', () => {
  it('take the service as the argument or --service', () => {
    expect(parse('status', 'payments-api')).toMatchObject({ verb: 'status', service: 'payments-api', json: false });
    expect(parse('compare', '--service', 'payments-api', '--json')).toMatchObject({ verb: 'compare', service: 'payments-api', json: true });
    expect(parse('watch', 'payments-api', '--interval', '0.5')).toMatchObject({ verb: 'watch', intervalMs: 500 });
    expect(usageError(['status'])).toBe('status: missing the service (meridian status <service>)');
    expect(usageError(['status', 'a-api', 'b-api'])).toContain('unexpected argument "b-api"');
  });

  it('pause/resume/abort/approve/rollback/list', () => {
    expect(parse('pause', 'payments-api', '--region', 'eu-west', '--reason', 'look')).toMatchObject({
      verb: 'pause',
      region: 'eu-west',
      reason: 'look',
    });
    expect(parse('resume', 'payments-api')).toEqual({ verb: 'resume', server: {}, service: 'payments-api' });
    expect(parse('abort', 'payments-api', '--reason', 'bad build')).toMatchObject({ verb: 'abort', reason: 'bad build' });
    expect(usageError(['abort', 'payments-api'])).toBe('abort: missing --reason');
    expect(parse('approve', 'payments-api', '--region', 'us-east', '--role', 'sre', '--approver', 'dana')).toMatchObject({
      region: 'us-east',
      role: 'sre',
      approver: 'dana',
    });
    expect(usageError(['approve', 'payments-api', '--region', 'us-east', '--role', 'sre'])).toBe('approve: missing --approver');
    expect(parse('rollback', 'payments-api', '--region', 'us-east', '--reason', 'pager', '--to', 'green', '--dry-run')).toMatchObject({
      to: 'green',
      dryRun: true,
      regionTaskQueue: false,
    });
    expect(parse('rollback', 'payments-api', '--region', 'us-east', '--reason', 'pager', '--region-task-queues')).toMatchObject({
      regionTaskQueue: true,
    });
    expect(usageError(['rollback', 'payments-api', '--region', 'us-east', '--reason', 'x', '--to', 'red'])).toContain(
      '--to must be blue or green',
    );
    expect(parse('list')).toMatchObject({ verb: 'list', limit: 20 });
    expect(parse('list', 'payments-api', '--limit', '5')).toMatchObject({ service: 'payments-api', limit: 5 });
    expect(usageError(['list', '--limit', '0'])).toContain('--limit');
  });

  it('help at the top, per verb, and for unknown verbs an error', () => {
    expect(parse()).toMatchObject({ verb: 'help' });
    expect(parse('--help')).toMatchObject({ verb: 'help' });
    for (const verb of ['start', 'plan', 'status', 'watch', 'compare', 'list', 'pause', 'resume', 'abort', 'approve', 'rollback']) {
      const h = parse(verb, '--help');
      expect(h.verb === 'help' && h.text).toContain(`Usage: meridian ${verb}`);
      expect(parse('help', verb)).toEqual(h);
    }
    expect(usageError(['deploy'])).toContain('unknown command "deploy"');
  });
});

describe('helpers', () => {
  it('describeProblem appends the flag that sets a field', () => {
    expect(describeProblem('artifact.sha256: must be 64 lowercase hex characters')).toBe(
      'artifact.sha256: must be 64 lowercase hex characters (--artifact-sha256)',
    );
    expect(describeProblem('stages[0].weightPct: too big')).toBe('stages[0].weightPct: too big');
    expect(describeProblem('regionsX: odd')).toBe('regionsX: odd');
  });

  it('a flag on top of --config keeps the fields it does not touch', () => {
    expect(start(parse('start', '--config', 'rollout.json', '--time-scale', '0.1')).input).toMatchObject({
      regions: ['eu-west'],
      timeScale: 0.1,
      checkIntervalSeconds: 10,
    });
  });
});

describe('deploy policy flags', () => {
  it('--batch-size, --minimum-healthy and --max-sessions set the deploy policy: counts as numbers, shares as "N%"', () => {
    const cmd = start(parse('start', ...release, '--batch-size', '25%', '--minimum-healthy', '2', '--max-sessions', '4'));
    expect(cmd.input.deployPolicy).toEqual({ batchSize: '25%', minimumHealthy: 2, maxSessions: 4 });
    expect(start(parse('start', ...release)).input.deployPolicy).toEqual({ batchSize: '100%', minimumHealthy: '100%', maxSessions: 10 });
  });

  it('refuses a batch of 0 or a share above 100 %, naming the field and its flag', () => {
    expect(usageError(['start', ...release, '--batch-size', '0'])).toMatch(/deployPolicy\.batchSize: .*\(--batch-size\)$/);
    expect(usageError(['start', ...release, '--minimum-healthy', '150%'])).toMatch(
      /deployPolicy\.minimumHealthy: must be a count of hosts \(1 or more\) or a percentage like "25%" .*\(--minimum-healthy\)$/,
    );
    expect(usageError(['start', ...release, '--max-sessions', 'many'])).toMatch(/deployPolicy\.maxSessions: .*\(--max-sessions\)$/);
  });
});
