// Cloudflare DNS through the official SDK against the v4 API stand-in: switching colours,
// dry runs, and every failure mapped onto Temporal's retry semantics without leaking secrets.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudflareDnsConfigSchema, createCloudflareDns } from '../../activities/dns-cloudflare.js';
import { createDnsActivities } from '../../activities/dns.js';
import type { Env } from '../../activities/secrets.js';
import type { Colour } from '../../domain/metrics.js';
import type { RegionContext } from '../../domain/ports.js';
import { type CloudflareStandIn, startCloudflareStandIn } from '../../lab/standins/cloudflare-api.js';
import { freePort } from '../../lab/processes.js';
import { capturingLogger, expectNoSecrets, serializeError } from '../helpers/secrets.js';

const ZONE = 'zone0f3a9c1d2e4b5a6978';
const TOKEN = 'cf-token-Zq8u1XyT0pLm3sVb7c';
const IPS = { usBlue: '203.0.113.10', usGreen: '203.0.113.20', euBlue: '198.51.100.10', euGreen: '198.51.100.20' };
const ENV: Env = {
  CF_ZONE_ID: ZONE,
  CF_API_TOKEN: TOKEN,
  CF_RECORD_ID_API: 'rec0us0api0a1b2c3',
  CF_RECORD_ID_API__EU_WEST: 'rec0eu0api0d4e5f6',
  DROPLET_IP_BLUE: IPS.usBlue,
  DROPLET_IP_GREEN: IPS.usGreen,
  DROPLET_IP_BLUE__EU_WEST: IPS.euBlue,
  DROPLET_IP_GREEN__EU_WEST: IPS.euGreen,
};
const SECRETS = [ZONE, TOKEN, 'rec0us0api0a1b2c3', 'rec0eu0api0d4e5f6', ...Object.values(IPS)];

const ctx = (region: string, dryRun = false): RegionContext => ({ correlationId: 'rollout-checkout', service: 'checkout', region, dryRun });

let cf: CloudflareStandIn;
// Activity logs (the worker logs every failure) are checked for secrets too.
const { logger, lines: logLines } = capturingLogger();
const mockEnv = () => new MockActivityEnvironment({}, { logger });
const activities = (env: Env = ENV) =>
  createDnsActivities(() => createCloudflareDns(CloudflareDnsConfigSchema.parse({ baseUrl: cf.baseURL, timeoutMs: 10_000 }), env));

async function point(region: string, colour: Colour, opts: { env?: Env; dryRun?: boolean } = {}) {
  const result = await mockEnv().run(activities(opts.env).pointDnsAt, ctx(region, opts.dryRun), colour);
  expectNoSecrets(JSON.stringify(result), SECRETS);
  return result;
}

async function failure(region: string, colour: Colour, env?: Env): Promise<ApplicationFailure> {
  try {
    await point(region, colour, { env });
  } catch (err) {
    expectNoSecrets(serializeError(err), SECRETS);
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected pointDnsAt to fail');
}

beforeAll(async () => {
  cf = await startCloudflareStandIn({
    token: TOKEN,
    zones: {
      [ZONE]: [
        { id: 'rec0us0api0a1b2c3', name: 'api.us-east.example.test', type: 'A', content: IPS.usBlue, ttl: 60, proxied: false },
        { id: 'rec0eu0api0d4e5f6', name: 'api.eu-west.example.test', type: 'A', content: IPS.euBlue, ttl: 60, proxied: false },
      ],
    },
  });
});
afterAll(async () => {
  await cf?.close();
  // Failures were logged by the activity harness; none of them may carry a secret.
  expect(logLines.some((l) => l.includes('Activity failed'))).toBe(true);
  expectNoSecrets(logLines.join('\n'), [...SECRETS, 'cf-token-wrong-0000000', 'rec0missing0000']);
});
beforeEach(() => {
  cf.clearFaults();
  cf.requests.length = 0;
});

const content = (id: string) => cf.record(ZONE, id)?.content;

describe('pointDnsAt (Cloudflare)', () => {
  it('switches the region API record blue → green → blue with the token checked', async () => {
    expect(content('rec0us0api0a1b2c3')).toBe(IPS.usBlue);
    await expect(point('us-east', 'green')).resolves.toEqual({
      changed: true,
      previous: 'blue',
      summary: 'pointed the us-east API record from blue to green',
    });
    expect(content('rec0us0api0a1b2c3')).toBe(IPS.usGreen);
    await expect(point('us-east', 'blue')).resolves.toEqual({
      changed: true,
      previous: 'green',
      summary: 'pointed the us-east API record from green to blue',
    });
    expect(content('rec0us0api0a1b2c3')).toBe(IPS.usBlue);
    expect(cf.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'PATCH 200', 'GET 200', 'PATCH 200']);
    expect(cf.requests.every((r) => r.authorized && r.path === `/client/v4/zones/${ZONE}/dns_records/rec0us0api0a1b2c3`)).toBe(true);
    expect(cf.requests[1]?.body).toMatchObject({ content: IPS.usGreen, type: 'A', name: 'api.us-east.example.test', ttl: 60 });
  });

  it('changes nothing when the record already points at the colour', async () => {
    await expect(point('us-east', 'blue')).resolves.toEqual({
      changed: false,
      previous: 'blue',
      summary: 'the us-east API record already points at blue',
    });
    expect(cf.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it("uses the region's own record and IPs (NAME__EU_WEST overrides NAME)", async () => {
    await expect(point('eu-west', 'green')).resolves.toMatchObject({ changed: true, previous: 'blue' });
    expect(content('rec0eu0api0d4e5f6')).toBe(IPS.euGreen);
    expect(content('rec0us0api0a1b2c3')).toBe(IPS.usBlue);
    await point('eu-west', 'blue');
    expect(content('rec0eu0api0d4e5f6')).toBe(IPS.euBlue);
  });

  it('dry run reads the record, reports the switch, and changes nothing', async () => {
    await expect(point('us-east', 'green', { dryRun: true })).resolves.toEqual({
      changed: false,
      previous: 'blue',
      summary: 'dry run: would point the us-east API record from blue to green',
    });
    expect(content('rec0us0api0a1b2c3')).toBe(IPS.usBlue);
    expect(cf.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('reports a region without DNS and calls nothing', async () => {
    const { CF_RECORD_ID_API: _, ...env } = ENV;
    await expect(point('ap-south', 'green', { env })).resolves.toEqual({ changed: false, summary: 'DNS not configured for ap-south' });
    expect(cf.requests).toHaveLength(0);
  });

  it('fails fast on a half-configured region, naming the missing variables', async () => {
    const { CF_API_TOKEN: _, DROPLET_IP_GREEN: __, ...env } = ENV;
    const f = await failure('us-east', 'green', env);
    expect(f).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(f.message).toBe('DNS for us-east is missing CF_API_TOKEN, DROPLET_IP_GREEN');
    expect(cf.requests).toHaveLength(0);
  });

  it('a wrong token fails fast and non-retryable after a single request', async () => {
    const f = await failure('us-east', 'green', { ...ENV, CF_API_TOKEN: 'cf-token-wrong-0000000' });
    expect(f).toMatchObject({ type: 'AuthenticationError', nonRetryable: true });
    expect(f.message).toContain('HTTP 401');
    expect(f.message).toContain('10000 Authentication error');
    expectNoSecrets(serializeError(f), ['cf-token-wrong-0000000']);
    expect(cf.requests).toEqual([expect.objectContaining({ method: 'GET', authorized: false, status: 401 })]);
  });

  it('429 becomes a retryable failure whose next retry waits Retry-After', async () => {
    cf.inject({ status: 429, retryAfterSeconds: 7 });
    const f = await failure('us-east', 'green');
    expect(f).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 7000 });
    // maxRetries: 0 — the SDK did not retry on its own; Temporal's policy decides.
    expect(cf.requests).toHaveLength(1);
    expect(content('rec0us0api0a1b2c3')).toBe(IPS.usBlue);
  });

  it('5xx is retryable, and the next attempt succeeds', async () => {
    cf.inject({ status: 503 });
    const f = await failure('us-east', 'green');
    expect(f).toMatchObject({ type: 'CloudflareUnavailable', nonRetryable: false });
    expect(f.message).toContain('HTTP 503');
    expect(cf.requests).toHaveLength(1);
    await expect(point('us-east', 'green')).resolves.toMatchObject({ changed: true });
    await point('us-east', 'blue');
  });

  it('a record ID the zone does not have is a configuration error', async () => {
    const f = await failure('us-east', 'green', { ...ENV, CF_RECORD_ID_API: 'rec0missing0000' });
    expect(f).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(f.message).toContain('HTTP 404');
    expectNoSecrets(serializeError(f), ['rec0missing0000']);
  });

  it('an unreachable API is retryable and names the socket error', async () => {
    // A closed port, not a low one: fetch refuses ports such as 1 itself ("bad port") without connecting.
    const port = await freePort();
    const offline = createDnsActivities(() =>
      createCloudflareDns(CloudflareDnsConfigSchema.parse({ baseUrl: `http://127.0.0.1:${port}/client/v4`, timeoutMs: 5_000 }), ENV),
    );
    const err = await mockEnv()
      .run(offline.pointDnsAt, ctx('us-east'), 'green' as Colour)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'CloudflareUnreachable', nonRetryable: false });
    expect((err as Error).message).toBe(
      `could not reach Cloudflare to read the us-east API record: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expectNoSecrets(serializeError(err), SECRETS);
  });

  it('names a record that points at neither colour and still switches it', async () => {
    const env = { ...ENV, DROPLET_IP_BLUE: '192.0.2.99' };
    await expect(point('us-east', 'green', { env })).resolves.toEqual({
      changed: true,
      summary: 'pointed the us-east API record from an address that is neither blue nor green to green',
    });
    await point('us-east', 'blue');
    expect(content('rec0us0api0a1b2c3')).toBe(IPS.usBlue);
  });
});
