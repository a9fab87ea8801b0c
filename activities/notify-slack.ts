// Slack incoming webhooks: POST the Block Kit message; Slack answers 200 `ok`, 429 with
// Retry-After, or a 4xx word such as invalid_blocks / no_service that no retry will fix.
// Summary cards also go to GLOBAL_SLACK_WEBHOOK, the rollouts' global channel.
import { z } from 'zod';
import { renderSlack } from './cards.js';
import type { NotifyChannel } from './notify-channel.js';
import { vendor } from './vendor-choice.js';
import { postJson } from './vendor-http.js';

function createSlackChannel(): NotifyChannel {
  return {
    webhookSecret: 'SLACK_WEBHOOK_URL',
    summaryWebhookSecret: 'GLOBAL_SLACK_WEBHOOK',
    post: (webhookUrl, card, { links, timeoutMs }) =>
      postJson(webhookUrl, renderSlack(card, links), { timeoutMs }, (status, body) => {
        // Slack's error bodies are single words (invalid_blocks, no_service, channel_is_archived).
        if (status === 200) return body.trim() === 'ok' ? undefined : `unexpected answer ${body.slice(0, 60)}`;
        return `HTTP ${status} ${body.slice(0, 60)}`.trim();
      }),
  };
}

/** No settings: the webhook is a secret, in the environment. */
export const slackChannel = vendor('slack', z.strictObject({}), createSlackChannel);
