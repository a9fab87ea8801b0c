// Slack incoming webhooks: POST the Block Kit message; Slack answers 200 `ok`, 429 with
// Retry-After, or a 4xx word such as invalid_blocks / no_service that no retry will fix.
import type { Card } from '../domain/ports.js';
import { type CardLinks, renderSlack } from './cards.js';
import { type Delivery, postJson } from './vendor-http.js';

export async function postSlackCard(webhookUrl: string, card: Card, links: CardLinks, timeoutMs: number): Promise<Delivery> {
  return postJson(webhookUrl, renderSlack(card, links), { timeoutMs }, (status, body) => {
    // Slack's error bodies are single words (invalid_blocks, no_service, channel_is_archived).
    if (status === 200) return body.trim() === 'ok' ? undefined : `unexpected answer ${body.slice(0, 60)}`;
    return `HTTP ${status} ${body.slice(0, 60)}`.trim();
  });
}
