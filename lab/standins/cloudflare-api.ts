// Stand-in for the Cloudflare v4 API's DNS record endpoints, on loopback.
// Follows the documented contract: every answer is the envelope {success, errors:[{code,message}],
// messages, result}; bearer tokens are checked; GET/PATCH/PUT /zones/:zone_id/dns_records/:id.
import { isIP } from 'node:net';
import { bearer, FaultQueue, type Fault, isRecord, listen, parseJson, type Printer, readBody, retryAfterHeader, send } from './http.js';

interface DnsRecord {
  id: string;
  name: string;
  type: 'A' | 'AAAA' | 'CNAME';
  content: string;
  ttl: number;
  proxied: boolean;
  comment?: string | null;
}

interface CloudflareRequest {
  method: string;
  path: string;
  authorized: boolean;
  status: number;
  body?: unknown;
}

export interface CloudflareStandInOptions {
  /** The only API token accepted. */
  token: string;
  /** zone id → its records. */
  zones: Record<string, DnsRecord[]>;
  print?: Printer;
  /** Names for record contents in printed lines (e.g. IP → 'blue'), so the lab never prints raw addresses. */
  contentNames?: Record<string, string>;
}

export interface CloudflareStandIn {
  /** Pass as the SDK's baseURL. */
  baseURL: string;
  requests: CloudflareRequest[];
  record(zoneId: string, id: string): DnsRecord | undefined;
  inject(fault: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

type Envelope = { success: boolean; errors: { code: number; message: string }[]; messages: unknown[]; result: unknown };
const ok = (result: unknown): Envelope => ({ success: true, errors: [], messages: [], result });
const fail = (code: number, message: string): Envelope => ({ success: false, errors: [{ code, message }], messages: [], result: null });

const EDITABLE = ['name', 'type', 'content', 'ttl', 'proxied', 'comment'] as const;

function invalidContent(type: string, content: unknown): string | undefined {
  if (typeof content !== 'string' || content.length === 0) return 'DNS record content is required.';
  if (type === 'A' && isIP(content) !== 4) return 'Content for A record must be a valid IPv4 address.';
  if (type === 'AAAA' && isIP(content) !== 6) return 'Content for AAAA record must be a valid IPv6 address.';
  return undefined;
}

export async function startCloudflareStandIn(opts: CloudflareStandInOptions): Promise<CloudflareStandIn> {
  const zones = new Map(Object.entries(opts.zones).map(([zone, records]) => [zone, new Map(records.map((r) => [r.id, { ...r }]))]));
  const requests: CloudflareRequest[] = [];
  const faults = new FaultQueue();
  const now = () => new Date().toISOString();
  const describe = (content: string) => opts.contentNames?.[content] ?? 'another address';

  const http = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    const body = text ? parseJson(text) : undefined;
    const authorized = bearer(req) === opts.token;
    const log: CloudflareRequest = { method, path: url.pathname, authorized, status: 0, body };
    requests.push(log);
    const answer = (status: number, envelope: Envelope, headers: Record<string, string> = {}) => {
      log.status = status;
      send(res, status, envelope, headers);
    };

    const fault = faults.take();
    if (fault) {
      const message =
        fault.status === 429 ? 'Rate limited. Please wait and consider throttling your request speed' : 'Internal server error';
      return answer(fault.status, fail(fault.status === 429 ? 971 : 10001, message), retryAfterHeader(fault));
    }
    if (!authorized) return answer(401, fail(10000, 'Authentication error'));

    const m = /^\/client\/v4\/zones\/([^/]+)\/dns_records\/([^/]+)$/.exec(url.pathname);
    if (!m) return answer(404, fail(7000, 'No route for that URI'));
    const [, zoneId = '', id = ''] = m;
    const records = zones.get(zoneId);
    if (!records) return answer(404, fail(7003, 'Could not route to the zone, perhaps your object identifier is invalid?'));
    const rec = records.get(id);
    if (!rec) return answer(404, fail(81044, 'Record does not exist.'));
    const view = () => ({
      ...rec,
      zone_id: zoneId,
      zone_name: 'example.test',
      proxiable: true,
      settings: {},
      meta: {},
      tags: [],
      created_on: now(),
      modified_on: now(),
    });

    if (method === 'GET') return answer(200, ok(view()));
    if (method !== 'PATCH' && method !== 'PUT') return answer(405, fail(10405, 'Method not allowed'));
    if (!isRecord(body)) return answer(400, fail(9207, 'Request body is invalid.'));
    // PUT overwrites the record, so it needs the full record; PATCH changes only what it names.
    if (method === 'PUT' && !['name', 'type', 'content'].every((k) => k in body)) {
      return answer(400, fail(9000, 'DNS name, type and content are required for an overwrite.'));
    }
    const next: DnsRecord = { ...rec };
    for (const key of EDITABLE) if (key in body) (next as unknown as Record<string, unknown>)[key] = body[key];
    const invalid = invalidContent(next.type, next.content);
    if (invalid) return answer(400, fail(9005, invalid));
    if (typeof next.ttl !== 'number' || (next.ttl !== 1 && (next.ttl < 30 || next.ttl > 86400)))
      return answer(400, fail(9021, 'Invalid TTL.'));
    const before = rec.content;
    Object.assign(rec, next);
    opts.print?.(
      `[cloudflare] ${method} record ${id}: ${before === rec.content ? 'unchanged' : `${describe(before)} → ${describe(rec.content)}`}`,
    );
    return answer(200, ok(view()));
  });

  return {
    baseURL: `${http.origin}/client/v4`,
    requests,
    record: (zoneId, id) => {
      const r = zones.get(zoneId)?.get(id);
      return r ? { ...r } : undefined;
    },
    inject: (f) => faults.inject(f),
    clearFaults: () => faults.clear(),
    close: http.close,
  };
}
