// Quick Cards render to Block Kit and Adaptive Cards that the vendors' schema checks accept,
// and both say the same thing: title, cause, metrics against thresholds, links, correlation ID.
import { describe, expect, it } from 'vitest';
import { expandLink, renderAdaptiveCard, renderSlack, slackEscape, viewCard } from '../../activities/cards.js';
import { teamsMessage } from '../../activities/notify-teams.js';
import { validateSlackMessage } from '../../lab/standins/slack-webhook.js';
import { validateTeamsMessage } from '../../lab/standins/teams-webhook.js';
import { CARDS, KINDS, LINKS } from '../helpers/cards.js';

/** Every string in a payload, so assertions do not depend on the layout. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}
const slackText = (kind: keyof typeof CARDS) => strings(renderSlack(CARDS[kind], LINKS).blocks).join('\n');
const teamsText = (kind: keyof typeof CARDS) => strings(renderAdaptiveCard(CARDS[kind], LINKS)).join('\n');

describe('Quick Cards', () => {
  it.each(KINDS)('%s card passes the Slack and Teams schema checks', (kind) => {
    expect(validateSlackMessage(renderSlack(CARDS[kind], LINKS))).toEqual({ ok: true });
    expect(validateTeamsMessage(teamsMessage(CARDS[kind], LINKS))).toBeUndefined();
  });

  it.each(KINDS)('%s card carries the correlation ID, links and the same heading in both vendors', (kind) => {
    const card = CARDS[kind];
    const view = viewCard(card, LINKS);
    const slack = renderSlack(card, LINKS);
    const teams = renderAdaptiveCard(card, LINKS);
    expect((slack.blocks[0] as { text: { text: string } }).text.text).toBe(view.heading);
    expect((teams.body[0] as { text: string }).text).toBe(view.heading);
    expect(view.heading).toContain(card.title);
    for (const text of [slackText(kind), teamsText(kind), slack.text]) expect(text).toContain('rollout-checkout');
    const dashboard = `https://grafana.example.test/d/meridian-region-canary?var-service=checkout&var-region=${card.region ?? 'All'}`;
    const logs = 'https://logs.example.test/search?q=correlation_id%3Drollout-checkout';
    expect(slack.blocks.find((b) => b.type === 'actions')).toMatchObject({ elements: [{ url: dashboard }, { url: logs }] });
    expect(teams.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Grafana dashboard', url: dashboard },
      { type: 'Action.OpenUrl', title: 'Logs', url: logs },
    ]);
  });

  it('a rollback card gives the cause and each metric against its threshold, marking the breach', () => {
    const slack = slackText('rollback');
    const teams = teamsText('rollback');
    expect(teams).toContain('error rate 2.10% > 1.00% at canary 25%');
    expect(slack).toContain(slackEscape('error rate 2.10% > 1.00% at canary 25%'));
    for (const text of [slack, teams]) {
      expect(text).toContain('2.10% (max 1.00%) ❌');
      expect(text).toContain('210ms (max 500ms) ✅');
      expect(text).toContain('eu-west: 25% of traffic on v1.12.3 for 2 min');
      expect(text).toContain('canary 25%');
      expect(text).toMatch(/⚠️ Rolled back eu-west to blue/);
    }
  });

  it('an incident card prefers the stated cause and marks the latency breach', () => {
    for (const text of [teamsText('incident'), slackText('incident').replace(/&gt;/g, '>')]) {
      expect(text).toContain('haproxy unreachable during rollback');
      expect(text).toContain('620ms (max 500ms) ❌');
      expect(text).toContain('0.50% (max 1.00%) ✅');
      expect(text).toMatch(/🚨/);
    }
  });

  it('a summary card lists every region with its outcome', () => {
    for (const text of [slackText('summary'), teamsText('summary')]) {
      expect(text).toMatch(/us-east[\s\S]*✅ succeeded · reached 100%/);
      expect(text).toMatch(/eu-west[\s\S]*⚠️ rolled back · reached 25% — error rate 2\.10% (>|&gt;) 1\.00% at canary 25%/);
      expect(text).toMatch(/ap-south[\s\S]*⏭️ skipped — halted after eu-west rolled back/);
      expect(text).toContain('partially succeeded');
    }
    expect(renderAdaptiveCard(CARDS.summary, LINKS).body[0]).toMatchObject({ color: 'warning' });
  });

  it('an approval card says a person must decide', () => {
    expect(slackText('approval')).toContain('waiting for a person to approve or reject');
    expect(teamsText('approval')).toContain('waiting for a person to approve or reject');
  });

  it('an approval timeout card says the region was left as it was, not that someone must decide', () => {
    for (const text of [slackText('approval_timeout'), teamsText('approval_timeout')]) {
      expect(text).toContain('⌛ eu-west approval timed out after 240 min (missing: sre)');
      expect(text).toContain('Nobody approved in time: the region was left as it was');
      expect(text).not.toContain('waiting for a person');
    }
  });

  it('names a blue candidate as blue and green as the stable colour, on both vendors', () => {
    const card = { ...CARDS.rollback, title: 'eu-west rolled back to green', candidate: 'blue' as const };
    const facts = viewCard(card, LINKS).facts;
    expect(facts).toContainEqual({ label: 'Candidate', value: 'blue (stable green)' });
    expect(facts).toContainEqual({ label: 'Error rate (blue)', value: '2.10% (max 1.00%) ❌' });
    expect(facts).toContainEqual({ label: 'p95 latency (blue)', value: '210ms (max 500ms) ✅' });
    const summary = {
      ...CARDS.summary,
      regions: { 'eu-west': { outcome: 'rolled_back' as const, stageReached: 25, candidate: 'blue' as const } },
    };
    for (const text of [strings(renderSlack(card, LINKS).blocks).join('\n'), strings(renderAdaptiveCard(card, LINKS)).join('\n')]) {
      expect(text).toContain('blue (stable green)');
      expect(text).not.toMatch(/green \(stable|stable blue/);
    }
    expect(viewCard(summary, LINKS).regions).toEqual([{ region: 'eu-west', text: '⚠️ rolled back · blue reached 25%' }]);
    expect(validateSlackMessage(renderSlack(card, LINKS))).toEqual({ ok: true });
    // Without a known candidate (an approval card, an older worker's card) the labels stay plain.
    expect(viewCard(CARDS.rollback, LINKS).facts.map((f) => f.label)).not.toContain('Candidate');
  });

  it('marks dry-run cards', () => {
    const card = { ...CARDS.rollback, dryRun: true };
    expect(renderSlack(card, LINKS).text).toMatch(/^⚠️ \[DRY RUN\]/);
    expect(strings(renderAdaptiveCard(card, LINKS)).join('\n')).toContain('Dry run: nothing was changed.');
  });

  it('stays within Slack limits for very long titles and causes', () => {
    const card = { ...CARDS.incident, title: 'x'.repeat(400), cause: 'y'.repeat(5000), impact: 'z'.repeat(2500) };
    const msg = renderSlack(card, LINKS);
    expect(validateSlackMessage(msg)).toEqual({ ok: true });
    expect((msg.blocks[0] as { text: { text: string } }).text.text).toHaveLength(150);
    expect(validateTeamsMessage(teamsMessage(card, LINKS))).toBeUndefined();
  });

  it('links cards about every region to the global dashboard when one is configured', () => {
    const links = { ...LINKS, globalDashboardUrl: 'https://grafana.example.test/d/meridian-global-overview?var-service={service}' };
    expect(renderAdaptiveCard(CARDS.summary, links).actions[0]).toMatchObject({
      url: 'https://grafana.example.test/d/meridian-global-overview?var-service=checkout',
    });
    expect(renderAdaptiveCard(CARDS.rollback, links).actions[0]).toMatchObject({ url: expect.stringContaining('meridian-region-canary') });
  });

  it('fills link templates with URL-encoded values', () => {
    expect(
      expandLink('https://g.test/d/x?s={service}&r={region}&c={correlationId}', {
        service: 'a b',
        region: 'eu-west',
        correlationId: 'rollout-a&b',
      }),
    ).toBe('https://g.test/d/x?s=a%20b&r=eu-west&c=rollout-a%26b');
  });
});

describe('stand-in schema checks reject what the vendors reject', () => {
  const good = renderSlack(CARDS.rollback, LINKS);
  it('Slack: header over 150 characters, unknown block types, more than 10 fields, non-plain header', () => {
    const withBlock = (b: Record<string, unknown>) => ({ ...good, blocks: [b, ...good.blocks.slice(1)] });
    expect(validateSlackMessage(withBlock({ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }))).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
    });
    expect(validateSlackMessage(withBlock({ type: 'header', text: { type: 'mrkdwn', text: 'h' } }))).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
    });
    expect(validateSlackMessage(withBlock({ type: 'banner' }))).toMatchObject({ ok: false, error: 'invalid_blocks' });
    const fields = Array.from({ length: 11 }, (_, i) => ({ type: 'mrkdwn', text: `f${i}` }));
    expect(validateSlackMessage(withBlock({ type: 'section', fields }))).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(validateSlackMessage(withBlock({ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3001) } }))).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
    });
    expect(validateSlackMessage({ ...good, blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) })).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
    });
    expect(validateSlackMessage({})).toMatchObject({ ok: false, error: 'no_text' });
  });

  it('Teams: wrong envelope, content type or card version', () => {
    const msg = teamsMessage(CARDS.rollback, LINKS);
    const att = msg.attachments[0]!;
    expect(validateTeamsMessage({ ...msg, type: 'card' })).toMatch(/message/);
    expect(validateTeamsMessage({ ...msg, attachments: [{ ...att, contentType: 'application/json' }] })).toMatch(/contentType/);
    expect(validateTeamsMessage({ ...msg, attachments: [{ ...att, content: { ...att.content, version: '1.6' } }] })).toMatch(/version/);
    expect(validateTeamsMessage({ ...msg, attachments: [{ ...att, content: { ...att.content, body: [{ type: 'Marquee' }] } }] })).toMatch(
      /unknown element/,
    );
    expect(
      validateTeamsMessage({
        ...msg,
        attachments: [{ ...att, content: { ...att.content, actions: [{ type: 'Action.OpenUrl', title: 'x' }] } }],
      }),
    ).toMatch(/url/);
  });
});
