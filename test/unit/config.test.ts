import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { loadWorkerConfig, parseWorkerConfig, WorkerConfigError } from '../../activities/config.js';
import { createActivities } from '../../activities/index.js';
import { DEFAULT_DEPLOY_POLICY } from '../../domain/fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const keyPath = join(dir, 'id_ed25519');
writeFileSync(keyPath, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n');

const colour = (c: string) => ({
  baseDir: `/srv/payments-api/${c}`,
  restartCommand: `systemctl restart payments-api-${c}`,
  healthUrl: 'http://127.0.0.1:8080/health',
  knownHosts: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
});
const region = (extra: Record<string, unknown> = {}) => ({
  deploy: { blue: colour('blue'), green: colour('green') },
  traffic: { kind: 'haproxy', adminSocket: '{LB_IP}:9999', backend: 'api', servers: { blue: 'blue', green: 'green' } },
  metrics: { prometheusUrl: 'http://prometheus.internal:9090' },
  ...extra,
});
const config = (regions: Record<string, unknown> = { 'us-east': region() }, extra: Record<string, unknown> = {}) => ({
  regions,
  links: {
    grafanaDashboardUrl: 'https://grafana.example.com/d/x?var-region={region}',
    logsUrl: 'https://logs.example.com/?q={correlationId}',
  },
  ...extra,
});
const SECRETS = {
  DROPLET_IP_BLUE: '10.20.30.41',
  DROPLET_IP_GREEN: '10.20.30.42',
  LB_IP: '10.20.30.40',
  DROPLET_USER: 'deploy',
  SSH_PRIVATE_KEY_PATH: keyPath,
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/xxxxxxxxxxxxxxxxxxxxxxxx',
  GLOBAL_SLACK_WEBHOOK: 'https://hooks.slack.com/services/T000/B001/yyyyyyyyyyyyyyyyyyyyyyyy',
};

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof WorkerConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected WorkerConfigError');
}

describe('worker config file', () => {
  it('accepts a complete config and fills in the vendors defaults', () => {
    const { config: c, regions, warnings } = parseWorkerConfig(config(), SECRETS);
    expect(regions).toEqual(['us-east']);
    expect(c.regions['us-east']!.metrics.window).toBe('1m');
    expect(c.regions['us-east']!.deploy.green.port).toBe(22);
    expect(c.pushgateway.job).toBe('meridian');
    expect(c.notify.attemptsPerChannel).toBe(2);
    expect(c.grafana.url).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('names each malformed field by its path', () => {
    const bad = config({
      'us-east': region({ metrics: { prometheusUrl: '//prometheus:9090' } }),
      'eu-west': { ...region(), traffic: { kind: 'envoy' } },
    });
    const p = problems(() => parseWorkerConfig(bad, SECRETS));
    expect(p.some((m) => m.startsWith('regions.us-east.metrics.prometheusUrl:'))).toBe(true);
    expect(p.some((m) => m.startsWith('regions.eu-west.traffic'))).toBe(true);
  });

  it('rejects unknown fields, bad region names and an empty region list', () => {
    expect(problems(() => parseWorkerConfig(config({ 'us-east': region({ dsn: {} }) }), SECRETS))).toContain(
      'regions.us-east: unknown field "dsn"',
    );
    expect(problems(() => parseWorkerConfig(config({ US_EAST: region() }), SECRETS)).join()).toMatch(/^regions/);
    expect(problems(() => parseWorkerConfig(config({}), SECRETS))).toEqual(['regions: configure at least one region']);
    expect(problems(() => parseWorkerConfig({ ...config(), links: undefined }, SECRETS))[0]).toMatch(/^links:/);
  });

  it('takes approver lists per role, names trimmed, and the worker tells rollouts about them', async () => {
    const { config: c } = parseWorkerConfig(config(undefined, { approvers: { sre: ['alice', ' bob '], functional: ['carol'] } }), SECRETS);
    expect(c.approvers).toEqual({ sre: ['alice', 'bob'], functional: ['carol'] });
    const setup = await createActivities(c, SECRETS, { client: {} as Client }).workerSetup();
    expect(setup).toEqual({
      regions: ['us-east'],
      approvers: { sre: ['alice', 'bob'], functional: ['carol'] },
      fleets: { 'us-east': { blue: 1, green: 1 } },
    });
    expect(parseWorkerConfig(config(), SECRETS).config.approvers).toBeUndefined();
  });

  it('chooses deployers and notification channels by kind; configs without kinds deploy over SSH and post to Slack and Teams', () => {
    const { config: c } = parseWorkerConfig(config(), SECRETS);
    expect(c.regions['us-east']!.deploy.kind).toBe('ssh');
    expect(c.notify.channels).toEqual([{ kind: 'slack' }, { kind: 'teams' }]);
    const teamsOnly = parseWorkerConfig(config(undefined, { notify: { channels: [{ kind: 'teams' }] } }), SECRETS);
    expect(teamsOnly.config.notify.channels).toEqual([{ kind: 'teams' }]);
    // Slack's webhooks are set but Slack is not a channel: only Teams' webhook counts, and no summary webhook is expected.
    expect(teamsOnly.warnings).toEqual([expect.stringMatching(/^no notification channel for region us-east: set TEAMS_WEBHOOK_URL \(or/)]);
    const bad = (extra: Record<string, unknown>, regions?: Record<string, unknown>) =>
      problems(() => parseWorkerConfig(config(regions, extra), SECRETS));
    expect(bad({}, { 'us-east': region({ deploy: { kind: 'kubectl' } }) })[0]).toMatch(/^regions\.us-east\.deploy\.kind:/);
    expect(bad({ notify: { channels: [{ kind: 'pagerduty' }] } })[0]).toMatch(/^notify\.channels\[0\]\.kind:/);
    expect(bad({ notify: { channels: [{ kind: 'slack' }, { kind: 'slack' }] } })).toEqual(['notify.channels: list each kind once']);
  });

  it('a worker serving some regions refuses the others with a ConfigurationError, before any vendor is called', async () => {
    const { config: c } = parseWorkerConfig(config({ 'us-east': region(), 'eu-west': region() }), SECRETS);
    const acts = createActivities(c, SECRETS, { client: {} as Client, regions: ['us-east'] });
    const ctx = { correlationId: 'rollout-payments-api', service: 'payments-api', region: 'eu-west', dryRun: false };
    const deploy = acts.deploy({
      ctx,
      colour: 'green',
      version: 'v1.2.3',
      artifact: { url: 'https://a.example/p.tgz', sha256: 'a'.repeat(64) },
      policy: DEFAULT_DEPLOY_POLICY,
    });
    await expect(deploy).rejects.toMatchObject({
      type: 'ConfigurationError',
      nonRetryable: true,
      message: 'this worker has no deploy target for region eu-west',
    });
    await expect(acts.pointDnsAt(ctx, 'green')).rejects.toMatchObject({
      type: 'ConfigurationError',
      message: 'this worker has no DNS settings for region eu-west',
    });
    await expect(acts.readMetrics(ctx, 'green')).rejects.toMatchObject({
      type: 'ConfigurationError',
      message: 'this worker has no metrics source for region eu-west',
    });
    await expect(acts.readTrafficWeights(ctx)).rejects.toMatchObject({
      type: 'ConfigurationError',
      message: 'this worker has no traffic router for region eu-west',
    });
  });

  it('names each malformed approver entry by its path', () => {
    const bad = (approvers: unknown) => problems(() => parseWorkerConfig(config(undefined, { approvers }), SECRETS));
    expect(bad({ sre: ['alice', ' '] })).toEqual(['approvers.sre[1]: must name a person']);
    expect(bad({ sre: [] })).toEqual(['approvers.sre: list at least one approver']);
    expect(bad({ sre: 'alice' })[0]).toMatch(/^approvers\.sre:/);
    expect(bad({ SRE: ['alice'] })[0]).toMatch(/^approvers/);
    expect(bad(['alice'])[0]).toMatch(/^approvers:/);
  });

  it('runs as Worker Deployment "meridian" by default; name, build ID and MERIDIAN_BUILD_ID (which wins) checked, naming the field', () => {
    expect(parseWorkerConfig(config(), SECRETS).config.workerDeployment).toEqual({ name: 'meridian' });
    const given = config(undefined, { workerDeployment: { name: 'meridian-eu', buildId: 'v1.4.0' } });
    expect(parseWorkerConfig(given, SECRETS).config.workerDeployment).toEqual({ name: 'meridian-eu', buildId: 'v1.4.0' });
    expect(parseWorkerConfig(given, { ...SECRETS, MERIDIAN_BUILD_ID: 'git-3f9a1c2' }).config.workerDeployment.buildId).toBe('git-3f9a1c2');
    expect(problems(() => parseWorkerConfig(config(undefined, { workerDeployment: { name: 'a.b' } }), SECRETS))[0]).toMatch(
      /^workerDeployment\.name: must be letters/,
    );
    expect(problems(() => parseWorkerConfig(config(undefined, { workerDeployment: { buildId: 'v 1' } }), SECRETS))[0]).toMatch(
      /^workerDeployment\.buildId: must be letters/,
    );
    expect(problems(() => parseWorkerConfig(config(), { ...SECRETS, MERIDIAN_BUILD_ID: '' }))).toEqual([
      'MERIDIAN_BUILD_ID: must be letters, digits, ".", "-" or "_" (at most 100), e.g. "v1.4.0"',
    ]);
  });
});

describe('fleet deploy config', () => {
  const PIN = colour('x').knownHosts;
  const host = (name: string, address: string, extra: Record<string, unknown> = {}) => ({ name, address, ...extra });
  /** A region whose green colour is a fleet; blue stays in the single-host form unless given. */
  const fleet = (green: Record<string, unknown>, blue: Record<string, unknown> = colour('blue')) => {
    // The balancer's servers are the deploy hosts by name (the one-host form: the colour's name).
    // Each name once per colour, so a name listed twice is reported by the deploy config alone.
    const names = (c: Record<string, unknown>, fallback: string) => {
      const listed = Array.isArray(c.hosts) ? [...new Set((c.hosts as { name: string }[]).map((h) => h.name))] : [];
      return listed.length ? listed : fallback;
    };
    const servers = { blue: names(blue, 'blue'), green: names(green, 'green') };
    const traffic = { kind: 'haproxy', adminSocket: '{LB_IP}:9999', backend: 'api', servers };
    return config({ 'us-east': region({ deploy: { blue, green: { ...colour('green'), ...green } }, traffic }) });
  };
  const three = [
    host('green-1', '10.0.0.1'),
    host('green-2', 'env:GREEN_2_IP', { healthUrl: 'http://127.0.0.1:9090/up' }),
    host('green-3', 'db3.internal'),
  ];

  it("takes hosts with shared settings, per-host overrides, literal and env: addresses; the worker reports colours' sizes", async () => {
    const { config: c } = parseWorkerConfig(fleet({ hosts: three }), { ...SECRETS, GREEN_2_IP: '10.0.0.2' });
    const green = c.regions['us-east']!.deploy.green;
    expect('hosts' in green && green.hosts.map((h) => h.name)).toEqual(['green-1', 'green-2', 'green-3']);
    const setup = await createActivities(c, SECRETS, { client: {} as Client }).workerSetup();
    expect(setup.fleets).toEqual({ 'us-east': { blue: 1, green: 3 } });
    // knownHosts may be per host when the colour sets none; the same address on another SSH port is another host.
    const { knownHosts: _, ...noPin } = colour('green');
    const perHost = [host('green-1', '10.0.0.1', { knownHosts: PIN }), host('green-2', '10.0.0.1', { port: 2222, knownHosts: [PIN] })];
    expect(() => parseWorkerConfig(fleet({ ...noPin, knownHosts: undefined, hosts: perHost }), SECRETS)).not.toThrow();
  });

  const refused = (raw: unknown) => problems(() => parseWorkerConfig(raw, SECRETS));

  it("a fleet's hosts are its balancer's servers by name: one without the other is refused, naming both", () => {
    const traffic = (green: string[]) => ({
      kind: 'haproxy',
      adminSocket: '/run/haproxy.sock',
      backend: 'api',
      servers: { blue: 'blue', green },
    });
    const raw = (green: string[]) =>
      config({
        'us-east': region({ deploy: { blue: colour('blue'), green: { ...colour('green'), hosts: three } }, traffic: traffic(green) }),
      });
    expect(refused(raw(['green-1', 'green-2', 'green-4']))).toEqual([
      'regions.us-east.traffic.servers.green: must name the green deploy hosts: no server for green-3; no deploy host for green-4',
    ]);
    expect(() => parseWorkerConfig(raw(['green-1', 'green-2', 'green-3']), { ...SECRETS, GREEN_2_IP: '10.0.0.2' })).not.toThrow();
  });

  it('an env: address is a secret the worker checks at start: unset or malformed, it is refused naming the variable', () => {
    expect(refused(fleet({ hosts: three }))).toEqual([
      'GREEN_2_IP is not set for region us-east (set GREEN_2_IP__US_EAST or GREEN_2_IP): the address of green host green-2',
    ]);
    expect(problems(() => parseWorkerConfig(fleet({ hosts: three }), { ...SECRETS, GREEN_2_IP__US_EAST: 'not an address!' }))).toEqual([
      'GREEN_2_IP__US_EAST must be an IP address or a host name',
    ]);
  });

  it('refuses a host name listed twice in a colour, naming the field', () => {
    expect(refused(fleet({ hosts: [host('green-1', '10.0.0.1'), host('green-1', '10.0.0.2')] }))).toEqual([
      'regions.us-east.deploy.green.hosts[1].name: "green-1" is also hosts[0]: each host is listed once',
    ]);
  });

  it('refuses the same address and SSH port twice in a colour, without quoting the address', () => {
    const p = refused(
      fleet({ hosts: [host('green-1', 'env:IP_A'), host('green-2', '10.0.0.7', { port: 22 }), host('green-3', '10.0.0.7')] }),
    );
    expect(p).toEqual(['regions.us-east.deploy.green.hosts[2].address: same address and port as green-2: each host is listed once']);
    expect(refused(fleet({ hosts: [host('green-1', 'env:IP_A'), host('green-2', 'env:IP_A')] }))[0]).toMatch(
      /^regions\.us-east\.deploy\.green\.hosts\[1\]\.address: same address and port as green-1/,
    );
  });

  it('refuses a host in both colours, by name or by address and port', () => {
    const blue = { ...colour('blue'), hosts: [host('blue-1', '10.0.0.1'), host('shared', '10.0.0.2')] };
    // The balancer's servers are the hosts: it says so too.
    expect(refused(fleet({ hosts: [host('shared', '10.0.0.3')] }, blue))).toEqual([
      'regions.us-east.deploy.green.hosts[0].name: "shared" is also a blue host: a host belongs to one colour',
      expect.stringMatching(/^regions\.us-east\.traffic\.servers\.(blue|green)\[\d\]: "shared" is also/),
    ]);
    expect(refused(fleet({ hosts: [host('green-1', '10.0.0.9'), host('green-2', '10.0.0.1')] }, blue))).toEqual([
      'regions.us-east.deploy.green.hosts[1].address: same address and port as blue host blue-1: a host belongs to one colour',
    ]);
    // The single-host form's host is named after its colour.
    expect(refused(fleet({ hosts: [host('blue', '10.0.0.3')] }, colour('blue')))[0]).toMatch(
      /^regions\.us-east\.deploy\.green\.hosts\[0\]\.name: "blue" is also a blue host/,
    );
  });

  it('refuses a host with no knownHosts when the colour sets none', () => {
    const { knownHosts: _, ...noPin } = colour('green');
    const hosts = [host('green-1', '10.0.0.1', { knownHosts: PIN }), host('green-2', '10.0.0.2')];
    expect(refused(config({ 'us-east': region({ deploy: { blue: colour('blue'), green: { ...noPin, hosts } } }) }))).toEqual([
      'regions.us-east.deploy.green.hosts[1].knownHosts: required: the colour sets no knownHosts for its hosts',
    ]);
  });

  it('names malformed hosts by their field: names, addresses, overrides, unknown fields, an empty list', () => {
    const p = refused(
      fleet({
        hosts: [
          host('Green_1', '10.0.0.1'),
          host('green-2', 'env:lower'),
          host('green-3', '10.0.0.3', { baseDir: 'relative', knownHosts: 'accept-any' }),
          host('green-4', '10.0.0.4', { ip: '10.0.0.4' }),
        ],
      }),
    );
    expect(p).toEqual([
      expect.stringMatching(/^regions\.us-east\.deploy\.green\.hosts\[0\]\.name: must be a DNS label/),
      expect.stringMatching(/^regions\.us-east\.deploy\.green\.hosts\[1\]\.address: must be an IP address, a host name or "env:NAME"/),
      expect.stringMatching(/^regions\.us-east\.deploy\.green\.hosts\[2\]\.baseDir: must be an absolute directory/),
      expect.stringMatching(/^regions\.us-east\.deploy\.green\.hosts\[2\]\.knownHosts/),
      'regions.us-east.deploy.green.hosts[3]: unknown field "ip"',
    ]);
    expect(refused(fleet({ hosts: [] }))).toEqual(['regions.us-east.deploy.green.hosts: list at least one host']);
    for (const text of p) expect(text).not.toMatch(/10\.0\.0\./);
  });
});

describe('secrets from the environment', () => {
  it('names every missing secret a region needs, with its regional and global names', () => {
    const p = problems(() => parseWorkerConfig(config(), {}));
    expect(p).toEqual([
      expect.stringMatching(/^DROPLET_IP_BLUE is not set for region us-east \(set DROPLET_IP_BLUE__US_EAST or DROPLET_IP_BLUE\)/),
      expect.stringMatching(/^DROPLET_IP_GREEN is not set/),
      expect.stringMatching(/^DROPLET_USER is not set/),
      expect.stringMatching(/^SSH_PRIVATE_KEY_PATH is not set .*SSH_PRIVATE_KEY\)$/),
      expect.stringMatching(/^LB_IP is not set .*adminSocket uses \{LB_IP\}$/),
    ]);
  });

  it('names the variable holding a malformed value, never the value', () => {
    const env = {
      ...SECRETS,
      DROPLET_IP_GREEN__US_EAST: 'green-host.internal',
      TEAMS_WEBHOOK_URL: 'ftp://teams.example/hook-s3cr3t',
      SSH_PRIVATE_KEY_PATH: join(dir, 'nope'),
    };
    const p = problems(() => parseWorkerConfig(config(), env));
    expect(p).toContain('DROPLET_IP_GREEN__US_EAST must be an IPv4 or IPv6 address');
    expect(p).toContain('TEAMS_WEBHOOK_URL must be an http(s) URL');
    expect(p).toContain('SSH_PRIVATE_KEY_PATH names a file that cannot be read (ENOENT)');
    const all = p.join('\n');
    for (const v of ['green-host.internal', 'hook-s3cr3t', join(dir, 'nope')]) expect(all).not.toContain(v);
  });

  it('takes SSH_PRIVATE_KEY instead of a path, checking it looks like a key', () => {
    const { SSH_PRIVATE_KEY_PATH: _, ...noPath } = SECRETS;
    expect(
      parseWorkerConfig(config(), {
        ...noPath,
        SSH_PRIVATE_KEY: '-----BEGIN OPENSSH PRIVATE KEY-----\\nAAAA\\n-----END OPENSSH PRIVATE KEY-----',
      }).regions,
    ).toEqual(['us-east']);
    expect(problems(() => parseWorkerConfig(config(), { ...noPath, SSH_PRIVATE_KEY: 'ssh-ed25519 AAAA public' }))).toEqual([
      expect.stringMatching(/^SSH_PRIVATE_KEY must be a PEM/),
    ]);
  });

  it('needs Cloudflare secrets only for regions with dns configured', () => {
    const two = config({ 'us-east': region({ dns: { kind: 'cloudflare' } }), 'eu-west': region() });
    const p = problems(() => parseWorkerConfig(two, SECRETS));
    expect(p).toEqual([
      expect.stringMatching(/^CF_ZONE_ID is not set for region us-east .*regions\.us-east\.dns is configured$/),
      expect.stringMatching(/^CF_API_TOKEN is not set for region us-east/),
      expect.stringMatching(/^CF_RECORD_ID_API is not set for region us-east/),
    ]);
    const cf = {
      CF_ZONE_ID: '023e105f4ecef8ad9ca31a8372d0c353',
      CF_API_TOKEN: 'cf-token-0123456789',
      CF_RECORD_ID_API__US_EAST: '372e67954025e0ba6aaa6d586b9e0b59',
    };
    const ok = parseWorkerConfig(two, { ...SECRETS, ...cf });
    expect(ok.config.regions['us-east']!.dns).toEqual({
      kind: 'cloudflare',
      baseUrl: 'https://api.cloudflare.com/client/v4',
      timeoutMs: 15_000,
    });
  });

  it('lets a regional value override the global one, and checks only the regions served', () => {
    const two = config({ 'us-east': region(), 'eu-west': region() });
    const env = { ...SECRETS, DROPLET_IP_BLUE__EU_WEST: 'not-an-ip' };
    expect(problems(() => parseWorkerConfig(two, env))).toEqual(['DROPLET_IP_BLUE__EU_WEST must be an IPv4 or IPv6 address']);
    expect(parseWorkerConfig(two, env, { regions: ['us-east'] }).regions).toEqual(['us-east']);
    expect(problems(() => parseWorkerConfig(two, env, { regions: ['apac-se'] }))).toEqual([
      expect.stringMatching(/^regions\.apac-se: not configured/),
    ]);
  });

  it('warns, without refusing to start, about missing channels and likely typos', () => {
    const { SLACK_WEBHOOK_URL: _, GLOBAL_SLACK_WEBHOOK: __, ...quiet } = SECRETS;
    const { warnings } = parseWorkerConfig(config(undefined, { grafana: { url: 'https://grafana.example.com' } }), {
      ...quiet,
      DROPLET_USER__US_EAS: 'deploy',
      CF_RECORD_ID_API: 'abc123',
    });
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^no notification channel for region us-east/),
        expect.stringMatching(/^GLOBAL_SLACK_WEBHOOK is not set/),
        expect.stringMatching(/^grafana\.url is set but GRAFANA_API_KEY is not/),
        expect.stringMatching(/^DROPLET_USER__US_EAS matches no configured region/),
        expect.stringMatching(/^CF_RECORD_ID_API is set but regions\.us-east\.dns is not configured/),
      ]),
    );
  });
});

describe('loadWorkerConfig', () => {
  it('reads the file', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify(config()));
    expect(loadWorkerConfig(path, SECRETS).regions).toEqual(['us-east']);
  });

  it('says when the file is missing or is not JSON, without quoting its content', () => {
    expect(problems(() => loadWorkerConfig(join(dir, 'missing.json'), SECRETS))).toEqual(['ENOENT (set MERIDIAN_CONFIG to its path)']);
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{ "regions": { "token": "xoxb-s3cr3t" ');
    const p = problems(() => loadWorkerConfig(path, SECRETS));
    expect(p[0]).toMatch(/^not valid JSON/);
    expect(p.join()).not.toContain('s3cr3t');
  });
});
