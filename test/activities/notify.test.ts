// notify() against the Slack and Teams stand-ins: every card kind passes their schema checks,
// a failing channel does not fail the card while another delivered, retries stay within budget,
// and no webhook URL shows up in a payload, a result, an error or a log line.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNotifyActivities, NotifyConfigSchema } from '../../activities/notify.js';
import type { Env } from '../../activities/secrets.js';
import type { Card } from '../../domain/ports.js';
import { startSlackStandIn, type SlackStandIn } from '../../lab/standins/slack-webhook.js';
import { startTeamsStandIn, type TeamsStandIn } from '../../lab/standins/teams-webhook.js';
import { freePort } from '../../lab/processes.js';
import { CARDS, KINDS, LINKS } from '../helpers/cards.js';
import { capturingLogger, expectNoSecrets, serializeError } from '../helpers/secrets.js';

let slack: SlackStandIn;
let teams: TeamsStandIn;
let ENV: Env;
let SECRETS: string[];
const { logger, lines: logLines } = capturingLogger();

const config = (extra: Record<string, unknown> = {}) => NotifyConfigSchema.parse({ links: LINKS, backoffMs: 50, ...extra });

async function notify(card: Card, env: Env = ENV, extra: Record<string, unknown> = {}) {
  const result = (await new MockActivityEnvironment({}, { logger }).run(createNotifyActivities(config(extra), env).notify, card)) as {
    delivered: string[];
  };
  expectNoSecrets(JSON.stringify(result), SECRETS);
  return result;
}

async function failure(card: Card, env: Env = ENV): Promise<ApplicationFailure> {
  const err = await notify(card, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  expectNoSecrets(serializeError(err), SECRETS);
  return err as ApplicationFailure;
}

/** A webhook URL and the secret parts of it (path tokens, signature), each of which must never leak. */
const secretParts = (url: string) => [
  url,
  ...new URL(url).pathname.split('/').filter((p) => p.length > 8),
  new URL(url).searchParams.get('sig') ?? url,
];

beforeAll(async () => {
  slack = await startSlackStandIn();
  teams = await startTeamsStandIn();
  ENV = {
    SLACK_WEBHOOK_URL: slack.createWebhook('deployments'),
    SLACK_WEBHOOK_URL__EU_WEST: slack.createWebhook('eu-deployments'),
    GLOBAL_SLACK_WEBHOOK: slack.createWebhook('global'),
    TEAMS_WEBHOOK_URL: teams.createWebhook('ops'),
  };
  SECRETS = Object.values(ENV).flatMap((u) => secretParts(u!));
});

afterAll(async () => {
  await slack?.close();
  await teams?.close();
  expectNoSecrets(logLines.join('\n'), SECRETS);
});

beforeEach(() => {
  slack.clearFaults();
  teams.clearFaults();
  slack.received.length = 0;
  slack.rejected.length = 0;
  slack.requests.length = 0;
  teams.received.length = 0;
  teams.rejected.length = 0;
});

describe('notify', () => {
  it.each(KINDS)('delivers the %s card to Slack and Teams, passing their schema checks', async (kind) => {
    const card = CARDS[kind];
    const { delivered } = await notify(card);
    expect(delivered).toEqual(kind === 'summary' ? ['slack', 'slack-global', 'teams'] : ['slack', 'teams']);
    expect(slack.rejected).toEqual([]);
    expect(teams.rejected).toEqual([]);
    const regionalHook = card.region === 'eu-west' ? 'eu-deployments' : 'deployments';
    expect(slack.received.map((d) => d.hook)).toEqual(kind === 'summary' ? [regionalHook, 'global'] : [regionalHook]);
    expect(teams.received.map((d) => d.hook)).toEqual(['ops']);

    const payloads = [...slack.received, ...teams.received].map((d) => JSON.stringify(d.payload));
    for (const p of payloads) {
      expectNoSecrets(p, SECRETS);
      expect(p).toContain('Correlation ID: rollout-checkout');
      expect(p).toContain(
        JSON.stringify(`https://grafana.example.test/d/meridian-region-canary?var-service=checkout&var-region=${card.region ?? 'All'}`),
      );
      expect(p).toContain(JSON.stringify('https://logs.example.test/search?q=correlation_id%3Drollout-checkout'));
      const cause = card.cause ?? card.breach?.cause;
      if (cause) expect(p.replace(/&gt;/g, '>')).toContain(cause);
      if (card.metrics && card.thresholds) expect(p).toMatch(/\(max 1\.00%\) (✅|❌)[\s\S]*\(max 500ms\) (✅|❌)/);
    }
  });

  it('a failing Slack webhook does not fail the card when Teams delivered; Slack is retried within its budget', async () => {
    slack.inject({ status: 500, times: 'always' }, 'deployments');
    await expect(notify(CARDS.rollback, { ...ENV, SLACK_WEBHOOK_URL__EU_WEST: undefined })).resolves.toEqual({ delivered: ['teams'] });
    expect(teams.received).toHaveLength(1);
    expect(slack.received).toHaveLength(0);
    expect(slack.requests).toEqual([
      { hook: 'deployments', status: 500 },
      { hook: 'deployments', status: 500 },
    ]);
    expect(logLines.some((l) => l.includes('slack did not take the rollback card for checkout in eu-west: HTTP 500'))).toBe(true);
  });

  it('a revoked Slack webhook (404 no_service) is reported, not retried, and Teams still delivers', async () => {
    const revoked = ENV.SLACK_WEBHOOK_URL!.replace(/\/[0-9a-f]+$/, '/0123456789abcdef0123');
    SECRETS.push(...secretParts(revoked));
    await expect(notify(CARDS.success, { ...ENV, SLACK_WEBHOOK_URL: revoked })).resolves.toEqual({ delivered: ['teams'] });
    expect(slack.requests).toEqual([{ hook: '(unknown)', status: 404 }]);
    expect(logLines.some((l) => l.includes('slack did not take the success card for checkout in us-east: HTTP 404 no_service'))).toBe(true);
  });

  it('a webhook host refusing connections is reported with the socket error, never the URL', async () => {
    const port = await freePort();
    const closed = Object.assign(new URL(ENV.TEAMS_WEBHOOK_URL!), { port: String(port) }).href;
    SECRETS.push(...secretParts(closed));
    await expect(notify(CARDS.success, { ...ENV, TEAMS_WEBHOOK_URL: closed })).resolves.toEqual({ delivered: ['slack'] });
    expect(
      logLines.some((l) =>
        l.includes(
          `teams did not take the success card for checkout in us-east: connection failed: connect ECONNREFUSED 127.0.0.1:${port}`,
        ),
      ),
    ).toBe(true);
  });

  it('throws a retryable failure naming each channel when every channel failed', async () => {
    slack.inject({ status: 503, times: 'always' });
    teams.inject({ status: 502, times: 'always' });
    const f = await failure(CARDS.incident);
    expect(f).toMatchObject({ type: 'NotificationFailed', nonRetryable: false });
    expect(f.message).toBe(
      'no channel took the incident card for checkout in eu-west: slack: HTTP 503 internal_error; teams: HTTP 502 ServiceUnavailable',
    );
  });

  it('honours a short Slack Retry-After inside the activity', async () => {
    slack.inject({ status: 429, retryAfterSeconds: 1 }, 'deployments');
    await expect(notify(CARDS.start, { SLACK_WEBHOOK_URL: ENV.SLACK_WEBHOOK_URL })).resolves.toEqual({ delivered: ['slack'] });
    expect(slack.requests).toEqual([
      { hook: 'deployments', status: 429 },
      { hook: 'deployments', status: 200 },
    ]);
  });

  it('hands a long Retry-After back to Temporal as nextRetryDelay when no channel delivered', async () => {
    slack.inject({ status: 429, retryAfterSeconds: 30, times: 'always' });
    const f = await failure(CARDS.observation, { SLACK_WEBHOOK_URL: ENV.SLACK_WEBHOOK_URL });
    expect(f).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 30_000 });
    expect(f.message).toContain('slack: HTTP 429 rate_limited');
    // 30 s is beyond the in-activity budget: one try, then Temporal waits.
    expect(slack.requests).toHaveLength(1);
  });

  it('fails non-retryable when every channel refused for good (revoked hook, bad signature)', async () => {
    const badSig = ENV.TEAMS_WEBHOOK_URL!.replace(/sig=[^&]+/, 'sig=forgedsignature000');
    const revoked = ENV.SLACK_WEBHOOK_URL!.replace(/\/[0-9a-f]+$/, '/fedcba9876543210fedc');
    SECRETS.push(...secretParts(badSig), ...secretParts(revoked));
    const f = await failure(CARDS.success, { SLACK_WEBHOOK_URL: revoked, TEAMS_WEBHOOK_URL: badSig });
    expect(f).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(f.message).toContain('teams: HTTP 401 DirectApiAuthorizationRequired');
  });

  it('posts a summary once when the global webhook is the regional one', async () => {
    await expect(notify(CARDS.summary, { SLACK_WEBHOOK_URL: ENV.GLOBAL_SLACK_WEBHOOK })).resolves.toEqual({ delivered: ['slack'] });
    expect(slack.received.map((d) => d.hook)).toEqual(['global']);
  });

  it('sends nothing and succeeds when no channel is configured', async () => {
    await expect(notify(CARDS.start, {})).resolves.toEqual({ delivered: [] });
    expect(slack.received).toHaveLength(0);
  });

  it('marks dry-run cards, or keeps them out of the channels when configured to skip', async () => {
    const card = { ...CARDS.rollback, dryRun: true };
    await expect(notify(card, ENV, { dryRunCards: 'skip' })).resolves.toEqual({ delivered: [] });
    expect(slack.received.length + teams.received.length).toBe(0);
    await expect(notify(card)).resolves.toEqual({ delivered: ['slack', 'teams'] });
    expect(slack.received[0]?.payload.text).toMatch(/^⚠️ \[DRY RUN\] Rolled back eu-west/);
  });

  it('posts only to the configured channels, whatever other webhooks the environment holds', async () => {
    await expect(notify(CARDS.summary, ENV, { channels: [{ kind: 'teams' }] })).resolves.toEqual({ delivered: ['teams'] });
    expect(slack.requests).toEqual([]);
    expect(teams.received.map((d) => d.hook)).toEqual(['ops']);
  });

  it('rejects a config without link templates, naming the field', () => {
    const parsed = NotifyConfigSchema.safeParse({ links: { grafanaDashboardUrl: 'not a url', logsUrl: LINKS.logsUrl } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['links', 'grafanaDashboardUrl']);
  });
});
