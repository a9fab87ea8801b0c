// The notification seam: one interface, one file per vendor (notify-slack.ts, notify-teams.ts),
// chosen by `notify.channels[].kind` in the worker config (notify.ts). The delivery rules (which
// webhook a card goes to, retries, dry runs, failures) are the activity's and the same for every vendor.
import type { Card } from '../domain/ports.js';
import type { CardLinks } from './cards.js';
import type { Delivery } from './vendor-http.js';

export interface NotifyChannel {
  /** Environment variable holding the channel's webhook; NAME__<REGION> gives a region a channel of its own. */
  webhookSecret: string;
  /** Environment variable of a webhook that also takes summary cards (a global channel), if the vendor has one. */
  summaryWebhookSecret?: string;
  /** Posts one card to one webhook: the vendor's message format and its reading of the answer. */
  post(webhookUrl: string, card: Card, opts: { links: CardLinks; timeoutMs: number }): Promise<Delivery>;
}
