// Stand-in for a Microsoft Teams Workflows (Power Automate) "post to a channel when a webhook
// request is received" trigger, on loopback. Takes {type:'message', attachments:[{contentType:
// 'application/vnd.microsoft.card.adaptive', content: AdaptiveCard}]} and answers 202 Accepted;
// checks the Adaptive Card schema basics and the signed trigger URL, answering 400/401/404 otherwise.
import { randomBytes } from 'node:crypto';
import { FaultQueue, type Fault, isRecord, listen, parseJson, type Printer, readBody, retryAfterHeader, send } from './http.js';

const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** Teams renders Adaptive Cards up to schema 1.5. */
const VERSIONS = new Set(['1.0', '1.1', '1.2', '1.3', '1.4', '1.5']);
const ACTIONS = new Set(['Action.OpenUrl', 'Action.Submit', 'Action.ShowCard', 'Action.ToggleVisibility', 'Action.Execute']);

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function action(a: unknown, where: string): string | undefined {
  if (!isRecord(a) || !str(a.type) || !ACTIONS.has(a.type)) return `${where}: unknown action type`;
  if (a.type === 'Action.OpenUrl' && (!str(a.url) || !/^https?:\/\//.test(a.url))) return `${where}: Action.OpenUrl needs an absolute url`;
  if (a.title !== undefined && typeof a.title !== 'string') return `${where}: title must be a string`;
  return undefined;
}

function elements(items: unknown, where: string): string | undefined {
  if (!Array.isArray(items)) return `${where}: must be an array`;
  for (const [i, e] of items.entries()) {
    const problem = element(e, `${where}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
}

function element(e: unknown, where: string): string | undefined {
  if (!isRecord(e) || !str(e.type)) return `${where}: element type required`;
  switch (e.type) {
    case 'TextBlock':
      return typeof e.text === 'string' ? undefined : `${where}: TextBlock needs text`;
    case 'FactSet':
      if (!Array.isArray(e.facts) || e.facts.length === 0) return `${where}: FactSet needs facts`;
      return e.facts.every((f) => isRecord(f) && typeof f.title === 'string' && typeof f.value === 'string')
        ? undefined
        : `${where}: each fact needs title and value strings`;
    case 'Container':
      return elements(e.items, `${where}.items`);
    case 'ColumnSet':
      if (e.columns === undefined) return undefined;
      if (!Array.isArray(e.columns)) return `${where}.columns: must be an array`;
      for (const [i, c] of e.columns.entries()) {
        if (!isRecord(c) || c.type !== 'Column') return `${where}.columns[${i}]: must be a Column`;
        const problem = c.items === undefined ? undefined : elements(c.items, `${where}.columns[${i}].items`);
        if (problem) return problem;
      }
      return undefined;
    case 'Image':
      return str(e.url) ? undefined : `${where}: Image needs url`;
    case 'RichTextBlock':
      return Array.isArray(e.inlines) ? undefined : `${where}: RichTextBlock needs inlines`;
    case 'ActionSet':
      if (!Array.isArray(e.actions)) return `${where}: ActionSet needs actions`;
      for (const [i, a] of e.actions.entries()) {
        const problem = action(a, `${where}.actions[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    default:
      return `${where}: unknown element type ${e.type}`;
  }
}

/** Checks a Workflows webhook payload; undefined when valid, else the reason. */
export function validateTeamsMessage(payload: unknown): string | undefined {
  if (!isRecord(payload)) return 'body must be a JSON object';
  if (payload.type !== 'message') return "type must be 'message'";
  if (!Array.isArray(payload.attachments) || payload.attachments.length === 0) return 'attachments must be a non-empty array';
  for (const [i, att] of payload.attachments.entries()) {
    const where = `attachments[${i}]`;
    if (!isRecord(att) || att.contentType !== ADAPTIVE_CARD_CONTENT_TYPE)
      return `${where}: contentType must be ${ADAPTIVE_CARD_CONTENT_TYPE}`;
    const card = att.content;
    if (!isRecord(card) || card.type !== 'AdaptiveCard') return `${where}.content: type must be AdaptiveCard`;
    if (!str(card.version) || !VERSIONS.has(card.version)) return `${where}.content: version must be 1.0 to 1.5`;
    const problem = elements(card.body, `${where}.content.body`);
    if (problem) return problem;
    if (card.actions !== undefined) {
      if (!Array.isArray(card.actions)) return `${where}.content.actions: must be an array`;
      for (const [j, a] of card.actions.entries()) {
        const bad = action(a, `${where}.content.actions[${j}]`);
        if (bad) return bad;
      }
    }
  }
  return undefined;
}

interface TeamsDelivery {
  /** The webhook's name (given at creation), never its URL. */
  hook: string;
  payload: { type: 'message'; attachments: { contentType: string; content: Record<string, unknown> }[] };
}

export interface TeamsStandIn {
  createWebhook(name: string): string;
  received: TeamsDelivery[];
  rejected: { hook: string; status: number; detail: string }[];
  inject(fault: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const flowError = (code: string, message: string) => ({ error: { code, message } });

export async function startTeamsStandIn(opts: { print?: Printer } = {}): Promise<TeamsStandIn> {
  const flows = new Map<string, { name: string; sig: string }>(); // workflow id → hook
  const received: TeamsDelivery[] = [];
  const rejected: TeamsStandIn['rejected'] = [];
  const faults = new FaultQueue();

  const http = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const text = await readBody(req);
    const m = /^\/workflows\/([0-9a-f]+)\/triggers\/manual\/paths\/invoke$/.exec(url.pathname);
    const flow = m?.[1] ? flows.get(m[1]) : undefined;
    if (!flow || req.method !== 'POST') return send(res, 404, flowError('WorkflowNotFound', 'The workflow could not be found.'));
    if (url.searchParams.get('sig') !== flow.sig) {
      rejected.push({ hook: flow.name, status: 401, detail: 'bad signature' });
      return send(res, 401, flowError('DirectApiAuthorizationRequired', 'The request must be authenticated with a valid signature.'));
    }
    const fault = faults.take();
    if (fault)
      return send(
        res,
        fault.status,
        flowError(fault.status === 429 ? 'WorkflowRequestsThrottled' : 'ServiceUnavailable', 'Try again later.'),
        retryAfterHeader(fault),
      );
    const payload = parseJson(text);
    const problem = validateTeamsMessage(payload);
    if (problem) {
      rejected.push({ hook: flow.name, status: 400, detail: problem });
      opts.print?.(`[teams:${flow.name}] rejected: ${problem}`);
      return send(res, 400, flowError('InvalidRequestContent', problem));
    }
    const delivery = payload as TeamsDelivery['payload'];
    received.push({ hook: flow.name, payload: delivery });
    const first = (delivery.attachments[0]?.content.body as { text?: string }[] | undefined)?.[0]?.text ?? '';
    opts.print?.(`[teams:${flow.name}] ${first}`);
    res.writeHead(202);
    res.end();
  });

  return {
    createWebhook(name) {
      const id = randomBytes(16).toString('hex');
      const sig = randomBytes(16).toString('base64url');
      flows.set(id, { name, sig });
      return (
        `${http.origin}/workflows/${id}/triggers/manual/paths/invoke` +
        `?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`
      );
    },
    received,
    rejected,
    inject: (f) => faults.inject(f),
    clearFaults: () => faults.clear(),
    close: http.close,
  };
}
