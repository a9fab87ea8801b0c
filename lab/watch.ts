// Watches a running rollout for the demo: its status as `meridian status` reads it (client/status.ts:
// the parent's query and each region's child), each HAProxy's weights over its runtime API (polled
// every 200 ms, kept as a timeline for the fault-to-rollback timing), and the cards the Slack and
// Teams stand-ins received.
import type { Client } from '@temporalio/client';
import { getStatus, type RolloutView } from '../client/status.js';
import type { Colour } from '../domain/metrics.js';
import type { RolloutResult } from '../domain/outcome.js';
import type { TrafficWeights } from '../domain/ports.js';
import type { MultiRegionLab } from './lab.js';
import type { Load } from './load.js';
import { formatCardLine, slackCardLine, teamsCardLine, type CardLine, type ProgressView } from './progress.js';

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

/**
 * The demo's view of a rollout: its status (getStatus, polled), the load balancers (runtime API) and
 * the cards, for the progress view and timings.
 */
export function watchLab(o: {
  lab: MultiRegionLab;
  load: Load;
  client: Client;
  service: string;
  regions: string[];
  view: ProgressView;
  webUi: string;
}) {
  const { lab, load, client, service, regions, view } = o;
  let status: RolloutView | undefined;
  let final: RolloutResult | undefined;
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
  const bounded = <T>(p: Promise<T>) => Promise.race([p, sleep(3_000).then(() => Promise.reject(new Error('status timed out')))]);
  const refresh = async () => {
    try {
      status = await bounded(getStatus(client, service));
    } catch {
      // The server can be busy, or the workflow not started yet; the next poll catches up.
    }
    printCards();
    view.update(
      regions.map((r) => {
        const s = status?.regions.find((v) => v.region === r);
        const w = changes[r]!.at(-1);
        const done = final?.regions[r];
        return {
          region: r,
          phase: s?.phase ?? 'waiting',
          ...(s?.stage ? { stage: s.stage } : {}),
          stageReached: done?.stageReached ?? s?.stageReached,
          weights: w ? { blue: w.blue, green: w.green } : undefined,
          candidate: done?.candidate ?? s?.candidate,
          lastMetrics: done?.lastMetrics ?? s?.lastMetrics,
          outOfService: done ? done.outOfService : s?.outOfService,
          reason: done?.reason ?? s?.reason,
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
    candidate: (region: string): Colour | undefined =>
      final?.regions[region]?.candidate ?? status?.regions.find((v) => v.region === region)?.candidate,
  };
}
