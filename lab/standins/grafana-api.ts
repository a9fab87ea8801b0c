// Stand-in for Grafana's annotations HTTP API, on loopback: POST /api/annotations with a bearer
// service-account token answers {id, message:'Annotation added'}; GET /api/annotations lists them
// (newest first, filtered by every `tags` given); a bad token answers 401.
import { bearer, FaultQueue, type Fault, isRecord, listen, parseJson, type Printer, readBody, retryAfterHeader, send } from './http.js';

interface StoredAnnotation {
  id: number;
  dashboardUID: string;
  panelId: number;
  time: number;
  timeEnd: number;
  text: string;
  tags: string[];
}

export interface GrafanaStandIn {
  url: string;
  annotations: StoredAnnotation[];
  inject(fault: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export async function startGrafanaStandIn(opts: { apiKey: string; print?: Printer }): Promise<GrafanaStandIn> {
  const annotations: StoredAnnotation[] = [];
  const faults = new FaultQueue();

  const http = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const text = await readBody(req);
    if (url.pathname !== '/api/annotations') return send(res, 404, { message: 'Not found' });
    if (bearer(req) !== opts.apiKey) return send(res, 401, { message: 'Unauthorized' });
    const fault = faults.take();
    if (fault)
      return send(
        res,
        fault.status,
        { message: fault.status === 429 ? 'Too many requests' : 'Internal Server Error' },
        retryAfterHeader(fault),
      );

    if (req.method === 'GET') {
      const tags = url.searchParams.getAll('tags');
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const found = annotations.filter((a) => tags.every((t) => a.tags.includes(t))).sort((a, b) => b.time - a.time || b.id - a.id);
      return send(res, 200, found.slice(0, limit));
    }
    if (req.method !== 'POST') return send(res, 405, { message: 'Method not allowed' });
    const body = parseJson(text);
    if (!isRecord(body)) return send(res, 400, { message: 'bad request data' });
    const tags = body.tags ?? [];
    if (typeof body.text !== 'string' || body.text.length === 0)
      return send(res, 400, { message: 'Failed to save annotation: text is required' });
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string'))
      return send(res, 400, { message: 'bad request data: tags must be strings' });
    for (const key of ['time', 'timeEnd', 'panelId'] as const) {
      if (body[key] !== undefined && typeof body[key] !== 'number')
        return send(res, 400, { message: `bad request data: ${key} must be a number` });
    }
    const time = (body.time as number | undefined) ?? Date.now();
    const stored: StoredAnnotation = {
      id: annotations.length + 1,
      dashboardUID: typeof body.dashboardUID === 'string' ? body.dashboardUID : '',
      panelId: (body.panelId as number | undefined) ?? 0,
      time,
      timeEnd: (body.timeEnd as number | undefined) ?? time,
      text: body.text,
      tags: tags as string[],
    };
    annotations.push(stored);
    opts.print?.(`[grafana] annotation ${stored.id} [${stored.tags.join(', ')}] ${stored.text}`);
    return send(res, 200, { id: stored.id, message: 'Annotation added' });
  });

  return { url: http.origin, annotations, inject: (f) => faults.inject(f), clearFaults: () => faults.clear(), close: http.close };
}
