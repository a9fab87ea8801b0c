// Helpers shared by the HTTP activities (Prometheus, Cloudflare, Slack, Teams, Grafana).
// Vendor answers can echo what they were sent (an address, a URL), so every message built from
// one passes through redact(): a secret never reaches a log, an error or a returned value.
const REDACTED = '[redacted]';

export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join(REDACTED);
  return out;
}

/** Parts of a URL that may be credentials: the whole URL, its password and its query values (tokens). */
export function urlSecrets(url: string | URL): string[] {
  if (!URL.canParse(String(url))) return [String(url)];
  const u = new URL(url);
  return [String(url), u.href, u.password, ...u.searchParams.values()];
}

interface NetError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function socketWords(e: NetError): string {
  const message = typeof e.message === 'string' ? e.message.trim() : '';
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (!message) return code ?? 'network error';
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Why a request never got an answer, in the socket's own words ("connect ECONNREFUSED 10.0.0.5:9090",
 * "getaddrinfo ENOTFOUND prom"): fetch only says `TypeError: fetch failed` and keeps the real error
 * in `cause` (an SDK may wrap that once more). `secrets` (a URL, a token) are redacted from it.
 */
export function networkCause(err: unknown, opts: { timeoutMs?: number; secrets?: readonly (string | undefined)[] } = {}): string {
  let e = (err ?? {}) as NetError;
  if (e.name === 'TimeoutError') return opts.timeoutMs === undefined ? 'timed out' : `timed out after ${opts.timeoutMs} ms`;
  while (e.cause && typeof e.cause === 'object') e = e.cause as NetError;
  // Trying several addresses (IPv6 and IPv4) fails with an AggregateError holding one error per address.
  const each = Array.isArray(e.errors) && e.errors.length ? (e.errors as NetError[]) : [e];
  return redact([...new Set(each.map(socketWords))].join('; '), opts.secrets ?? []).slice(0, 300);
}

/** Seconds from a Retry-After header (delta-seconds or HTTP date). */
export function retryAfterSeconds(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return secs;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

// One webhook POST and what it means for retrying. Failures name the status and the vendor's
// error word, never the URL: a webhook URL is a credential.
export type Delivery =
  | { ok: true }
  /** `permanent`: the same request will fail again (bad payload, unknown or revoked hook). */
  | { ok: false; permanent: boolean; reason: string; retryAfterMs?: number };

export interface PostOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Strings to keep out of the reason besides the URL (e.g. an API key). */
  secrets?: string[];
}

/** `judge` returns undefined for success, else a short reason. */
export async function postJson(
  url: string,
  payload: unknown,
  opts: PostOptions,
  judge: (status: number, body: string) => string | undefined,
): Promise<Delivery> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...opts.headers },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (err) {
    const secrets = [...urlSecrets(url), ...(opts.secrets ?? [])];
    return { ok: false, permanent: false, reason: `connection failed: ${networkCause(err, { timeoutMs: opts.timeoutMs, secrets })}` };
  }
  const body = await res.text().catch(() => '');
  const problem = judge(res.status, body);
  if (problem === undefined) return { ok: true };
  const reason = redact(problem, [url, ...(opts.secrets ?? [])]);
  if (res.status === 429) {
    const secs = retryAfterSeconds(res.headers.get('retry-after'));
    return { ok: false, permanent: false, reason, retryAfterMs: secs === undefined ? undefined : secs * 1000 };
  }
  // 408 and 5xx are the vendor's trouble; other 4xx are ours and will not heal by themselves.
  const permanent = res.status >= 400 && res.status < 500 && res.status !== 408;
  return { ok: false, permanent, reason };
}
