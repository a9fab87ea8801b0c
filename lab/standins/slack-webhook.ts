// Stand-in for Slack incoming webhooks, on loopback. Answers like Slack: 200 `ok`,
// 400 `invalid_payload` / `no_text` / `invalid_blocks`, 404 `no_service` for an unknown hook,
// 429 `rate_limited` with Retry-After when told to. Checks the Block Kit limits Slack enforces.
import { randomBytes } from 'node:crypto';
import { FaultQueue, type Fault, isRecord, listen, parseJson, type Printer, readBody, retryAfterHeader, send } from './http.js';

const BLOCK_TYPES = new Set(['section', 'header', 'context', 'divider', 'actions']);
const LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  actionElements: 25,
  buttonText: 75,
  url: 3000,
  blockId: 255,
};

function textObject(v: unknown, where: string, max: number, plainOnly = false): string | undefined {
  if (!isRecord(v)) return `${where}: text object required`;
  if (v.type !== 'plain_text' && v.type !== 'mrkdwn') return `${where}: type must be plain_text or mrkdwn`;
  if (plainOnly && v.type !== 'plain_text') return `${where}: must be plain_text`;
  if (typeof v.text !== 'string' || v.text.length === 0) return `${where}: text must be a non-empty string`;
  if (v.text.length > max) return `${where}: text longer than ${max} characters`;
  return undefined;
}

function button(v: unknown, where: string): string | undefined {
  if (!isRecord(v) || v.type !== 'button') return `${where}: only button elements are checked by this stand-in`;
  const t = textObject(v.text, `${where}.text`, LIMITS.buttonText, true);
  if (t) return t;
  if (v.url !== undefined && (typeof v.url !== 'string' || v.url.length > LIMITS.url || !/^https?:\/\//.test(v.url)))
    return `${where}: invalid url`;
  if (v.style !== undefined && v.style !== 'primary' && v.style !== 'danger') return `${where}: style must be primary or danger`;
  return undefined;
}

function block(b: unknown, i: number): string | undefined {
  const where = `blocks[${i}]`;
  if (!isRecord(b) || typeof b.type !== 'string') return `${where}: block type required`;
  if (!BLOCK_TYPES.has(b.type)) return `${where}: unsupported block type ${b.type}`;
  if (b.block_id !== undefined && (typeof b.block_id !== 'string' || b.block_id.length > LIMITS.blockId))
    return `${where}: invalid block_id`;
  switch (b.type) {
    case 'header':
      return textObject(b.text, `${where}.text`, LIMITS.headerText, true);
    case 'divider':
      return undefined;
    case 'section': {
      if (b.text === undefined && b.fields === undefined) return `${where}: text or fields required`;
      if (b.text !== undefined) {
        const t = textObject(b.text, `${where}.text`, LIMITS.sectionText);
        if (t) return t;
      }
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length === 0 || b.fields.length > LIMITS.fields)
          return `${where}: 1 to ${LIMITS.fields} fields`;
        for (const [j, f] of b.fields.entries()) {
          const t = textObject(f, `${where}.fields[${j}]`, LIMITS.fieldText);
          if (t) return t;
        }
      }
      return b.accessory === undefined ? undefined : button(b.accessory, `${where}.accessory`);
    }
    case 'context': {
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > LIMITS.contextElements)
        return `${where}: 1 to ${LIMITS.contextElements} elements`;
      for (const [j, e] of b.elements.entries()) {
        const t = textObject(e, `${where}.elements[${j}]`, LIMITS.sectionText);
        if (t) return t;
      }
      return undefined;
    }
    case 'actions': {
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > LIMITS.actionElements)
        return `${where}: 1 to ${LIMITS.actionElements} elements`;
      for (const [j, e] of b.elements.entries()) {
        const t = button(e, `${where}.elements[${j}]`);
        if (t) return t;
      }
      return undefined;
    }
  }
  return undefined;
}

export type SlackVerdict = { ok: true } | { ok: false; error: 'invalid_payload' | 'no_text' | 'invalid_blocks'; detail: string };

/** Checks a webhook payload the way Slack does; `detail` says which rule failed. */
export function validateSlackMessage(payload: unknown): SlackVerdict {
  if (!isRecord(payload)) return { ok: false, error: 'invalid_payload', detail: 'body must be a JSON object' };
  const { text, blocks } = payload;
  if (text !== undefined && typeof text !== 'string') return { ok: false, error: 'invalid_payload', detail: 'text must be a string' };
  if (blocks === undefined) return text ? { ok: true } : { ok: false, error: 'no_text', detail: 'text or blocks required' };
  if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > LIMITS.blocks) {
    return { ok: false, error: 'invalid_blocks', detail: `1 to ${LIMITS.blocks} blocks` };
  }
  for (const [i, b] of blocks.entries()) {
    const detail = block(b, i);
    if (detail) return { ok: false, error: 'invalid_blocks', detail };
  }
  return { ok: true };
}

interface SlackDelivery {
  /** The hook's name (given at creation), never its URL. */
  hook: string;
  payload: { text?: string; blocks?: unknown[] };
}

export interface SlackStandIn {
  /** A new webhook URL; `name` labels its deliveries. */
  createWebhook(name: string): string;
  received: SlackDelivery[];
  rejected: { hook: string; error: string; detail: string }[];
  /** Every request and the status it got; hook '(unknown)' for paths that are no webhook. */
  requests: { hook: string; status: number }[];
  /** Faults answer the named hook's next requests (all hooks when no name). */
  inject(fault: Fault, hook?: string): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export async function startSlackStandIn(opts: { print?: Printer } = {}): Promise<SlackStandIn> {
  const hooks = new Map<string, string>(); // path → name
  const received: SlackDelivery[] = [];
  const rejected: SlackStandIn['rejected'] = [];
  const requests: SlackStandIn['requests'] = [];
  const faults = new Map<string, FaultQueue>();
  const everyHook = new FaultQueue();

  const http = await listen(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://standin').pathname;
    const hook = hooks.get(path);
    const text = await readBody(req);
    const answer = (status: number, body: string, headers?: Record<string, string>) => {
      requests.push({ hook: hook ?? '(unknown)', status });
      send(res, status, body, headers);
    };
    if (!hook || req.method !== 'POST') return answer(404, 'no_service');
    const fault = faults.get(hook)?.take() ?? everyHook.take();
    if (fault) return answer(fault.status, fault.status === 429 ? 'rate_limited' : 'internal_error', retryAfterHeader(fault));
    const payload = parseJson(text);
    const verdict = validateSlackMessage(payload);
    if (!verdict.ok) {
      rejected.push({ hook, error: verdict.error, detail: verdict.detail });
      opts.print?.(`[slack:${hook}] rejected ${verdict.error}: ${verdict.detail}`);
      return answer(400, verdict.error);
    }
    const delivery = payload as SlackDelivery['payload'];
    received.push({ hook, payload: delivery });
    opts.print?.(`[slack:${hook}] ${(delivery.text ?? '').split('\n')[0]}`);
    return answer(200, 'ok');
  });

  return {
    createWebhook(name) {
      const [team, bot] = [randomBytes(4).toString('hex').toUpperCase(), randomBytes(4).toString('hex').toUpperCase()];
      const path = `/services/T${team}/B${bot}/${randomBytes(12).toString('hex')}`;
      hooks.set(path, name);
      return `${http.origin}${path}`;
    },
    received,
    rejected,
    requests,
    inject(fault, hook) {
      if (!hook) return everyHook.inject(fault);
      if (!faults.has(hook)) faults.set(hook, new FaultQueue());
      faults.get(hook)!.inject(fault);
    },
    clearFaults() {
      everyHook.clear();
      faults.clear();
    },
    close: http.close,
  };
}
