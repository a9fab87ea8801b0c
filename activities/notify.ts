// Quick Cards to every configured channel, best effort: a card is delivered when at least one
// channel took it. Each channel gets a small retry budget here; only when every channel failed
// does notify throw, so the workflow's bounded retry policy decides, and then moves on.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Card, NotifyActivities } from '../domain/ports.js';
import { createGrafanaActivities, GrafanaConfigSchema } from './annotate-grafana.js';
import { CardLinksSchema } from './cards.js';
import { nonRetryable, retryAfter } from './errors.js';
import { postSlackCard } from './notify-slack.js';
import { postTeamsCard } from './notify-teams.js';
import { type Env, lookupSecret } from './secrets.js';
import type { Delivery } from './vendor-http.js';

export const NotifyConfigSchema = z.object({
  links: CardLinksSchema,
  /** Tries per channel within one activity attempt (the workflow's retry policy adds more). */
  attemptsPerChannel: z.number().int().min(1).max(5).default(2),
  /** Pause between tries of a failing channel when the vendor gives no Retry-After. */
  backoffMs: z.number().int().min(0).max(10_000).default(500),
  /** Longest Retry-After waited inside the activity; longer ones go back to Temporal as nextRetryDelay. */
  maxInlineWaitMs: z.number().int().min(0).max(30_000).default(5_000),
  timeoutMs: z.number().int().positive().default(10_000),
  /** Dry-run cards are marked [DRY RUN]; 'skip' keeps them out of the channels altogether. */
  dryRunCards: z.enum(['post', 'skip']).default('post'),
  grafana: GrafanaConfigSchema.prefault({}),
});
export type NotifyConfig = z.output<typeof NotifyConfigSchema>;

/** Channel names as logs and results show them; their webhook URLs stay secret. */
export type ChannelName = 'slack' | 'slack-global' | 'teams';

interface Channel {
  name: ChannelName;
  url: string;
  post(): Promise<Delivery>;
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

function channelsFor(card: Card, cfg: NotifyConfig, env: Env): Channel[] {
  const channels: Channel[] = [];
  const slack = lookupSecret(env, 'SLACK_WEBHOOK_URL', card.region);
  const global = card.kind === 'summary' ? lookupSecret(env, 'GLOBAL_SLACK_WEBHOOK') : undefined;
  const teams = lookupSecret(env, 'TEAMS_WEBHOOK_URL', card.region);
  if (slack) channels.push({ name: 'slack', url: slack, post: () => postSlackCard(slack, card, cfg.links, cfg.timeoutMs) });
  // The same webhook twice would post the summary twice to one channel.
  if (global && global !== slack) channels.push({ name: 'slack-global', url: global, post: () => postSlackCard(global, card, cfg.links, cfg.timeoutMs) });
  if (teams) channels.push({ name: 'teams', url: teams, post: () => postTeamsCard(teams, card, cfg.links, cfg.timeoutMs) });
  return channels;
}

async function deliver(channel: Channel, cfg: NotifyConfig): Promise<Delivery> {
  for (let attempt = 1; ; attempt++) {
    const result = await channel.post();
    if (result.ok || result.permanent || attempt >= cfg.attemptsPerChannel) return result;
    const wait = result.retryAfterMs ?? cfg.backoffMs * attempt;
    if (wait > cfg.maxInlineWaitMs) return result;
    const ctx = activityContext();
    if (ctx) {
      ctx.heartbeat();
      await ctx.sleep(wait);
    } else {
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export function createNotifyActivities(cfg: NotifyConfig, env: Env): NotifyActivities {
  const grafana = createGrafanaActivities(cfg.grafana, env);
  return {
    annotate: grafana.annotate,

    async notify(card: Card): Promise<{ delivered: string[] }> {
      const log = activityContext()?.log;
      const what = `${card.kind} card for ${card.service}${card.region ? ` in ${card.region}` : ''}`;
      const channels = channelsFor(card, cfg, env);
      if (channels.length === 0) {
        log?.info(`no notification channel configured; ${what} not sent`);
        return { delivered: [] };
      }
      if (card.dryRun && cfg.dryRunCards === 'skip') {
        log?.info(`dry run: would post the ${what} to ${channels.map((c) => c.name).join(', ')}`);
        return { delivered: [] };
      }
      const results = await Promise.all(channels.map(async (c) => ({ name: c.name, result: await deliver(c, cfg) })));
      const delivered = results.filter((r) => r.result.ok).map((r) => r.name);
      const failed = results.flatMap((r) => (r.result.ok ? [] : [{ name: r.name, ...r.result }]));
      for (const f of failed) log?.warn(`${f.name} did not take the ${what}: ${f.reason}`);
      if (delivered.length > 0) return { delivered };

      const msg = `no channel took the ${what}: ${failed.map((f) => `${f.name}: ${f.reason}`).join('; ')}`;
      if (failed.every((f) => f.permanent)) throw nonRetryable('ConfigurationError', msg);
      const waits = failed.flatMap((f) => (f.retryAfterMs === undefined ? [] : [f.retryAfterMs]));
      if (waits.length) throw retryAfter('RateLimited', msg, Math.max(...waits));
      throw ApplicationFailure.retryable(msg, 'NotificationFailed');
    },
  };
}
