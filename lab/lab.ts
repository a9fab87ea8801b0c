// The multi-region lab on loopback, reusable by the demo, tests and benchmarks: per region a blue and
// a green sample service behind a real HAProxy that health-checks them; one real sshd that every
// region's deploys log into (each region/colour "droplet" is a directory of its own; blue answers on
// 127.0.0.1, green on 127.0.0.2); one Prometheus scraping every service and every HAProxy's exporter
// with a `region` target label; a Pushgateway; an artifact server; the fault agent; and the Slack,
// Teams, Cloudflare and Grafana stand-ins.
// Yields the worker config (non-secret JSON) and the lab's secrets (an env object, never process.env).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { Colour } from '../domain/metrics.js';
import type { BalancerMetricsConfig } from '../activities/metrics-balancer-haproxy.js';
import type { Env } from '../activities/secrets.js';
import { toPercentages } from '../activities/traffic-weights.js';
import { secretName } from '../activities/secrets.js';
import { ensureDebianPackages, type DebianPackage } from './debian.js';
import { makeTarGz, startArtifactServer, type Artifact } from './artifacts.js';
import {
  haproxyWeight,
  startHaproxy,
  startPrometheus,
  startPushgateway,
  type HaproxyLab,
  type PrometheusLab,
  type PushgatewayLab,
  type ScrapeTarget,
} from './daemons.js';
import { releaseFiles, restartCommand, startFaultAgent, type FaultAgent, type FaultInjection, type ReleaseFaults } from './fault-agent.js';
import { backendsOf, startColours, type SampleService } from './sample-service.js';
import { startSshd, type Sshd } from './sshd.js';
import { freePort } from './processes.js';
import { startCloudflareStandIn, type CloudflareStandIn } from './standins/cloudflare-api.js';
import { startGrafanaStandIn, type GrafanaStandIn } from './standins/grafana-api.js';
import type { Printer } from './standins/http.js';
import { startSlackStandIn, type SlackStandIn } from './standins/slack-webhook.js';
import { startTeamsStandIn, type TeamsStandIn } from './standins/teams-webhook.js';

export const LAB_REGIONS = ['us-east', 'eu-west', 'apac-se'] as const;
export const LAB_PACKAGES: DebianPackage[] = ['openssh-server', 'haproxy', 'prometheus', 'prometheus-pushgateway'];
/** The version every colour runs when the lab starts. */
const BASE_VERSION = 'v1.0.0';
/** Loopback addresses of the "droplets": DNS switches between them, sshd answers on both. */
const DROPLET_IPS: Record<Colour, string> = { blue: '127.0.0.1', green: '127.0.0.2' };
/** A fleet's n-th host of a colour (1-based): its own loopback address, for sshd and the deploy config. */
const hostIp = (colour: Colour, n: number) => `127.0.${colour === 'blue' ? 1 : 2}.${n}`;
const hostName = (colour: Colour, n: number) => `${colour}-${n}`;

export interface LabOptions {
  /** The run's working directory (configs, keys, hosts); created, and removed on stop. */
  dir: string;
  /** Where fault injections are appended, one JSON object per line. Default: faults.jsonl in `dir`. */
  faultsLog?: string;
  regions?: readonly string[];
  /** Prometheus rate window the gates read. Default 10s (scrapes every 1s). */
  window?: string;
  /** Link to a rollout in the Temporal Web UI, `{correlationId}` filled in per card. */
  workflowUrl?: string;
  /** Lines from the Cloudflare and Grafana stand-ins. */
  print?: Printer;
  onInjection?: (i: FaultInjection) => void;
  /** Hosts per colour in each region (default 1: today's one blue and one green "droplet"). */
  hosts?: number;
  /** Hosts whose service never answers its health check (a release that does not come up there). */
  brokenHosts?: { region: string; host: string }[];
}

export interface LabRegion {
  name: string;
  /** Each colour's first host: the one service of a one-host lab. */
  services: Record<Colour, SampleService>;
  /** Every host's service, per colour, in host order. */
  fleet: Record<Colour, SampleService[]>;
  haproxy: HaproxyLab;
}

export interface MultiRegionLab {
  dir: string;
  regions: Record<string, LabRegion>;
  prometheus: PrometheusLab;
  pushgateway: PushgatewayLab;
  sshd: Sshd;
  faults: FaultAgent;
  slack: SlackStandIn;
  teams: TeamsStandIn;
  cloudflare: CloudflareStandIn;
  grafana: GrafanaStandIn;
  /** The worker config file's content. */
  config: Record<string, unknown>;
  /** Every secret the worker needs, as env vars (regional ones as NAME__REGION). */
  secrets: Env;
  /** Publishes a release; its fault.json decides how it behaves in each region once restarted. */
  release(version: string, faults: ReleaseFaults): Artifact;
  /** The weights HAProxy holds now, read over its runtime API (a fleet's as each colour's share in %). */
  weights(region: string): Promise<Record<Colour, number>>;
  /** Each HAProxy server's own weight by name (`blue`, `green`; `green-2`… for a fleet), over its runtime API. */
  serverWeights(region: string): Promise<Record<string, number>>;
  /** Error rate (%) of a colour over the window as Prometheus sees it; undefined without traffic. */
  observedErrorRate(region: string, colour: Colour): Promise<number | undefined>;
  /** The lab's own daemons and their pids (each leads its process group). */
  daemons(): { name: string; pid: number }[];
  stop(): Promise<void>;
}

/** Installs missing Debian packages when root, else throws with the exact command. */
function ensureLabPackages(): void {
  ensureDebianPackages(LAB_PACKAGES);
  // The deploy's restart and health checks run curl and tar on the "host" (this machine).
  const missing = ['curl', 'tar'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length)
    throw new Error(`missing tools ${missing.join(', ')}; install them with: sudo apt-get install -y ${missing.join(' ')}`);
}

const token = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;
const cfId = () => randomBytes(16).toString('hex');

export async function startLab(opts: LabOptions): Promise<MultiRegionLab> {
  ensureLabPackages();
  const regionNames = [...(opts.regions ?? LAB_REGIONS)];
  const window = opts.window ?? '10s';
  const faultsLog = opts.faultsLog ?? join(opts.dir, 'faults.jsonl');
  mkdirSync(opts.dir, { recursive: true });
  mkdirSync(dirname(faultsLog), { recursive: true });
  const stops: (() => Promise<unknown>)[] = [];
  const daemons: { name: string; pid: number }[] = [];
  const stop = async () => {
    await Promise.allSettled(
      stops
        .splice(0)
        .reverse()
        .map((s) => s()),
    );
    rmSync(opts.dir, { recursive: true, force: true });
  };

  try {
    // Services first: everything else is configured with their ports.
    const hosts = opts.hosts ?? 1;
    const fleets: Record<string, Record<Colour, SampleService[]>> = {};
    for (const region of regionNames) {
      const all = await Promise.all(Array.from({ length: hosts }, () => startColours({ blue: BASE_VERSION, green: BASE_VERSION })));
      fleets[region] = { blue: all.map((c) => c.blue), green: all.map((c) => c.green) };
      for (const c of all)
        stops.push(
          () => c.blue.stop(),
          () => c.green.stop(),
        );
    }
    const services = Object.fromEntries(regionNames.map((r) => [r, { blue: fleets[r]!.blue[0]!, green: fleets[r]!.green[0]! }]));

    const slack = await startSlackStandIn();
    const teams = await startTeamsStandIn();
    stops.push(
      () => slack.close(),
      () => teams.close(),
    );
    const grafanaKey = token('glsa_');
    const grafana = await startGrafanaStandIn({ apiKey: grafanaKey, print: opts.print });
    stops.push(() => grafana.close());
    const cf = { zone: cfId(), token: token('cf'), records: Object.fromEntries(regionNames.map((r) => [r, cfId()])) };
    const cloudflare = await startCloudflareStandIn({
      token: cf.token,
      zones: {
        [cf.zone]: regionNames.map((r) => ({
          id: cf.records[r]!,
          name: `api.${r}.example.com`,
          type: 'A' as const,
          content: DROPLET_IPS.blue,
          ttl: 60,
          proxied: false,
        })),
      },
      print: opts.print,
      contentNames: { [DROPLET_IPS.blue]: 'blue', [DROPLET_IPS.green]: 'green' },
    });
    stops.push(() => cloudflare.close());
    // The balancers start below; a fault waiting for a weight reads them once they run.
    const regions: Record<string, LabRegion> = {};
    /** The colour's servers' weights added up: with one host, its weight (the %) itself. */
    const rawWeightOf = async (region: string, colour: Colour) => {
      const h = regions[region]?.haproxy;
      if (!h) return NaN;
      const weights = await Promise.all([h.servers[colour]].flat().map((server) => haproxyWeight(h, server)));
      return weights.reduce((sum, w) => sum + w, 0);
    };
    /** The colour's share of the region's traffic in %, as the traffic router reads it. */
    const weights = async (region: string): Promise<Record<Colour, number>> => {
      const [blue, green] = await Promise.all([rawWeightOf(region, 'blue'), rawWeightOf(region, 'green')]);
      // A fleet's raw weights are per server: its colours' shares, read as the traffic router reads them.
      return hosts === 1 ? { blue, green } : toPercentages(blue, green);
    };
    const weightOf = async (region: string, colour: Colour) => (await weights(region))[colour];
    const serverWeights = async (region: string): Promise<Record<string, number>> => {
      const h = regions[region]!.haproxy;
      const names = [h.servers.blue, h.servers.green].flat();
      return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await haproxyWeight(h, n)] as const)));
    };
    const faults = await startFaultAgent({ services: fleets, logPath: faultsLog, weightOf, onInjection: opts.onInjection });
    stops.push(() => faults.close());
    const artifacts = await startArtifactServer();
    stops.push(() => artifacts.close());

    const fleetIps =
      hosts > 1 ? (['blue', 'green'] as const).flatMap((c) => Array.from({ length: hosts }, (_, i) => hostIp(c, i + 1))) : [];
    const sshd = await startSshd({ dir: join(opts.dir, 'sshd'), listen: [...Object.values(DROPLET_IPS), ...fleetIps] });
    stops.push(() => sshd.stop());
    daemons.push({ name: 'sshd', pid: sshd.pid });

    await Promise.all(
      regionNames.map(async (name) => {
        const f = fleets[name]!;
        const backends =
          hosts === 1 ? backendsOf(services[name]!) : { blue: f.blue.map((s) => s.address), green: f.green.map((s) => s.address) };
        const haproxy = await startHaproxy(join(opts.dir, 'haproxy', name), backends);
        stops.push(() => haproxy.daemon.stop());
        daemons.push({ name: `haproxy ${name}`, pid: haproxy.daemon.pid });
        regions[name] = { name, services: services[name]!, fleet: f, haproxy };
      }),
    );

    const targets: ScrapeTarget[] = regionNames.flatMap((region) => [
      ...(['blue', 'green'] as const).flatMap((c) => fleets[region]![c].map((svc) => ({ address: svc.address, labels: { region } }))),
      { address: regions[region]!.haproxy.metricsAddress, labels: { region }, job: 'haproxy' },
    ]);
    const [prometheus, pushgateway] = await Promise.all([startPrometheus(join(opts.dir, 'prometheus'), targets), startPushgateway()]);
    stops.push(
      () => prometheus.daemon.stop(),
      () => pushgateway.daemon.stop(),
    );
    daemons.push({ name: 'prometheus', pid: prometheus.daemon.pid }, { name: 'pushgateway', pid: pushgateway.daemon.pid });

    // A colour's servers by name pattern: `green` today, `green-2`… once a colour has many hosts.
    const balancerOf = (h: HaproxyLab): BalancerMetricsConfig => ({
      kind: 'haproxy',
      backend: h.backend,
      servers: { blue: { pattern: 'blue(-.+)?' }, green: { pattern: 'green(-.+)?' } },
      labels: { region: '{region}' },
    });
    const colourTarget = (region: string, colour: Colour) => ({
      baseDir: join(opts.dir, 'hosts', region, colour),
      restartCommand: restartCommand(faults.url, region, colour),
      healthUrl: `${services[region]![colour].url}/health`,
      port: sshd.port,
      knownHosts: sshd.knownHostsLine,
      healthTimeoutSeconds: 20,
      healthIntervalSeconds: 0.5,
    });
    // A broken host's health URL is a port nothing listens on: its deploy never comes up healthy.
    const deadPort = await freePort();
    const broken = (region: string, host: string) => opts.brokenHosts?.some((b) => b.region === region && b.host === host);
    const fleetTarget = (region: string, colour: Colour) => ({
      ...colourTarget(region, colour),
      hosts: fleets[region]![colour].map((svc, i) => {
        const name = hostName(colour, i + 1);
        return {
          name,
          address: hostIp(colour, i + 1),
          baseDir: join(opts.dir, 'hosts', region, name),
          restartCommand: restartCommand(faults.url, region, colour, i + 1),
          healthUrl: broken(region, name) ? `http://127.0.0.1:${deadPort}/health` : `${svc.url}/health`,
        };
      }),
    });
    const deployTarget = hosts === 1 ? colourTarget : fleetTarget;
    const config = {
      regions: Object.fromEntries(
        regionNames.map((r) => [
          r,
          {
            deploy: { kind: 'ssh', blue: deployTarget(r, 'blue'), green: deployTarget(r, 'green') },
            traffic: {
              kind: 'haproxy',
              adminSocket: regions[r]!.haproxy.adminSocket,
              backend: regions[r]!.haproxy.backend,
              servers: regions[r]!.haproxy.servers,
            },
            // Every service shares the lab's process: its CPU is not theirs, so no CPU gate.
            metrics: {
              prometheusUrl: prometheus.url,
              window,
              scrapeIntervalSeconds: 1,
              queries: { cpuPct: false },
              balancer: balancerOf(regions[r]!.haproxy),
            },
            dns: { kind: 'cloudflare', baseUrl: cloudflare.baseURL },
          },
        ]),
      ),
      links: {
        grafanaDashboardUrl: `${grafana.url}/d/meridian?var-service={service}&var-region={region}`,
        logsUrl: `${prometheus.url}/graph?g0.expr=http_requests_total`,
        ...(opts.workflowUrl ? { workflowUrl: opts.workflowUrl } : {}),
      },
      grafana: { url: grafana.url },
      notify: { channels: [{ kind: 'slack' }, { kind: 'teams' }], backoffMs: 200 },
    };

    // Cards without a region (start, summary) go to the global channels; each region has its own.
    const globalSlack = slack.createWebhook('global');
    const globalTeams = teams.createWebhook('global');
    const secrets: Env = {
      SLACK_WEBHOOK_URL: globalSlack,
      GLOBAL_SLACK_WEBHOOK: globalSlack,
      TEAMS_WEBHOOK_URL: globalTeams,
      DROPLET_IP_BLUE: DROPLET_IPS.blue,
      DROPLET_IP_GREEN: DROPLET_IPS.green,
      DROPLET_USER: userInfo().username,
      SSH_PRIVATE_KEY: sshd.clientKey,
      PROMETHEUS_PUSHGATEWAY_URL: pushgateway.url,
      CF_ZONE_ID: cf.zone,
      CF_API_TOKEN: cf.token,
      GRAFANA_API_KEY: grafanaKey,
    };
    for (const r of regionNames) {
      secrets[secretName('SLACK_WEBHOOK_URL', r)] = slack.createWebhook(r);
      secrets[secretName('TEAMS_WEBHOOK_URL', r)] = teams.createWebhook(r);
      secrets[secretName('CF_RECORD_ID_API', r)] = cf.records[r];
    }

    const errorRateQuery = (region: string, colour: Colour) => {
      const sel = `region="${region}",colour="${colour}"`;
      return (
        `100 * (sum(rate(http_requests_total{${sel},code=~"5.."}[${window}])) or vector(0)) / ` +
        `sum(rate(http_requests_total{${sel}}[${window}]))`
      );
    };

    return {
      dir: opts.dir,
      regions,
      prometheus,
      pushgateway,
      sshd,
      faults,
      slack,
      teams,
      cloudflare,
      grafana,
      config,
      secrets,
      release: (version, releaseFaults) => artifacts.publish(`app-${version}.tar.gz`, makeTarGz(releaseFiles(version, releaseFaults))),
      weights,
      serverWeights,
      async observedErrorRate(region, colour) {
        const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(errorRateQuery(region, colour))}`);
        const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
        const v = Number(body.data?.result?.[0]?.value[1]);
        return Number.isFinite(v) ? v : undefined;
      },
      daemons: () => [...daemons],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
