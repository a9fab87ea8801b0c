// The demo's terminal: one status line per region (phase, stage, weights, last metrics, live load),
// redrawn in place on a TTY and printed as plain lines on change otherwise; log lines (cards, faults,
// DNS changes) scroll above the status block.
import type { RegionView } from '../client/status.js';
import { otherColour, type Colour } from '../domain/metrics.js';
import type { TrafficWeights } from '../domain/ports.js';
import type { RegionPhase } from '../workflows/messages.js';
import type { RegionLoad } from './load.js';

/**
 * One region's status line: the region as the client reads it (client/status.ts RegionView: the
 * candidate is the colour the release went to, blue every second release, and `lastMetrics` are its
 * readings), with what HAProxy holds and the load's counters, which only the lab can see.
 */
export interface ProgressRow extends Partial<
  Pick<RegionView, 'stage' | 'stageReached' | 'candidate' | 'lastMetrics' | 'outOfService' | 'reason'>
> {
  region: string;
  /** `waiting` until the rollout's first status. */
  phase: RegionPhase | 'waiting';
  /** What HAProxy holds, read from its runtime API. */
  weights?: TrafficWeights;
  load?: RegionLoad;
}

export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

const ESC = '\x1b[';
const colours = { dim: '2', red: '31', green: '32', yellow: '33', blue: '34', cyan: '36', bold: '1' } as const;

export class ProgressView {
  private drawn = 0;
  private block: string[] = [];
  private lastPlain = new Map<string, string>();
  readonly tty: boolean;

  constructor(
    private readonly out: Output,
    tty = Boolean(out.isTTY),
  ) {
    this.tty = tty;
  }

  paint(code: keyof typeof colours, text: string): string {
    return this.tty ? `${ESC}${colours[code]}m${text}${ESC}0m` : text;
  }

  /** A line above the status block. */
  log(line: string): void {
    if (!this.tty) {
      this.out.write(`${line}\n`);
      return;
    }
    this.erase();
    this.out.write(`${line}\n`);
    this.draw();
  }

  update(regions: ProgressRow[], footer?: string): void {
    const lines = regions.map((r) => this.regionLine(r));
    if (!this.tty) {
      // Plain output: a line per region whenever what it does changes (not on every metric tick).
      for (const r of regions) {
        const key = `${r.phase}|${r.stage ?? ''}|${r.weights?.blue ?? ''}/${r.weights?.green ?? ''}|${outNames(r)}|${r.reason ?? ''}`;
        if (this.lastPlain.get(r.region) !== key) {
          this.lastPlain.set(r.region, key);
          this.out.write(`[progress] ${this.regionLine(r)}\n`);
        }
      }
      return;
    }
    this.erase();
    this.block = footer ? [...lines, this.paint('dim', footer)] : lines;
    this.draw();
  }

  /** Leaves the last status block on screen and stops redrawing it. */
  finish(): void {
    this.drawn = 0;
    this.block = [];
  }

  private erase(): void {
    if (this.drawn > 0) this.out.write(`${ESC}${this.drawn}F${ESC}0J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (this.block.length === 0) return;
    // Auto-wrap off while drawing: a long line is clipped, so the block keeps its line count.
    this.out.write(`${ESC}?7l${this.block.join('\n')}\n${ESC}?7h`);
    this.drawn = this.block.length;
  }

  private phaseText(r: ProgressRow): string {
    const p = r.phase.replace('_', ' ');
    const padded = p.padEnd(12);
    if (r.phase === 'succeeded') return this.paint('green', padded);
    if (r.phase === 'rolled_back' || r.phase === 'rolling_back' || r.phase === 'aborted') return this.paint('red', padded);
    if (r.phase === 'skipped' || r.phase === 'pending' || r.phase === 'waiting') return this.paint('dim', padded);
    return this.paint('cyan', padded);
  }

  /** "candidate blue  25 / stable green  75", each in its colour; the balancer's order before the candidate is known. */
  private split(w: TrafficWeights, candidate?: Colour): string {
    const share = (c: Colour) => this.paint(c, `${c} ${String(w[c]).padStart(3)}`);
    return candidate ? `candidate ${share(candidate)} / stable ${share(otherColour(candidate))}` : `${share('blue')} / ${share('green')}`;
  }

  regionLine(r: ProgressRow): string {
    const parts = [r.region.padEnd(8), this.phaseText(r)];
    parts.push(`stage ${(r.stage ?? '-').padEnd(4)}`);
    parts.push(r.weights ? `LB ${this.split(r.weights, r.candidate)}` : 'LB   ?');
    const m = r.lastMetrics;
    const judged = r.candidate ?? 'candidate';
    parts.push(m ? `${judged}: err ${m.errorRatePct.toFixed(2)}% p95 ${Math.round(m.latencyP95Ms)}ms` : `${judged}: no reading yet`);
    if (r.load) {
      const l = r.load;
      parts.push(this.paint('dim', `served blue ${l.blue} green ${l.green} (5xx ${l.failed.blue + l.failed.green})`));
    }
    // A fleet's hosts whose deploy failed: kept out of the balancer while the rest go on.
    if (r.outOfService?.length) parts.push(this.paint('yellow', `${outNames(r)} out of service`));
    if (r.reason && (r.phase === 'rolled_back' || r.phase === 'skipped' || r.phase === 'aborted')) parts.push(`— ${r.reason}`);
    return parts.join('  ');
  }
}

/** "green-2, green-3": the hosts out of service, by name. */
const outNames = (r: ProgressRow): string => (r.outOfService ?? []).map((h) => h.host).join(', ');

/** Slack's mrkdwn escapes, undone for the terminal. */
const unescape = (t: string) => t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

export interface CardLine {
  channel: 'slack' | 'teams';
  /** The webhook's name: a region or "global". */
  hook: string;
  kind: string;
  region?: string;
  title: string;
  cause?: string;
  /** The card's "Out of service" fact: a fleet's hosts whose deploy failed, and why. */
  outOfService?: string;
}

/** The card kind from its heading as the channels show it (the payload carries no kind field). */
function kindOf(heading: string, hasOutcome: boolean): string {
  const title = heading.replace(/^\S+\s+/, '').replace(/^\[DRY RUN\]\s*/, '');
  if (title.startsWith('Incident:')) return 'incident';
  const emoji = heading.split(/\s/)[0] ?? '';
  const byEmoji: Record<string, string> = {
    '🚀': 'start',
    '👀': 'observation',
    '✋': 'approval',
    '⌛': 'approval_timeout',
    '📋': 'summary',
  };
  if (byEmoji[emoji]) return byEmoji[emoji]!;
  if (hasOutcome) return 'summary';
  if (emoji.startsWith('✅')) return 'success';
  if (emoji.startsWith('⚠')) return 'rollback';
  return 'card';
}

const stripEmoji = (heading: string) => heading.replace(/^\S+\s+/, '');

/** Reads a Slack Block Kit card back into kind, region, title and cause. */
export function slackCardLine(hook: string, payload: { text?: string; blocks?: unknown[] }): CardLine {
  const blocks = (payload.blocks ?? []) as { type: string; text?: { text?: string }; fields?: { text: string }[] }[];
  const heading = blocks.find((b) => b.type === 'header')?.text?.text ?? unescape(payload.text ?? '');
  const facts = Object.fromEntries(
    blocks
      .flatMap((b) => b.fields ?? [])
      .map((f) => {
        const [label = '', ...rest] = unescape(f.text).split('\n');
        return [label.replace(/\*/g, ''), rest.join(' ')];
      }),
  );
  const causeBlock = blocks.find((b) => b.type === 'section' && b.text?.text?.startsWith('*Cause*'));
  const cause = causeBlock ? unescape(causeBlock.text!.text!.replace(/^\*Cause\*\n/, '')) : undefined;
  return {
    channel: 'slack',
    hook,
    kind: kindOf(heading, 'Outcome' in facts),
    region: facts.Region,
    title: stripEmoji(heading),
    ...(cause ? { cause } : {}),
    ...(facts['Out of service'] ? { outOfService: facts['Out of service'] } : {}),
  };
}

/** Reads a Teams Adaptive Card back into kind, region, title and cause. */
export function teamsCardLine(hook: string, payload: { attachments: { content: Record<string, unknown> }[] }): CardLine {
  const body = (payload.attachments[0]?.content.body ?? []) as {
    type: string;
    text?: string;
    facts?: { title: string; value: string }[];
  }[];
  const heading = body.find((e) => e.type === 'TextBlock')?.text ?? '';
  const facts = Object.fromEntries((body.find((e) => e.type === 'FactSet')?.facts ?? []).map((f) => [f.title, f.value]));
  const cause = body.find((e) => e.type === 'TextBlock' && e.text?.startsWith('**Cause:**'))?.text?.replace(/^\*\*Cause:\*\*\s*/, '');
  return {
    channel: 'teams',
    hook,
    kind: kindOf(heading, 'Outcome' in facts),
    region: facts.Region,
    title: stripEmoji(heading),
    ...(cause ? { cause } : {}),
    ...(facts['Out of service'] ? { outOfService: facts['Out of service'] } : {}),
  };
}

export function formatCardLine(c: CardLine): string {
  const out = c.outOfService ? ` (out of service: ${c.outOfService})` : '';
  return `[${c.channel}:${c.hook}] ${c.kind.padEnd(11)} ${(c.region ?? '-').padEnd(8)} ${c.title}${out}${c.cause ? ` — ${c.cause}` : ''}`;
}
