// Deploys a colour's fleet in the rollout's batches, as one activity: each host's outcome is
// heartbeated as it lands, so a retry (a worker killed mid-batch) resumes from the last heartbeat,
// deploying no finished host again and skipping none; and the region's history holds one activity,
// not one event per host per step. Hosts run at most `maxSessions` at once (and the worker's cap).
import { Context } from '@temporalio/activity';
import { batchesOf, failuresAllowed, type FleetDeployReport, type HostOutcome } from '../domain/fleet.js';
import type { DeployRequest } from '../domain/ports.js';
import type { Deployer } from './deployer.js';

/** What a deploy activity heartbeats: every finished host's outcome, and the step each running host is at. */
export interface DeployProgress {
  done: HostOutcome[];
  running: Record<string, string>;
}

/** A counting semaphore: at most `limit` holders at once, the rest queue in arrival order. */
export class Sessions {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  constructor(readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export async function deployBatches(deployer: Deployer, req: DeployRequest, workerSessions: Sessions): Promise<FleetDeployReport> {
  const actx = Context.current();
  const hosts = deployer.hosts(req.colour);
  const resumed = (actx.info.heartbeatDetails as DeployProgress | undefined)?.done ?? [];
  const progress: DeployProgress = { done: resumed.filter((o) => hosts.includes(o.host)), running: {} };
  const beat = () => actx.heartbeat(progress);
  const allowed = failuresAllowed(hosts.length, req.policy.minimumHealthy);
  const failed = () => progress.done.filter((o) => !o.healthy).length;
  const rollout = new Sessions(req.policy.maxSessions);
  const changed: string[] = [];

  for (const batch of batchesOf(hosts, req.policy.batchSize)) {
    // Past the failures the minimum allows, the fleet cannot take traffic: stop deploying.
    if (failed() > allowed) break;
    const todo = batch.filter((h) => !progress.done.some((o) => o.host === h));
    await Promise.all(
      todo.map((host) =>
        workerSessions.run(() =>
          rollout.run(async () => {
            progress.running[host] = 'start';
            beat();
            let outcome: HostOutcome;
            try {
              const report = await deployer.deployHost(req, host, (step) => {
                progress.running[host] = step;
                beat();
              });
              if (report.changed) changed.push(host);
              outcome = { host, healthy: true };
            } catch (err) {
              // A cancelled activity stops here; its hosts are deployed again (a no-op when done) on retry.
              if (actx.cancellationSignal.aborted) throw err;
              outcome = { host, healthy: false, reason: err instanceof Error ? err.message : String(err) };
            } finally {
              delete progress.running[host];
            }
            progress.done.push(outcome);
            beat();
          }),
        ),
      ),
    );
  }
  const outcomes = hosts.flatMap((h) => progress.done.find((o) => o.host === h) ?? []);
  const skipped = hosts.filter((h) => !outcomes.some((o) => o.host === h));
  const healthy = outcomes.filter((o) => o.healthy).length;
  const where = `${req.colour} in ${req.ctx.region}`;
  const notes = [
    `${healthy} of ${hosts.length} hosts healthy on ${req.version}`,
    ...(changed.length ? [`${changed.length} deployed`] : []),
    ...(skipped.length ? [`${skipped.length} not deployed (too many failures)`] : []),
  ];
  return {
    changed: changed.length > 0,
    summary: `${where}: ${notes.join(', ')}`,
    hosts: [...outcomes, ...skipped.map((host) => ({ host, healthy: false, reason: 'not deployed: too many hosts failed before it' }))],
  };
}
