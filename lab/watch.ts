// Watches a running rollout for the demo: the workflows' status queries (phase, stage, last metrics),
// each HAProxy's weights over its runtime API (polled every 200 ms, kept as a timeline for the
// fault-to-rollback timing), and the cards the Slack and Teams stand-ins received.
import type { Client } from '@temporalio/client';
import { regionWorkflowId } from '../domain/contract.js';
import type { Colour } from '../domain/metrics.js';
import type { RolloutResult } from '../domain/outcome.js';
import type { TrafficWeights } from '../domain/ports.js';
import { regionStatusQuery, rolloutStatusQuery, type RegionStatus } from '../workflows/messages.js';
import type { MultiRegionLab } from './lab.js';
import type { Load } from './load.js';
import { formatCardLine, slackCardLine, teamsCardLine, type CardLine, type ProgressView, type RegionView } from './progress.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WeightChange extends TrafficWeights {
  /** Epoch ms the change was first seen (polled every 200 ms). */
  at: number;
}

/** When the candidate's traffic went back to 0 after it had some: the rollback as clients see it. */
export function drainedAt(changes: WeightChange[], candidate: Colour): number | undefined {
  const first = changes.findIndex((c) => c[candidate] > 0);
  if (first < 0) return undefined;
  return changes.slice(first).find((c) => c[candidate] === 0)?.at;
}

/** Polls the workflows (queries) and the load balancers (runtime API) for the progress view and timings. */
export function watchRollout(o: { lab: MultiRegionLab; load: Load; client: Client; service: string; workflowId: string; regions: string[]; view: ProgressView; webUi: string }) {
  const { lab, load, client, service, workflowId, regions, view } = o;
  const status: Record<string, RegionStatus | undefined> = {};
  let final: RolloutResult | undefined;
  const parentPhase: Record<string, { phase: RegionView['phase']; reason?: string; stageReached?: number }> = {};
  const changes: Record<string, WeightChange[]> = Object.fromEntries(regions.map((r) => [r, []]));
  const seen = { slack: 0, teams: 0 };
  const cardLines: CardLine[] = [];
  const started = Date.now();
  let stopped = false;

  const printCards = () => {
    for (; seen.slack < lab.slack.received.length; seen.slack++) {
      const d = lab.slack.received[seen.slack]!;
      const line = slackCardLine(d.hook, d.payload);
      cardLines.push(line);
      view.log(view.paint(line.kind === 'rollback' || line.kind === 'incident' ? 'red' : 'yellow', formatCardLine(line)));
    }
    for (; seen.teams < lab.teams.received.length; seen.teams++) {
      const d = lab.teams.received[seen.teams]!;
      const line = teamsCardLine(d.hook, d.payload);
      cardLines.push(line);
      view.log(view.paint('dim', formatCardLine(line)));
    }
  };

  const readWeights = async () => {
    for (const r of regions) {
      const w = await lab.weights(r).catch(() => undefined);
      const last = changes[r]!.at(-1);
      if (w && (!last || last.blue !== w.blue || last.green !== w.green)) changes[r]!.push({ at: Date.now(), ...w });
    }
  };

  // A query waits for a worker to answer: bound it, so a stopping worker never stalls the view.
  const bounded = <T>(p: Promise<T>) => Promise.race([p, sleep(3_000).then(() => Promise.reject(new Error('query timed out')))]);
  const refresh = async () => {
    try {
      const parent = await bounded(client.workflow.getHandle(workflowId).query(rolloutStatusQuery));
      for (const [r, s] of Object.entries(parent.regions)) {
        parentPhase[r] = { phase: s.phase, reason: s.reason, stageReached: s.stageReached };
        if (s.phase === 'running') status[r] = await bounded(client.workflow.getHandle(regionWorkflowId(service, r)).query(regionStatusQuery)).catch(() => status[r]);
      }
    } catch {
      // A query can fail while the server is busy; the next poll catches up.
    }
    printCards();
    view.update(
      regions.map((r) => {
        const child = status[r];
        const p = parentPhase[r];
        const phase = p && p.phase !== 'running' ? p.phase : (child?.phase ?? p?.phase ?? 'waiting');
        const w = changes[r]!.at(-1);
        const done = final?.regions[r];
        return {
          region: r,
          phase,
          stage: child?.stage,
          stageReached: done?.stageReached ?? p?.stageReached ?? child?.stageReached,
          weights: w ? { blue: w.blue, green: w.green } : undefined,
          candidate: done?.candidate ?? child?.candidate,
          metrics: done?.lastMetrics ?? child?.lastMetrics,
          reason: p?.reason ?? child?.reason,
          load: load.stats[r],
        };
      }),
      `Web UI ${o.webUi}  ·  rollout running for ${Math.round((Date.now() - started) / 1000)} s`,
    );
  };

  const loop = async (what: () => Promise<void>, everyMs: number) => {
    while (!stopped) {
      await what();
      await sleep(everyMs);
    }
  };
  const running = Promise.all([loop(readWeights, 200), loop(refresh, 500)]);
  return {
    /** Stops polling and shows the final state (the result's last readings, when given). */
    async stop(result?: RolloutResult) {
      if (stopped) return;
      stopped = true;
      final = result;
      await running;
      await readWeights();
      await refresh();
    },
    cards: () => cardLines,
    weightChanges: () => changes,
    /** Each region's candidate colour, once its workflow said. */
    candidate: (region: string): Colour | undefined => final?.regions[region]?.candidate ?? status[region]?.candidate,
  };
}
