// Microsoft Teams through a Workflows (Power Automate) webhook: the Adaptive Card goes in a
// `message` envelope as an attachment; the flow answers 202 Accepted.
import { z } from 'zod';
import type { Card } from '../domain/ports.js';
import { type CardLinks, renderAdaptiveCard } from './cards.js';
import type { NotifyChannel } from './notify-channel.js';
import { vendor } from './vendor-choice.js';
import { postJson } from './vendor-http.js';

const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export function teamsMessage(card: Card, links: CardLinks) {
  return {
    type: 'message' as const,
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: renderAdaptiveCard(card, links) }],
  };
}

function createTeamsChannel(): NotifyChannel {
  return {
    webhookSecret: 'TEAMS_WEBHOOK_URL',
    post: (webhookUrl, card, { links, timeoutMs }) =>
      postJson(webhookUrl, teamsMessage(card, links), { timeoutMs }, (status, body) => {
        if (status === 200 || status === 202) return undefined;
        // Power Automate errors are {error:{code,message}}; the code says enough.
        const code = /"code"\s*:\s*"([A-Za-z]+)"/.exec(body)?.[1];
        return `HTTP ${status}${code ? ` ${code}` : ''}`;
      }),
  };
}

/** No settings: the webhook is a secret, in the environment. */
export const teamsChannel = vendor('teams', z.strictObject({}), createTeamsChannel);
