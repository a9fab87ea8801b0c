// Microsoft Teams through a Workflows (Power Automate) webhook: the Adaptive Card goes in a
// `message` envelope as an attachment; the flow answers 202 Accepted.
import type { Card } from '../domain/ports.js';
import { type CardLinks, renderAdaptiveCard } from './cards.js';
import { type Delivery, postJson } from './vendor-http.js';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export function teamsMessage(card: Card, links: CardLinks) {
  return {
    type: 'message' as const,
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: renderAdaptiveCard(card, links) }],
  };
}

export async function postTeamsCard(webhookUrl: string, card: Card, links: CardLinks, timeoutMs: number): Promise<Delivery> {
  return postJson(webhookUrl, teamsMessage(card, links), { timeoutMs }, (status, body) => {
    if (status === 200 || status === 202) return undefined;
    // Power Automate errors are {error:{code,message}}; the code says enough.
    const code = /"code"\s*:\s*"([A-Za-z]+)"/.exec(body)?.[1];
    return `HTTP ${status}${code ? ` ${code}` : ''}`;
  });
}
