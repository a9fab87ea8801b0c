// `meridian`: the operator CLI. Parses (args.ts), calls Temporal (rollouts.ts, status.ts), prints (render.ts).
// Exit codes: 0 ok · 1 failed / not succeeded · 2 bad input · 3 conflict with what is running.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import { FAILURE_TYPES } from '../domain/contract.js';
import { InvalidRolloutInput } from '../domain/rollout-input.js';
import { parseCommand, type Command, type ServerFlags } from './args.js';
import { describeProblem } from './request-flags.js';
import { connectClient } from './connection.js';
import { RejectedInput, RolloutConflict, TemporalSettingsError } from './errors.js';
import { planRollout } from '../domain/plan.js';
import { changedLines, redraw, renderCompare, renderList, renderPlan, renderResult, renderStatus, strategyTotals } from './render.js';
import { abort, approve, emergencyRollback, pause, resume, startParsedRollout, waitForResult } from './rollouts.js';
import { compareRegions, getStatus, listRollouts, watch } from './status.js';
import { workerRegions } from './worker-regions.js';
import { WORKER_VERSION_USAGE } from './usage.js';
import { describeDeployment, DEFAULT_DEPLOYMENT_NAME, renderDeployment, setCurrentVersion } from './worker-version.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, conflict: 3 } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  columns?: number;
  readFile(path: string): string;
}

const processIo = (): Io => ({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  isTTY: Boolean(process.stdout.isTTY),
  columns: process.stdout.columns,
  readFile: (p) => readFileSync(p, 'utf8'),
});

export async function run(argv: string[], io: Io = processIo()): Promise<number> {
  const print = (lines: string[] | string) => io.out(`${Array.isArray(lines) ? lines.join('\n') : lines}\n`);
  const fail = (code: number, message: string) => {
    io.err(`meridian: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return code;
  };
  if (argv[0] === 'worker-version' || (argv[0] === 'help' && argv[1] === 'worker-version'))
    return workerVersion(argv[0] === 'help' ? ['--help'] : argv.slice(1), io, print, fail);
  let cmd: Command;
  try {
    cmd = parseCommand(argv, io.readFile);
  } catch (err) {
    if (err instanceof RejectedInput) return fail(EXIT.usage, err.message);
    throw err;
  }
  if (cmd.verb === 'help') {
    print(cmd.text);
    return EXIT.ok;
  }
  if (cmd.verb === 'plan') {
    print(cmd.json ? JSON.stringify({ input: cmd.input, ...planJson(cmd.input) }, null, 2) : renderPlan(cmd.input));
    return EXIT.ok;
  }

  let client: Client | undefined;
  try {
    client = await connectClient({ ...serverOf(cmd.server), env: io.env });
    return await execute(client, cmd, io, print);
  } catch (err) {
    if (err instanceof InvalidRolloutInput)
      return fail(EXIT.usage, `invalid rollout input: ${err.problems.map((p) => describeProblem(p)).join('; ')}`);
    if (err instanceof RejectedInput || err instanceof TemporalSettingsError) return fail(EXIT.usage, err.message);
    if (err instanceof RolloutConflict) return fail(EXIT.conflict, err.message);
    // Input only the worker could judge (a region it has no config for): refused by the workflow's first step.
    if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure && err.cause.type === FAILURE_TYPES.invalidInput) {
      return fail(EXIT.usage, `rollout refused by the workflow: ${err.cause.message}`);
    }
    if (err instanceof WorkflowFailedError) return fail(EXIT.failed, `rollout failed: ${err.cause?.message ?? err.message}`);
    return fail(EXIT.failed, `${cmd.verb}: ${(err as Error).message ?? String(err)}`);
  } finally {
    await client?.connection.close().catch(() => undefined);
  }
}

const serverOf = (s: ServerFlags) => ({ ...(s.address ? { address: s.address } : {}), ...(s.namespace ? { namespace: s.namespace } : {}) });

function planJson(input: Parameters<typeof renderPlan>[0]) {
  return { plan: planRollout(input), totals: strategyTotals(input) };
}

type Print = (lines: string[] | string) => void;

async function execute(client: Client, cmd: Exclude<Command, { verb: 'help' | 'plan' }>, io: Io, print: Print): Promise<number> {
  const taskQueue = cmd.server.taskQueue ?? (io.env.MERIDIAN_TASK_QUEUE || undefined);
  switch (cmd.verb) {
    case 'start': {
      const config = io.env.MERIDIAN_CONFIG;
      const started = await startParsedRollout(client, cmd.input, {
        ...(taskQueue ? { taskQueue } : {}),
        ...(config ? { workerRegions: workerRegions(config, io.readFile) } : {}),
      });
      const { service, strategy, regions } = started.input;
      if (!cmd.json)
        print([
          `started ${started.workflowId} (run ${started.runId}): ${service} ${started.input.version}, ${strategy}, ${regions.join(' → ')}`,
          `follow it: meridian watch ${service}`,
        ]);
      if (!started.admitted)
        io.err(`warning: no worker has admitted the rollout yet: it waits for one on its task queue (is a worker running?)\n`);
      if (!cmd.wait) {
        if (cmd.json) print(JSON.stringify({ workflowId: started.workflowId, runId: started.runId }));
        return EXIT.ok;
      }
      const result = await waitForResult(client, service, started.runId);
      print(cmd.json ? JSON.stringify(result, null, 2) : renderResult(service, result));
      return result.outcome === 'succeeded' ? EXIT.ok : EXIT.failed;
    }
    case 'status': {
      const view = await getStatus(client, cmd.service);
      print(cmd.json ? JSON.stringify(view, null, 2) : renderStatus(view));
      return EXIT.ok;
    }
    case 'watch':
      return watchRollout(client, cmd.service, cmd.json, cmd.intervalMs, io, print);
    case 'compare': {
      const { view, regions } = await compareRegions(client, cmd.service);
      print(cmd.json ? JSON.stringify(regions, null, 2) : renderCompare(view, regions));
      return EXIT.ok;
    }
    case 'list': {
      const items = await listRollouts(client, { ...(cmd.service ? { service: cmd.service } : {}), limit: cmd.limit });
      print(cmd.json ? JSON.stringify(items, null, 2) : renderList(items));
      return EXIT.ok;
    }
    case 'pause':
      await pause(client, cmd.service, { ...(cmd.region ? { region: cmd.region } : {}), ...(cmd.reason ? { reason: cmd.reason } : {}) });
      print(`paused ${cmd.service}${cmd.region ? ` in ${cmd.region}` : ''}: it holds before the next canary stage; checks continue`);
      return EXIT.ok;
    case 'resume':
      await resume(client, cmd.service, cmd.region ? { region: cmd.region } : {});
      print(`resumed ${cmd.service}${cmd.region ? ` in ${cmd.region}` : ''}`);
      return EXIT.ok;
    case 'abort':
      await abort(client, cmd.service, { reason: cmd.reason, ...(cmd.region ? { region: cmd.region } : {}) });
      print(
        `aborting ${cmd.service}${cmd.region ? ` in ${cmd.region}` : ''}: regions in flight roll back; ` +
          `follow it with meridian watch ${cmd.service}`,
      );
      return EXIT.ok;
    case 'approve': {
      const state = await approve(client, cmd.service, { region: cmd.region, role: cmd.role, approver: cmd.approver });
      const by = Object.entries(state.approvedBy)
        .map(([role, who]) => `${role} by ${who}`)
        .join(', ');
      const pending = state.pending.length ? `pending: ${state.pending.join(', ')}` : 'all approvals in';
      print(`${cmd.service} ${state.region}: approved ${by || 'nothing yet'}; ${pending}`);
      return EXIT.ok;
    }
    case 'rollback': {
      const r = await emergencyRollback(
        client,
        {
          service: cmd.service,
          region: cmd.region,
          reason: cmd.reason,
          ...(cmd.to ? { toColour: cmd.to } : {}),
          dryRun: cmd.dryRun,
          regionTaskQueue: cmd.regionTaskQueue,
        },
        { ...(taskQueue ? { taskQueue } : {}) },
      );
      if (r.kind === 'abort') {
        print(
          `a rollout of ${cmd.service} is running with ${cmd.region} in flight: aborted ${cmd.region}, which rolls back (${r.workflowId})`,
        );
        const region = await r.wait();
        print(
          `${cmd.region}: ${region.outcome}${region.liveColour ? `, live ${region.liveColour}` : ''}` +
            (region.rollbackError ? ` — ROLLBACK INCOMPLETE: ${region.rollbackError}` : ''),
        );
        return region.rollbackError ? EXIT.failed : EXIT.ok;
      }
      print(`emergency rollback of ${cmd.service} in ${cmd.region} started (${r.workflowId})`);
      const done = await r.wait();
      print(
        `${done.region}: live ${done.liveColour} (traffic: ${done.traffic.summary}; dns: ${done.dns.summary})` +
          (cmd.dryRun ? ' — dry run, nothing changed' : ''),
      );
      return EXIT.ok;
    }
  }
}

async function watchRollout(client: Client, service: string, json: boolean, intervalMs: number, io: Io, print: Print): Promise<number> {
  let last: Awaited<ReturnType<typeof getStatus>> | undefined;
  let frame: string[] = [];
  for await (const view of watch(client, service, { intervalMs })) {
    last = view;
    const lines = renderStatus(view);
    if (json) print(JSON.stringify(view));
    else if (io.isTTY) io.out(redraw(frame.length, lines, io.columns));
    else {
      const time = new Date().toISOString().slice(11, 19);
      for (const l of changedLines(frame, lines)) print(`${time} ${l.trim()}`);
    }
    frame = lines;
  }
  return last?.outcome === 'succeeded' ? EXIT.ok : EXIT.failed;
}

type Fail = (code: number, message: string) => number;

/** `meridian worker-version status|current`: the Worker Deployment the central workers run as. */
async function workerVersion(argv: string[], io: Io, print: Print, fail: Fail): Promise<number> {
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    const str = { type: 'string' } as const;
    const options = {
      address: str,
      namespace: str,
      'task-queue': str,
      deployment: str,
      'build-id': str,
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    } as const;
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    return fail(EXIT.usage, `worker-version: ${(err as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, '')}`);
  }
  const v = parsed.values as {
    address?: string;
    namespace?: string;
    deployment?: string;
    'build-id'?: string;
    json?: boolean;
    help?: boolean;
  };
  const [action, ...extra] = parsed.positionals;
  if (v.help || !action) {
    print(WORKER_VERSION_USAGE);
    return v.help ? EXIT.ok : EXIT.usage;
  }
  if (action !== 'status' && action !== 'current') return fail(EXIT.usage, `worker-version: unknown action "${action}" (status, current)`);
  if (extra.length) return fail(EXIT.usage, `worker-version: unexpected argument "${extra[0]}"`);
  if (action === 'status' && v['build-id']) return fail(EXIT.usage, 'worker-version: --build-id goes with current, not status');
  const deploymentName = v.deployment ?? DEFAULT_DEPLOYMENT_NAME;
  let client: Client | undefined;
  try {
    client = await connectClient({ ...serverOf(v), env: io.env });
    if (action === 'status') {
      const d = await describeDeployment(client, deploymentName);
      const view = d && { name: d.name, currentBuildId: d.currentBuildId, rampingBuildId: d.rampingBuildId, versions: d.versions };
      print(v.json ? JSON.stringify(view ?? null, null, 2) : renderDeployment(view, deploymentName));
      return EXIT.ok;
    }
    const r = await setCurrentVersion(client, { deploymentName, ...(v['build-id'] ? { buildId: v['build-id'] } : {}) });
    print(
      v.json
        ? JSON.stringify(r)
        : `deployment ${r.deploymentName}: ${r.buildId} is current (was ${r.previousBuildId ?? 'none'}); ` +
            'new rollouts start on it, running ones finish on their own build',
    );
    return EXIT.ok;
  } catch (err) {
    return fail(EXIT.failed, `worker-version ${action}: ${(err as Error).message ?? String(err)}`);
  } finally {
    await client?.connection.close().catch(() => undefined);
  }
}

// Run when executed directly (npx tsx client/cli.ts …); client/bin.mjs calls run() itself.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await run(process.argv.slice(2));
}
