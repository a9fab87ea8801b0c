// A region's colour is a fleet of hosts. How a release reaches it is the rollout's deploy policy,
// after AWS CodeDeploy's deployment configurations: hosts deployed per batch, and the minimum of the
// candidate colour's hosts that must come up healthy for traffic to move, each a count or a percentage.
// Pure functions: the workflow, the activities and the CLI share them (no zod here: workflows load it).

/** A number of hosts: a count ("3" as 3), or a percentage of the colour's hosts ("25%"). */
export type HostCount = number | `${number}%`;

export interface DeployPolicy {
  /** Hosts deployed at once. */
  batchSize: HostCount;
  /** Candidate hosts that must be healthy after the deploy, else the region fails before traffic moves. */
  minimumHealthy: HostCount;
  /** SSH sessions this rollout opens at once in a region (the worker has its own cap too). */
  maxSessions: number;
}

/** Every host at once (the candidate colour takes no traffic while it deploys), and every one healthy. */
export const DEFAULT_DEPLOY_POLICY: DeployPolicy = { batchSize: '100%', minimumHealthy: '100%', maxSessions: 10 };

/**
 * The count a HostCount means for `total` hosts. A percentage of a batch rounds down (at least one
 * host); of the minimum healthy, up (CodeDeploy's rule: "75 %" of 10 hosts is 8).
 */
function hostsFor(count: HostCount, total: number, round: 'down' | 'up'): number {
  if (typeof count === 'number') return count;
  const exact = (Number.parseFloat(count) / 100) * total;
  return round === 'up' ? Math.ceil(exact - 1e-9) : Math.max(1, Math.floor(exact + 1e-9));
}

/** The hosts in deploy order, cut into batches of the policy's size. */
export function batchesOf<T>(hosts: readonly T[], batchSize: HostCount): T[][] {
  const size = Math.max(1, Math.min(hosts.length, hostsFor(batchSize, hosts.length, 'down')));
  const batches: T[][] = [];
  for (let i = 0; i < hosts.length; i += size) batches.push(hosts.slice(i, i + size));
  return batches;
}

/** One host's deploy: healthy with the release, or why not (a failed step, a health check that never passed). */
export interface HostOutcome {
  host: string;
  healthy: boolean;
  reason?: string;
}

/** What a colour's deploy came to: each host's outcome, in deploy order. */
export interface FleetDeployReport {
  changed: boolean;
  summary: string;
  hosts: HostOutcome[];
}

/** "green-2 (health check failed), green-3 (…)": hosts and why, for cards, status and details. */
export const hostsText = (hosts: readonly HostOutcome[]): string => hosts.map((h) => `${h.host} (${h.reason ?? 'unhealthy'})`).join('; ');

/** Why the fleet cannot take traffic (fewer healthy hosts than the minimum), or undefined when it can. */
export function belowMinimum(hosts: readonly HostOutcome[], minimumHealthy: HostCount): string | undefined {
  const need = hostsFor(minimumHealthy, hosts.length, 'up');
  const healthy = hosts.filter((h) => h.healthy).length;
  if (healthy >= need) return undefined;
  return `${healthy} of ${hosts.length} hosts healthy, ${need} needed: ${hostsText(hosts.filter((h) => !h.healthy))}`;
}

/** Once this many hosts failed, the minimum cannot be met: deploying the rest is wasted. */
export function failuresAllowed(total: number, minimumHealthy: HostCount): number {
  return total - hostsFor(minimumHealthy, total, 'up');
}

/** Hosts per colour in each region, as the worker's config lists them (counts only: addresses are secrets). */
export type FleetSizes = Record<string, Record<'blue' | 'green', number>>;

/**
 * A policy no region's fleet can meet, one problem per region and colour: a minimum healthy count
 * above the hosts a colour has (either colour may be the candidate). Checked at admission.
 */
export function fleetProblems(policy: DeployPolicy, regions: readonly string[], sizes: FleetSizes | undefined): string[] {
  if (!sizes || typeof policy.minimumHealthy !== 'number') return [];
  const need = policy.minimumHealthy;
  return regions.flatMap((r) =>
    (['blue', 'green'] as const).flatMap((c) => {
      const has = sizes[r]?.[c];
      return has !== undefined && need > has ? [`deployPolicy.minimumHealthy: ${need} hosts, but ${c} in ${r} has ${has}`] : [];
    }),
  );
}
