// Quick Cards: one wording for every vendor. `viewCard` decides what a card says (emoji, title,
// facts, cause, links, correlation ID); the Slack and Teams renderers only lay it out, so both
// channels always tell the on-call engineer the same thing.
import { z } from 'zod';
import { otherColour } from '../domain/metrics.js';
import { hostsText } from '../domain/fleet.js';
import type { RegionOutcome, RolloutOutcome } from '../domain/outcome.js';
import type { Card, CardKind } from '../domain/ports.js';

const urlTemplate = z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL template');

/** Link templates; {service}, {region} and {correlationId} are filled in per card. Not secret. */
export const CardLinksSchema = z.object({
  grafanaDashboardUrl: urlTemplate,
  logsUrl: urlTemplate,
  /** Dashboard for cards about every region (start, summary); defaults to grafanaDashboardUrl with region "All". */
  globalDashboardUrl: urlTemplate.optional(),
  /** Optional link to the rollout in the Temporal Web UI. */
  workflowUrl: urlTemplate.optional(),
});
export type CardLinks = z.infer<typeof CardLinksSchema>;

/** Adaptive Card TextBlock colours; Slack has no colours in blocks, so only Teams uses them. */
type Severity = 'default' | 'accent' | 'good' | 'warning' | 'attention';

export interface CardView {
  severity: Severity;
  /** "🚨 Rollback in eu-west", with a [DRY RUN] mark when nothing was changed. */
  heading: string;
  facts: { label: string; value: string }[];
  cause?: string;
  /** What the reader should do, e.g. on approval cards. */
  note?: string;
  /** Each region's outcome, on summary and incident cards. */
  regions: { region: string; text: string }[];
  links: { label: string; url: string }[];
  /** "Correlation ID: rollout-checkout" */
  footer: string;
}

const KIND: Record<CardKind, { emoji: string; severity: Severity }> = {
  start: { emoji: '🚀', severity: 'accent' },
  observation: { emoji: '👀', severity: 'default' },
  success: { emoji: '✅', severity: 'good' },
  rollback: { emoji: '⚠️', severity: 'warning' },
  incident: { emoji: '🚨', severity: 'attention' },
  summary: { emoji: '📋', severity: 'default' },
  approval: { emoji: '✋', severity: 'accent' },
  approval_timeout: { emoji: '⌛', severity: 'warning' },
  paused: { emoji: '⏸️', severity: 'warning' },
  host_out: { emoji: '🩺', severity: 'warning' },
};

/** What the reader should do about a card of this kind. */
const NOTE: Partial<Record<CardKind, string>> = {
  approval: 'The rollout is waiting for a person to approve or reject it',
  approval_timeout: 'Nobody approved in time: the region was left as it was; start the rollout again to retry',
  paused: 'The region holds its traffic split until an operator resumes or aborts it',
  host_out: 'The host gets no traffic; the rollout goes on with the others. Look at it before the next release',
};

const ROLLOUT: Record<RolloutOutcome, { emoji: string; severity: Severity; label: string }> = {
  succeeded: { emoji: '✅', severity: 'good', label: 'succeeded' },
  partially_succeeded: { emoji: '⚠️', severity: 'warning', label: 'partially succeeded' },
  rolled_back: { emoji: '⚠️', severity: 'warning', label: 'rolled back' },
  aborted: { emoji: '🚨', severity: 'attention', label: 'aborted' },
  cancelled: { emoji: '⏹️', severity: 'default', label: 'cancelled' },
};

const REGION: Record<RegionOutcome, { emoji: string; label: string }> = {
  succeeded: { emoji: '✅', label: 'succeeded' },
  rolled_back: { emoji: '⚠️', label: 'rolled back' },
  skipped: { emoji: '⏭️', label: 'skipped' },
  aborted: { emoji: '🚨', label: 'aborted' },
};

/** Fills a link template; a card without a region links to every region (Grafana's "All"). */
export function expandLink(template: string, card: Pick<Card, 'service' | 'region' | 'correlationId'>): string {
  const values: Record<string, string> = { service: card.service, region: card.region ?? 'All', correlationId: card.correlationId };
  return template.replace(/\{(service|region|correlationId)\}/g, (_, key: string) => encodeURIComponent(values[key] ?? ''));
}

/** "2.10% (max 1.00%) ❌": a reading against its threshold, marked by whether it breached. */
function against(value: number, max: number | undefined, breached: boolean, fmt: (n: number) => string): string {
  if (max === undefined) return fmt(value);
  const bad = breached || !Number.isFinite(value) || value > max;
  return `${fmt(value)} (max ${fmt(max)}) ${bad ? '❌' : '✅'}`;
}

export function viewCard(card: Card, links: CardLinks): CardView {
  const outcome = card.kind === 'summary' && card.outcome ? ROLLOUT[card.outcome] : undefined;
  const { emoji, severity } = outcome ?? KIND[card.kind];
  const facts: CardView['facts'] = [
    { label: 'Service', value: card.service },
    { label: 'Version', value: card.version },
  ];
  if (card.region) facts.push({ label: 'Region', value: card.region });
  if (card.stage) facts.push({ label: 'Stage', value: card.stage });
  // Every second release goes to blue: the card names the colours, never assumes green.
  if (card.candidate) facts.push({ label: 'Candidate', value: `${card.candidate} (stable ${otherColour(card.candidate)})` });
  if (card.impact) facts.push({ label: 'Impact', value: card.impact });
  if (card.outOfService?.length) facts.push({ label: 'Out of service', value: hostsText(card.outOfService) });
  const m = card.metrics;
  const t = card.thresholds;
  if (m) {
    const hit = card.breach?.metric;
    const of = card.candidate ? ` (${card.candidate})` : '';
    facts.push({
      label: `Error rate${of}`,
      value: against(m.errorRatePct, t?.maxErrorRatePct, hit === 'error_rate', (n) => `${n.toFixed(2)}%`),
    });
    facts.push({
      label: `p95 latency${of}`,
      value: against(m.latencyP95Ms, t?.maxLatencyMs, hit === 'latency', (n) => `${Math.round(n)}ms`),
    });
    if (m.cpuPct !== undefined) facts.push({ label: `CPU${of}`, value: `${m.cpuPct.toFixed(1)}%${hit === 'cpu' ? ' ❌' : ''}` });
    if (m.memoryPct !== undefined)
      facts.push({ label: `Memory${of}`, value: `${m.memoryPct.toFixed(1)}%${hit === 'memory' ? ' ❌' : ''}` });
  } else if (t) {
    facts.push({
      label: 'Thresholds',
      value: `error rate ≤ ${t.maxErrorRatePct.toFixed(2)}%, p95 latency ≤ ${Math.round(t.maxLatencyMs)}ms`,
    });
  }
  if (card.outcome) facts.push({ label: 'Outcome', value: `${ROLLOUT[card.outcome].emoji} ${ROLLOUT[card.outcome].label}` });

  const regions = Object.entries(card.regions ?? {}).map(([region, r]) => {
    const o = REGION[r.outcome];
    const reached = r.stageReached > 0 ? ` · ${r.candidate ? `${r.candidate} ` : ''}reached ${r.stageReached}%` : '';
    return { region, text: `${o.emoji} ${o.label}${reached}${r.reason ? ` — ${r.reason}` : ''}` };
  });

  const cardLinks = [
    { label: 'Grafana dashboard', url: expandLink((!card.region && links.globalDashboardUrl) || links.grafanaDashboardUrl, card) },
    { label: 'Logs', url: expandLink(links.logsUrl, card) },
  ];
  if (links.workflowUrl) cardLinks.push({ label: 'Workflow', url: expandLink(links.workflowUrl, card) });

  return {
    severity,
    heading: `${emoji} ${card.dryRun ? '[DRY RUN] ' : ''}${card.title}`,
    facts,
    cause: card.cause ?? card.breach?.cause,
    note: NOTE[card.kind]
      ? `${NOTE[card.kind]} (workflow ${card.correlationId}).`
      : card.dryRun
        ? 'Dry run: nothing was changed.'
        : undefined,
    regions,
    links: cardLinks,
    footer: `Correlation ID: ${card.correlationId}`,
  };
}

/** Cuts text to a vendor's limit, marking the cut. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Slack mrkdwn treats &, < and > as control characters. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface SlackMessage {
  text: string;
  blocks: Record<string, unknown>[];
}

/** Block Kit within Slack's limits: header ≤ 150, section text ≤ 3000, ≤ 10 fields of ≤ 2000, button text ≤ 75. */
export function renderSlack(card: Card, links: CardLinks): SlackMessage {
  const v = viewCard(card, links);
  const mrkdwn = (text: string, max: number) => ({ type: 'mrkdwn', text: clip(text, max) });
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(v.heading, 150), emoji: true } },
    { type: 'section', fields: v.facts.slice(0, 10).map((f) => mrkdwn(`*${f.label}*\n${slackEscape(f.value)}`, 2000)) },
  ];
  if (v.cause) blocks.push({ type: 'section', text: mrkdwn(`*Cause*\n${slackEscape(v.cause)}`, 3000) });
  if (v.note) blocks.push({ type: 'section', text: mrkdwn(slackEscape(v.note), 3000) });
  if (v.regions.length) {
    const lines = v.regions.map((r) => `• *${slackEscape(r.region)}*: ${slackEscape(r.text)}`);
    blocks.push({ type: 'section', text: mrkdwn(`*Regions*\n${lines.join('\n')}`, 3000) });
  }
  blocks.push({
    type: 'actions',
    elements: v.links.map((l) => ({ type: 'button', text: { type: 'plain_text', text: clip(l.label, 75) }, url: l.url })),
  });
  blocks.push({ type: 'context', elements: [mrkdwn(slackEscape(v.footer), 3000)] });
  // `text` is what notifications and screen readers show.
  const text = `${v.heading}${v.cause ? ` — ${v.cause}` : ''} (${v.footer})`;
  return { text: slackEscape(text), blocks };
}

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: '1.4';
  body: Record<string, unknown>[];
  actions: Record<string, unknown>[];
  msteams: { width: 'Full' };
}

/** Adaptive Card 1.4, which Teams renders on desktop, web and mobile. */
export function renderAdaptiveCard(card: Card, links: CardLinks): AdaptiveCard {
  const v = viewCard(card, links);
  const text = (t: string, extra: Record<string, unknown> = {}) => ({ type: 'TextBlock', text: t, wrap: true, ...extra });
  const body: Record<string, unknown>[] = [
    text(v.heading, { size: 'Large', weight: 'Bolder', color: v.severity }),
    { type: 'FactSet', facts: v.facts.map((f) => ({ title: f.label, value: f.value })) },
  ];
  if (v.cause) body.push(text(`**Cause:** ${v.cause}`, { color: v.severity === 'good' ? 'default' : v.severity }));
  if (v.note) body.push(text(v.note));
  if (v.regions.length) {
    body.push(text('**Regions**'));
    body.push({ type: 'FactSet', facts: v.regions.map((r) => ({ title: r.region, value: r.text })) });
  }
  body.push(text(v.footer, { isSubtle: true, size: 'Small' }));
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body,
    actions: v.links.map((l) => ({ type: 'Action.OpenUrl', title: l.label, url: l.url })),
    msteams: { width: 'Full' },
  };
}
