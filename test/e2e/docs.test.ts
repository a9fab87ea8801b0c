// The four guides in docs/ stay true: every command in a ```bash runnable block is run for real —
// `meridian` and `temporal` against a dev server whose in-process worker runs the real workflows
// over stub activities, the rest (plan, --help, the worker's config check, the replay test) as
// written — and must exit as the doc says (`# exits N`, else 0). Each command gets the state it
// needs first (a rollout in a canary stage, one awaiting approval, one about to finish) and its
// effect is checked after. Mermaid blocks must name a diagram type, relative links must resolve,
// and the example worker config must validate.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWorkerConfig, WorkerConfigError } from '../../activities/config.js';
import { hostsOf } from '../../activities/ssh/deploy-config.js';
import { fillCommand, TEMPORAL_CLI_COMMANDS } from '../../client/temporal-cli-commands.js';
import { regionWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { Colour } from '../../domain/metrics.js';
import type { RolloutResult } from '../../domain/outcome.js';
import type { RolloutRequest } from '../../domain/rollout-input.js';
import type { RegionStatus, RolloutStatus } from '../../workflows/messages.js';
import {
  cli,
  eventually,
  HOLD_AT_10,
  QUICK,
  ROOT,
  ServiceWorlds,
  sh,
  SHA,
  startCliBench,
  type CliBench,
  type CliRun,
} from './cli-harness.js';

const GUIDES = [
  'AUTOMATED_REGIONAL_CHAINING_GUIDE.md',
  'DEPLOYMENT_DEBUGGING_GUIDE.md',
  'PRODUCTION_READINESS_CHECKLIST.md',
  'DEPLOYMENT_QUICK_REFERENCE.md',
];
const DOC_SERVICE = 'payments-api';
const DOC_QUEUE = 'meridian';
const REGIONS = ['us-east', 'eu-west', 'apac-se'];

// ---------------------------------------------------------------------------------------------
// Markdown: fenced blocks and the commands in runnable ones.

interface Block {
  doc: string;
  /** 1-based line of the opening fence. */
  line: number;
  info: string;
  lines: string[];
}

export function fencedBlocks(markdown: string, doc: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trim().startsWith(fence)) body.push(lines[j++]!);
    if (j >= lines.length) throw new Error(`${doc}:${i + 1}: unclosed code fence`);
    blocks.push({ doc, line: i + 1, info: open[3]!.trim(), lines: body });
    i = j;
  }
  return blocks;
}

export interface DocCommand {
  doc: string;
  line: number;
  command: string;
  expectedExit: number;
}

/** Splits a shell line into its command and a trailing `# comment` (a # outside quotes after a blank). */
function splitComment(line: string): [string, string] {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return [line.slice(0, i).trimEnd(), line.slice(i + 1)];
  }
  return [line, ''];
}

const exitIn = (comment: string): number | undefined => {
  const m = /\bexits?\s+(\d+)\b/.exec(comment);
  return m ? Number(m[1]) : undefined;
};

/** Each command of a runnable block (continuation lines joined); `# exits N` on it or just above sets its exit code. */
export function commandsOf(block: Block): DocCommand[] {
  const out: DocCommand[] = [];
  let pendingExit: number | undefined;
  for (let i = 0; i < block.lines.length; i++) {
    const start = i;
    let text = block.lines[i]!;
    while (/\\\s*$/.test(text) && i + 1 < block.lines.length) text = `${text.replace(/\\\s*$/, '')} ${block.lines[++i]!.trim()}`;
    const [command, comment] = splitComment(text.trim());
    if (!command) {
      pendingExit = exitIn(comment) ?? pendingExit;
      continue;
    }
    out.push({
      doc: block.doc,
      line: block.line + 1 + start,
      command: command.replace(/\s+/g, ' '),
      expectedExit: exitIn(comment) ?? pendingExit ?? 0,
    });
    pendingExit = undefined;
  }
  return out;
}

const read = (doc: string) => readFileSync(join(ROOT, 'docs', doc), 'utf8');
const blocksOf = (doc: string) => fencedBlocks(read(doc), doc);
const runnable = (doc: string) =>
  blocksOf(doc)
    .filter((b) => /^bash\s+runnable\b/.test(b.info))
    .flatMap(commandsOf);
const COMMANDS: DocCommand[] = GUIDES.flatMap(runnable);

// ---------------------------------------------------------------------------------------------
// Static checks: no server needed.

const MERMAID_KEYWORDS = new RegExp(
  String.raw`^(flowchart|graph|sequenceDiagram|stateDiagram(-v2)?|classDiagram|erDiagram|gantt|journey|pie|gitGraph|mindmap|` +
    String.raw`timeline|quadrantChart|requirementDiagram|C4Context|sankey-beta|xychart-beta|block-beta)\b`,
);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');

function anchorsOf(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/^(`{3,})[\s\S]*?^\1/gm, '');
  return new Set([...withoutCode.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}

describe('docs: structure', () => {
  it('each guide has runnable commands, and the total is what the suite runs below', () => {
    for (const doc of GUIDES) expect(runnable(doc).length, doc).toBeGreaterThan(2);
    expect(COMMANDS.length).toBeGreaterThanOrEqual(40);
    for (const c of COMMANDS) expect(c.command, `${c.doc}:${c.line}`).toMatch(/^(npx |temporal |MERIDIAN_CONFIG=)/);
  });

  it("`npx meridian` in the repo is npm running client/bin.mjs (the commands below run it through the harness's npx shim)", async () => {
    const [viaNpx, direct] = await Promise.all([sh('npx meridian --help', {}), cli(['--help'], {})]);
    expect(viaNpx.code, viaNpx.stderr).toBe(0);
    expect(direct.stdout).toContain('Usage: meridian');
    expect(viaNpx.stdout).toBe(direct.stdout);
  });

  it('the quick reference shows every temporal CLI command of client/temporal-cli-commands.ts, as written there', () => {
    const quick = runnable('DEPLOYMENT_QUICK_REFERENCE.md').map((c) => c.command);
    for (const { name } of TEMPORAL_CLI_COMMANDS) {
      if (name === 'start') {
        const prefix = fillCommand('start', { service: DOC_SERVICE, taskQueue: DOC_QUEUE, inputJson: '{}' }).replace(/'\{\}'$/, "'");
        expect(
          quick.some((c) => c.startsWith(prefix)),
          prefix,
        ).toBe(true);
      } else {
        expect(quick, name).toContain(fillCommand(name, { service: DOC_SERVICE }));
      }
    }
  });

  it('both operator guides warn that `temporal workflow start` joins a running rollout with exit 0, how to tell, what refuses', () => {
    for (const doc of ['DEPLOYMENT_QUICK_REFERENCE.md', 'DEPLOYMENT_DEBUGGING_GUIDE.md']) {
      const text = read(doc).replace(/\s+/g, ' ');
      expect(text, doc).toMatch(/`temporal workflow start`[^.]*still running\W[^.]*exits 0/);
      expect(text, doc).toContain('temporal workflow describe --workflow-id rollout-payments-api');
      expect(text, doc).toMatch(/`RunId`[^.]*`StartTime`/);
      expect(text, doc).toMatch(/`npx meridian start`[^.]*refuses[^.]*exit 3/);
    }
  });

  it('each Mermaid block starts with a diagram keyword; the chaining guide has a sequence diagram, the debugging guide a flowchart', () => {
    const mermaid = GUIDES.flatMap(blocksOf).filter((b) => b.info === 'mermaid');
    for (const b of mermaid) {
      const first = b.lines.map((l) => l.trim()).find((l) => l && !l.startsWith('%%'));
      expect(first, `${b.doc}:${b.line}`).toMatch(MERMAID_KEYWORDS);
    }
    const kinds = (doc: string) =>
      mermaid
        .filter((b) => b.doc === doc)
        .map(
          (b) =>
            b.lines
              .find((l) => l.trim())!
              .trim()
              .split(/\s/)[0],
        );
    expect(kinds('AUTOMATED_REGIONAL_CHAINING_GUIDE.md')).toContain('sequenceDiagram');
    expect(kinds('DEPLOYMENT_DEBUGGING_GUIDE.md')).toContain('flowchart');
  });

  it('every relative link (and its #anchor) in the guides and the README points at something that exists', () => {
    const files = [...GUIDES.map((g) => join(ROOT, 'docs', g)), join(ROOT, 'README.md')];
    let checked = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8').replace(/^(`{3,})[\s\S]*?^\1/gm, '');
      for (const m of text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const resolved = path ? resolve(dirname(file), path) : file;
        expect(existsSync(resolved), `${file}: ${target}`).toBe(true);
        if (anchor) expect([...anchorsOf(readFileSync(resolved, 'utf8'))], `${file}: ${target}`).toContain(anchor);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});

describe('docs: the example worker config', () => {
  const example = () => JSON.parse(read('meridian.config.example.json')) as unknown;
  const fakeKey = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';
  const env = {
    // us-east is a fleet: each host's address is an env: secret (NAME__US_EAST first, then NAME).
    BLUE_1_IP__US_EAST: '10.10.1.11',
    BLUE_2_IP__US_EAST: '10.10.1.12',
    BLUE_3_IP__US_EAST: '10.10.1.13',
    GREEN_1_IP__US_EAST: '10.10.2.11',
    GREEN_2_IP__US_EAST: '10.10.2.12',
    GREEN_3_IP__US_EAST: '10.10.2.13',
    LB_IP__US_EAST: '10.10.0.10',
    DROPLET_IP_BLUE__EU_WEST: '10.20.0.11',
    DROPLET_IP_GREEN__EU_WEST: '10.20.0.12',
    DROPLET_USER: 'deploy',
    SSH_PRIVATE_KEY: fakeKey.replace(/\n/g, '\\n'),
    CF_ZONE_ID__US_EAST: '023e105f4ecef8ad9ca31a8372d0c353',
    CF_RECORD_ID_API__US_EAST: '372e67954025e0ba6aaa6d586b9e0b59',
    CF_API_TOKEN__US_EAST: 'cf-token-not-a-real-one',
    SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/xxxxxxxxxxxxxxxxxxxxxxxx',
    GLOBAL_SLACK_WEBHOOK: 'https://hooks.slack.com/services/T000/B001/yyyyyyyyyyyyyyyyyyyyyyyy',
    PROMETHEUS_PUSHGATEWAY_URL: 'http://pushgateway.internal:9091',
    GRAFANA_API_KEY: 'glsa_not_a_real_key_123',
  };

  it('validates with parseWorkerConfig and fake secrets: both regions, every vendor, both deploy forms, no warnings', () => {
    const { config, regions, warnings } = parseWorkerConfig(example(), env, { source: 'docs/meridian.config.example.json' });
    expect(regions).toEqual(['us-east', 'eu-west']);
    expect(warnings).toEqual([]);
    // us-east: a fleet of three hosts per colour, each a server of the balancer; eu-west: one host per colour.
    const names = (region: string, colour: Colour) => hostsOf(config.regions[region]!.deploy, colour).map((h) => h.name);
    expect(names('us-east', 'green')).toEqual(['green-1', 'green-2', 'green-3']);
    expect(names('us-east', 'blue')).toEqual(['blue-1', 'blue-2', 'blue-3']);
    expect(config.regions['us-east']!.traffic).toMatchObject({
      servers: { blue: names('us-east', 'blue'), green: names('us-east', 'green') },
    });
    expect([names('eu-west', 'blue'), names('eu-west', 'green')]).toEqual([['blue'], ['green']]);
    expect(config.regions['us-east']!.traffic.kind).toBe('haproxy');
    expect(config.regions['us-east']!.dns?.kind).toBe('cloudflare');
    expect(config.regions['eu-west']!.traffic.kind).toBe('nginx');
    expect(config.regions['eu-west']!.dns).toBeUndefined();
    expect(config.regions['eu-west']!.metrics.window).toBe('1m'); // a default filled in
    // eu-west's by default:
    expect([config.regions['us-east']!.deploy.kind, config.regions['eu-west']!.deploy.kind]).toEqual(['ssh', 'ssh']);
    expect(config.notify.channels.map((c) => c.kind)).toEqual(['slack', 'teams']);
  });

  it('without the secrets it names each missing variable per region (what the checklist tells readers to expect)', () => {
    let problems: string[] = [];
    try {
      parseWorkerConfig(example(), {});
    } catch (err) {
      expect(err).toBeInstanceOf(WorkerConfigError);
      problems = (err as WorkerConfigError).problems;
    }
    // us-east's hosts each have their own address variable; eu-west's one host per colour has DROPLET_IP_<COLOUR>.
    for (const host of ['blue-1', 'blue-2', 'blue-3', 'green-1', 'green-2', 'green-3']) {
      const v = `${host.toUpperCase().replace('-', '_')}_IP`;
      const colour = host.split('-')[0]!;
      expect(problems, host).toContain(
        `${v} is not set for region us-east (set ${v}__US_EAST or ${v}): the address of ${colour} host ${host}`,
      );
    }
    expect(problems.some((p) => p.startsWith('DROPLET_IP_BLUE is not set for region us-east'))).toBe(false);
    expect(problems.some((p) => p.startsWith('DROPLET_IP_BLUE is not set for region eu-west'))).toBe(true);
    expect(problems.some((p) => p.startsWith('LB_IP is not set for region us-east'))).toBe(true);
    expect(problems.some((p) => p.startsWith('CF_API_TOKEN is not set for region us-east'))).toBe(true);
    expect(problems.some((p) => p.includes('region eu-west') && p.startsWith('CF_'))).toBe(false); // no DNS in eu-west
  });
});

// ---------------------------------------------------------------------------------------------
// Running the commands.

let bench: CliBench;
let env: TestWorkflowEnvironment;
const worlds = new ServiceWorlds(REGIONS);
const taskQueue = `meridian-docs-${process.pid}`;

/** The doc's names → this run's: a service per command (so commands never share a rollout), the test's task queue. */
function substitute(command: string, service: string): string {
  return command.replaceAll(DOC_SERVICE, service).replace(/--task-queue meridian\b/g, `--task-queue ${taskQueue}`);
}

type Fixture = 'none' | 'running' | 'approvals' | 'finishing';

interface Ctx {
  service: string;
  command: string;
  region?: string;
}

interface Rule {
  pattern: RegExp;
  fixture: Fixture;
  before?: (c: Ctx) => Promise<void> | void;
  verify?: (c: Ctx, r: CliRun) => Promise<void> | void;
}

const regionOf = (cmd: string) => /--region (\S+)/.exec(cmd)?.[1] ?? /"region":"([^"]+)"/.exec(cmd)?.[1];
const parent = (service: string) => env.client.workflow.getHandle(rolloutWorkflowId(service));
const child = (service: string, region: string) => env.client.workflow.getHandle(regionWorkflowId(service, region));
const parentStatus = (service: string) => parent(service).query<RolloutStatus>('status');
const childStatus = (service: string, region: string) => child(service, region).query<RegionStatus>('status');
const weightsOn = (colour: Colour) => (colour === 'blue' ? { blue: 100, green: 0 } : { blue: 0, green: 100 });
const other = (c: Colour): Colour => (c === 'blue' ? 'green' : 'blue');

async function expectPaused(c: Ctx, paused: boolean): Promise<void> {
  await eventually(
    async () => ((c.region ? await childStatus(c.service, c.region) : await parentStatus(c.service)).paused === paused ? true : undefined),
    `paused=${paused}`,
  );
}

async function expectAborted(c: Ctx): Promise<void> {
  if (c.region) {
    const r = await child(c.service, c.region).result();
    expect(r).toMatchObject({ outcome: 'aborted', liveColour: 'blue' });
    expect(worlds.world(c.service).weights.get(c.region)).toEqual(weightsOn('blue'));
    return;
  }
  const result = (await parent(c.service).result()) as RolloutResult;
  expect(['aborted', 'cancelled']).toContain(result.outcome);
  for (const r of REGIONS) expect(worlds.world(c.service).weights.get(r), r).toEqual(weightsOn('blue'));
}

const RULES: Rule[] = [
  { pattern: /^npx meridian (--help|\w+ --help)$/, fixture: 'none', verify: (_c, r) => expect(r.stdout).toContain('Usage: meridian') },
  // The docs' CLI bench runs an unversioned worker: the deployment is not there, which status says.
  {
    pattern: /^npx meridian worker-version (status|--help)$/,
    fixture: 'none',
    verify: (_c, r) => expect(r.stdout).toMatch(/^(deployment meridian: no worker of it has polled|Usage: meridian worker-version status)/),
  },
  {
    pattern: /^npx meridian plan\b/,
    fixture: 'none',
    verify: (_c, r) => {
      expect(r.stdout).toMatch(/^Plan: /);
      expect(r.stdout).toContain('Expected total — ');
    },
  },
  {
    pattern: /^MERIDIAN_CONFIG=\S+ npx tsx workers\/main\.ts$/,
    fixture: 'none',
    verify: (_c, r) => {
      expect(r.stderr).toContain('meridian worker not started: missing or malformed secrets');
      expect(r.stderr).toContain('GREEN_2_IP is not set for region us-east');
      expect(r.stderr).toContain('DROPLET_IP_BLUE is not set for region eu-west');
    },
  },
  {
    pattern: /^npx vitest run test\/workflows\/replay\.test\.ts$/,
    fixture: 'none',
    verify: (_c, r) => expect(r.stdout).toMatch(/Tests\s.*\d+ passed/),
  },
  {
    pattern: /^npx meridian start\b/,
    fixture: 'none',
    verify: async (c, r) => {
      const world = worlds.world(c.service);
      if (r.code === 1) {
        expect(r.stderr).toContain('needs 5 successful delayed rollouts');
        expect(world.calls.filter((x) => x.name === 'deploy')).toEqual([]);
      } else if (c.command.includes('--dry-run')) {
        expect(r.stdout).toContain(`${c.service}: succeeded`);
        for (const region of REGIONS) expect(world.weights.get(region)).toEqual(weightsOn('blue'));
      } else {
        expect(r.stdout).toContain(`started ${rolloutWorkflowId(c.service)}`);
        const regions = /--regions (?!all)(\S+)/.exec(c.command)?.[1]?.split(',') ?? REGIONS;
        // Parallel starts every region at once; the others start with the first region only.
        const first = c.command.includes('--strategy parallel') ? regions : regions.slice(0, 1);
        await eventually(
          () => (first.every((x) => world.callsFor(x, 'deploy').length > 0) ? true : undefined),
          `deploys in ${first.join(', ')}`,
        );
      }
    },
  },
  {
    pattern: new RegExp(`^temporal workflow start --type ${WORKFLOW_TYPES.rollout}\\b`),
    fixture: 'none',
    verify: async (c) => {
      await eventually(() => (worlds.world(c.service).callsFor('us-east', 'deploy').length > 0 ? true : undefined), 'us-east deploy');
      expect((await parentStatus(c.service)).strategy).toBe('delayed');
    },
  },
  {
    pattern: new RegExp(`^temporal workflow start --type ${WORKFLOW_TYPES.emergencyRollback}\\b`),
    fixture: 'none',
    before: (c) => void worlds.world(c.service).weights.set(c.region!, weightsOn('green')),
    verify: async (c) => {
      await eventually(() => (worlds.world(c.service).weights.get(c.region!)?.blue === 100 ? true : undefined), `${c.region} back on blue`);
    },
  },
  {
    pattern: /^npx meridian rollback\b/,
    fixture: 'none',
    before: (c) => {
      const to = (/--to (blue|green)/.exec(c.command)?.[1] ?? 'blue') as Colour;
      worlds.world(c.service).weights.set(c.region!, weightsOn(other(to)));
      worlds.world(c.service).dns.set(c.region!, other(to));
    },
    verify: (c, r) => {
      const to = (/--to (blue|green)/.exec(c.command)?.[1] ?? 'blue') as Colour;
      const world = worlds.world(c.service);
      const expected = c.command.includes('--dry-run') ? other(to) : to;
      expect(r.stdout).toContain(`${c.region}: live ${to}`);
      expect(world.weights.get(c.region!)).toEqual(weightsOn(expected));
      expect(world.dns.get(c.region!)).toBe(expected);
      for (const x of REGIONS.filter((x) => x !== c.region)) expect(world.weights.get(x)).toEqual(weightsOn('blue'));
    },
  },
  {
    pattern: /^npx meridian approve\b|^temporal workflow update execute .*--name approveRegion\b/,
    fixture: 'approvals',
    verify: async (c) => {
      const role = /--role (\S+)/.exec(c.command)?.[1] ?? /"role":"([^"]+)"/.exec(c.command)![1]!;
      const approver = /--approver (\S+)/.exec(c.command)?.[1] ?? /"approver":"([^"]+)"/.exec(c.command)![1]!;
      await eventually(
        async () => ((await childStatus(c.service, c.region!)).approvals?.approvedBy[role] === approver ? true : undefined),
        `${role} approved by ${approver}`,
      );
    },
  },
  {
    pattern: /^npx meridian watch\b|^temporal workflow result\b/,
    fixture: 'finishing',
    verify: async (c, r) => {
      expect(r.stdout).toMatch(/succeeded/);
      expect(((await parent(c.service).result()) as RolloutResult).outcome).toBe('succeeded');
    },
  },
  {
    pattern: /^npx meridian pause\b|^temporal workflow signal .*--name pause\b/,
    fixture: 'running',
    verify: (c) => expectPaused(c, true),
  },
  {
    pattern: /^npx meridian resume\b|^temporal workflow signal .*--name resume\b/,
    fixture: 'running',
    before: async (c) => {
      await parent(c.service).signal('pause', c.region ? { region: c.region } : {});
      await expectPaused(c, true);
    },
    verify: (c) => expectPaused(c, false),
  },
  { pattern: /^npx meridian abort\b|^temporal workflow signal .*--name abort\b/, fixture: 'running', verify: expectAborted },
  {
    pattern: /^temporal workflow cancel\b/,
    fixture: 'running',
    verify: async (c) => {
      expect(((await parent(c.service).result()) as RolloutResult).outcome).toBe('cancelled');
      await expectAborted(c);
    },
  },
  {
    pattern: /^temporal workflow terminate\b/,
    fixture: 'running',
    verify: async (c) => expect((await parent(c.service).describe()).status.name).toBe('TERMINATED'),
  },
  {
    pattern: /^npx meridian (status|compare)\b|^temporal workflow (query|describe)\b/,
    fixture: 'running',
    verify: (c, r) => expect(r.stdout).toContain(c.command.startsWith('npx') ? c.service : rolloutWorkflowId(c.service)),
  },
  { pattern: /^temporal workflow stack\b/, fixture: 'running', verify: (_c, r) => expect(r.stdout.trim()).not.toBe('') },
  { pattern: /^npx meridian list\b|^temporal workflow (list|count)\b|^temporal task-queue describe\b/, fixture: 'none' },
  {
    pattern: /^temporal operator search-attribute list$/,
    fixture: 'none',
    verify: (_c, r) => expect(r.stdout).toContain('MeridianOutcome'),
  },
];

const rolloutOf = (service: string, extra: Partial<RolloutRequest>): RolloutRequest => ({
  service,
  version: 'v1.12.3',
  artifact: { url: `https://artifacts.example.com/${service}-v1.12.3.tgz`, sha256: SHA },
  regions: REGIONS,
  ...extra,
});

// Every region in flight at once, each holding at 10 %.
const HOLD: Partial<RolloutRequest> = {
  strategy: 'parallel',
  parallelPolicyOverride: { reason: 'docs test: every region in flight at once' },
  ...HOLD_AT_10,
};

async function prepare(fixture: Fixture, service: string): Promise<void> {
  if (fixture === 'none') return;
  const start = (extra: Partial<RolloutRequest>) =>
    env.client.workflow.start(WORKFLOW_TYPES.rollout, {
      taskQueue,
      workflowId: rolloutWorkflowId(service),
      args: [rolloutOf(service, extra)],
    });
  const world = worlds.world(service);
  if (fixture === 'running') {
    await start(HOLD);
    await eventually(() => (REGIONS.every((r) => world.weights.get(r)?.green === 10) ? true : undefined), 'every region at 10 %');
  } else if (fixture === 'approvals') {
    await start({ ...HOLD, approvals: { roles: ['functional', 'sre'] } });
    await eventually(
      () => (world.cards.filter((c) => c.kind === 'approval').length === REGIONS.length ? true : undefined),
      'every region awaiting approval',
    );
  } else {
    await start({ strategy: 'sequential', ...QUICK });
  }
}

// Commands run side by side (each has a service of its own): most of their time is waiting on a
// rollout or a CLI process, which overlaps.
describe.concurrent('docs: every runnable command, for real', () => {
  beforeAll(async () => {
    bench = await startCliBench(import.meta.url, taskQueue, worlds.activities());
    env = bench.env;
  });

  afterAll(async () => bench?.stop());

  // The full command in each test's name (so `-t` can pick one), the data beside it.
  it.each(COMMANDS.map((c, i) => [`${c.doc}:${c.line}: ${c.command}`, { ...c, i, where: `${c.doc}:${c.line}` }] as const))(
    '%s',
    async (_name, { command, expectedExit, i, where }) => {
      const rule = RULES.find((r) => r.pattern.test(command));
      if (!rule) throw new Error(`${where}: no rule in docs.test.ts says what "${command}" needs; add one`);
      const service = `d${i}-${DOC_SERVICE}`;
      const ctx: Ctx = { service, command, ...(regionOf(command) ? { region: regionOf(command)! } : {}) };
      await prepare(rule.fixture, service);
      await rule.before?.(ctx);
      const r = await sh(substitute(command, service), bench.shellEnv, 150_000);
      expect(r.code, `${where}: ${command}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(expectedExit);
      await rule.verify?.(ctx, r);
    },
    240_000,
  );
});
