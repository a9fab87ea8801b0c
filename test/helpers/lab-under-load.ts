// The lab (lab/lab.ts) in one region with the lab's own steady load (lab/load.ts) through its
// HAProxy: what an end-to-end rollout on the real activities needs before its first gate.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type LabRegion, type MultiRegionLab } from '../../lab/lab.js';
import { startLoad, type RegionLoad } from '../../lab/load.js';
import type { RolloutRequest, Stage } from '../../domain/rollout-input.js';
import { waitUntil } from './services.js';

export const REGION = 'us-east';

export interface LabUnderLoad {
  lab: MultiRegionLab;
  region: LabRegion;
  /** The load's counters for REGION, live. */
  load: RegionLoad;
  /** Resolves once Prometheus reads blue's error rate (0 %): the baseline the first gate compares with. */
  baseline(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `ratePerSecond` through HAProxy: at 120, a 10 % canary stage of 3 s (a minute at timeScale 0.05)
 * gives green about 36 requests, and less on a busy machine (the load runs in the test's process):
 * rollouts with short canary stages let the judge extend them until it has the requests it needs.
 */
export async function startLabUnderLoad(name: string, ratePerSecond = 120, opts: { residualRate?: number } = {}): Promise<LabUnderLoad> {
  const lab = await startLab({ dir: mkdtempSync(join(tmpdir(), `meridian-${name}-`)), regions: [REGION] });
  const region = lab.regions[REGION]!;
  // `residualRate`: a trickle straight to blue (the stable colour of a fresh lab), past HAProxy.
  const load = startLoad(
    { [REGION]: region.haproxy.url },
    { ratePerSecond, residualRate: opts.residualRate, residualTargets: { [REGION]: region.services.blue.url } },
  );
  return {
    lab,
    region,
    load: load.stats[REGION]!,
    baseline: () =>
      waitUntil('a baseline for blue in Prometheus', async () => (await lab.observedErrorRate(REGION, 'blue')) === 0, 30_000, 250),
    async stop() {
      await load.stop();
      await lab.stop();
    },
  };
}

/**
 * A delayed rollout of one release to REGION, scaled for the lab (timeScale 0.05: a 1-minute stage
 * lasts 3 s, a check every 3 s). The judge polls every second, as Prometheus scrapes the lab, and
 * may extend a short stage up to 10x for the requests it needs (an inconclusive stage would pause
 * the rollout for an operator).
 */
export function labRollout(
  release: Pick<RolloutRequest, 'service' | 'version' | 'artifact'>,
  stages: Stage[],
  judge: RolloutRequest['judge'] = {},
): RolloutRequest {
  return {
    ...release,
    regions: [REGION],
    strategy: 'delayed',
    stages,
    checkIntervalSeconds: 60,
    timeScale: 0.05,
    pollSeconds: 1,
    judge: { maxExtension: 10, ...judge },
  };
}
