// A region on real infrastructure for end-to-end rollouts: two sample-service colours behind a
// real HAProxy, scraped by a real Prometheus, a real Pushgateway, a real sshd that the SSH deploy
// logs into (the "droplets" are directories on this machine), an artifact server, and the Slack,
// Teams, Cloudflare and Grafana stand-ins. Yields the worker config (JSON) and the secrets (env).
//
// A deploy is real: the artifact carries fault.json, and the colour's restartCommand applies it to
// the running sample service (PUT /fault), so a "bad release" really serves errors.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Colour } from '../../domain/metrics.js';
import type { Env } from '../../activities/secrets.js';
import { startCloudflareStandIn, type CloudflareStandIn } from '../../lab/standins/cloudflare-api.js';
import { startGrafanaStandIn, type GrafanaStandIn } from '../../lab/standins/grafana-api.js';
import { startSlackStandIn, type SlackStandIn } from '../../lab/standins/slack-webhook.js';
import { startTeamsStandIn, type TeamsStandIn } from '../../lab/standins/teams-webhook.js';
import type { HaproxyLab, PrometheusLab, PushgatewayLab } from '../../lab/daemons.js';
import type { SampleService } from '../../lab/sample-service.js';
import { makeTarGz, startArtifactServer, type Artifact, type ArtifactServer } from './artifact-server.js';
import { Lab } from './services.js';
import { startSshd, type Sshd } from './sshd.js';

export const REGION = 'us-east';

export interface RolloutLab {
  lab: Lab;
  services: Record<Colour, SampleService>;
  haproxy: HaproxyLab;
  prometheus: PrometheusLab;
  pushgateway: PushgatewayLab;
  sshd: Sshd;
  slack: SlackStandIn;
  teams: TeamsStandIn;
  cloudflare: CloudflareStandIn;
  grafana: GrafanaStandIn;
  /** The worker config file's content. */
  config: Record<string, unknown>;
  /** Every secret the worker needs, as env vars. */
  secrets: Env;
  /** Publishes a release whose restart makes the colour serve `errorRatePct` % errors. */
  release(version: string, errorRatePct: number): Artifact;
  stop(): Promise<void>;
}

export const CF = { zone: '0a1b2c3d4e5f60718293a4b5c6d7e8f9', record: 'f9e8d7c6b5a49382716f5e4d3c2b1a00', token: 'cf-token-Zk3n9QwE5rT7yU1iO' };
export const GRAFANA_KEY = 'glsa_Xq8vN2mB7kL4pR9tW3yZ6cF1hJ5dS0aG';

export async function startRolloutLab(name: string): Promise<RolloutLab> {
  const lab = await Lab.create(name, ['haproxy', 'prometheus', 'prometheus-pushgateway', 'openssh-server']);
  const parts: { sshd?: Sshd; artifacts?: ArtifactServer; standins: { close(): Promise<void> }[] } = { standins: [] };
  const stop = async () => {
    await Promise.allSettled([lab.stop(), parts.sshd?.stop(), parts.artifacts?.close(), ...parts.standins.map((s) => s.close())]);
  };
  try {
    const [blue, green] = await Promise.all([lab.sample({ colour: 'blue', version: 'v1.0.0' }), lab.sample({ colour: 'green', version: 'v1.0.0' })]);
    const services = { blue, green };
    const targets = [blue, green].map((s) => ({ address: `127.0.0.1:${s.port}`, labels: { region: REGION } }));
    const [haproxy, prometheus, pushgateway, sshd, artifacts] = await Promise.all([
      lab.haproxy({ blue: `127.0.0.1:${blue.port}`, green: `127.0.0.1:${green.port}` }),
      lab.prometheus(targets),
      lab.pushgateway(),
      startSshd(),
      startArtifactServer(),
    ]);
    Object.assign(parts, { sshd, artifacts });
    const [slack, teams, grafana] = await Promise.all([startSlackStandIn(), startTeamsStandIn(), startGrafanaStandIn({ apiKey: GRAFANA_KEY })]);
    const cloudflare = await startCloudflareStandIn({
      token: CF.token,
      zones: { [CF.zone]: [{ id: CF.record, name: 'api.example.com', type: 'A', content: '127.0.0.1', ttl: 60, proxied: false }] },
    });
    parts.standins.push(slack, teams, grafana, cloudflare);

    const colour = (c: Colour) => ({
      baseDir: join(lab.dir, 'hosts', c),
      restartCommand: `curl -fsS -X PUT --data-binary @fault.json http://127.0.0.1:${services[c].port}/fault >/dev/null`,
      healthUrl: `http://127.0.0.1:${services[c].port}/health`,
      port: sshd.port,
      knownHosts: sshd.knownHostsLine,
      healthTimeoutSeconds: 20,
      healthIntervalSeconds: 0.5,
    });
    const config = {
      regions: {
        [REGION]: {
          deploy: { blue: colour('blue'), green: colour('green') },
          traffic: { kind: 'haproxy', adminSocket: haproxy.adminSocket, backend: haproxy.backend, servers: haproxy.servers },
          // The lab's services share the test's process: its CPU is not theirs, so no CPU gate.
          metrics: { prometheusUrl: prometheus.url, window: '10s', scrapeIntervalSeconds: 1, queries: { cpuPct: false } },
          dns: { kind: 'cloudflare', baseUrl: cloudflare.baseURL },
        },
      },
      links: { grafanaDashboardUrl: `${grafana.url}/d/meridian?var-service={service}&var-region={region}`, logsUrl: 'https://logs.example.com/?q={correlationId}' },
      grafana: { url: grafana.url },
      notify: { backoffMs: 100 },
    };
    const secrets: Env = {
      DROPLET_IP_BLUE: '127.0.0.1',
      DROPLET_IP_GREEN: '127.0.0.1',
      DROPLET_USER: userInfo().username,
      SSH_PRIVATE_KEY: sshd.clientKey,
      SLACK_WEBHOOK_URL: slack.createWebhook(REGION),
      GLOBAL_SLACK_WEBHOOK: slack.createWebhook('global'),
      TEAMS_WEBHOOK_URL: teams.createWebhook(REGION),
      PROMETHEUS_PUSHGATEWAY_URL: pushgateway.url,
      CF_ZONE_ID: CF.zone,
      CF_API_TOKEN: CF.token,
      CF_RECORD_ID_API: CF.record,
      GRAFANA_API_KEY: GRAFANA_KEY,
    };
    return {
      lab,
      services,
      haproxy,
      prometheus,
      pushgateway,
      sshd,
      slack,
      teams,
      cloudflare,
      grafana,
      config,
      secrets,
      release: (version, errorRatePct) => artifacts.publish(`app-${version}.tar.gz`, makeTarGz({ 'fault.json': JSON.stringify({ errorRatePct, latencyMs: 0 }) })),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Percentage of the colour's requests that failed over the window, as Prometheus sees it (undefined: no traffic). */
export async function observedErrorRate(prometheusUrl: string, colour: Colour, window = '10s'): Promise<number | undefined> {
  const sel = `region="${REGION}",colour="${colour}"`;
  const q = `100 * (sum(rate(http_requests_total{${sel},code=~"5.."}[${window}])) or vector(0)) / sum(rate(http_requests_total{${sel}}[${window}]))`;
  const res = (await (await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { data: { result: { value: [number, string] }[] } };
  const v = Number(res.data.result[0]?.value[1]);
  return Number.isFinite(v) ? v : undefined;
}
