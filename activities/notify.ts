// Quick Cards to every configured channel, best effort: a card is delivered when at least one
// channel took it. Each channel gets a small retry budget here; only when every channel failed
// does notify throw, so the workflow's bounded retry policy decides, and then moves on.
// Channels are chosen by `notify.channels[].kind`, one file per vendor implementing NotifyChannel,
// listed once in the factory below.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Card, NotifyActivities } from '../domain/ports.js';
import { createGrafanaActivities, GrafanaConfigSchema } from './annotate-grafana.js';
import { CardLinksSchema } from './cards.js';
import { nonRetryable, retryAfter } from './errors.js';
import type { NotifyChannel } from './notify-channel.js';
import { slackChannel } from './notify-slack.js';
import { teamsChannel } from './notify-teams.js';
import { type Env, lookupSecret } from './secrets.js';
import type { Delivery } from './vendor-http.js';
import { kinds } from './vendor-choice.js';

const vendors = kinds<NotifyChannel, []>()(slackChannel, teamsChannel);

const channelConfigSchema = vendors.schema;
export type ChannelConfig = z.output<typeof channelConfigSchema>;

/** Channels are not per region: each looks its webhook up by the card's region. */
export const createNotifyChannel = vendors.create;

/** Configs written before `channels` existed post to Slack and to Teams, wherever their webhooks are set. */
const DEFAULT_CHANNELS: ChannelConfig[] = [{ kind: 'slack' }, { kind: 'teams' }];

export const NotifyConfigSchema = z.object({
  links: CardLinksSchema,
  /** The vendors cards go to; each posts a card where its webhook is set in the environment for the card's region. */
  channels: z
    .array(channelConfigSchema)
    .min(1, 'list at least one channel')
    .refine((cs) => new Set(cs.map((c) => c.kind)).size === cs.length, 'list each kind once')
    .default(DEFAULT_CHANNELS),
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

/** A webhook a card goes to, named as logs and results show it ("slack", "slack-global"); the URL stays secret. */
interface Target {
  name: string;
  url: string;
  channel: NotifyChannel;
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

function targetsFor(card: Card, channels: { name: string; channel: NotifyChannel }[], env: Env): Target[] {
  return channels.flatMap(({ name, channel }) => {
    const url = lookupSecret(env, channel.webhookSecret, card.region);
    const summary = card.kind === 'summary' && channel.summaryWebhookSecret ? lookupSecret(env, channel.summaryWebhookSecret) : undefined;
    return [
      ...(url ? [{ name, url, channel }] : []),
      // The same webhook twice would post the summary twice to one channel.
      ...(summary && summary !== url ? [{ name: `${name}-global`, url: summary, channel }] : []),
    ];
  });
}

async function deliver(card: Card, target: Target, cfg: NotifyConfig): Promise<Delivery> {
  for (let attempt = 1; ; attempt++) {
    const result = await target.channel.post(target.url, card, cfg);
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
  const channels = cfg.channels.map((c) => ({ name: c.kind, channel: createNotifyChannel(c) }));
  return {
    annotate: grafana.annotate,

    async notify(card: Card): Promise<{ delivered: string[] }> {
      const log = activityContext()?.log;
      const what = `${card.kind} card for ${card.service}${card.region ? ` in ${card.region}` : ''}`;
      const targets = targetsFor(card, channels, env);
      if (targets.length === 0) {
        log?.info(`no notification channel configured; ${what} not sent`);
        return { delivered: [] };
      }
      if (card.dryRun && cfg.dryRunCards === 'skip') {
        log?.info(`dry run: would post the ${what} to ${targets.map((t) => t.name).join(', ')}`);
        return { delivered: [] };
      }
      const results = await Promise.all(targets.map(async (t) => ({ name: t.name, result: await deliver(card, t, cfg) })));
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
