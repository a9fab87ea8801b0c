// HAProxy's own view of a colour's servers, read from its built-in Prometheus exporter (PROMEX,
// HAProxy 2.4+; the lab runs Debian's 2.6) as Prometheus scraped it: per server, the requests that
// HAProxy failed itself and whether its health check has the server down. A dying instance's
// clients get HAProxy's 503s, which never reach the application's own counter.
//
// The counters, as HAProxy 2.6 keeps them (checked on the lab's HAProxy against a killed server):
// - haproxy_server_connection_errors_total: one per request that found no connection to the server
//   after its retries. Without `option redispatch` HAProxy retries the same server (`retries`, 3 by
//   default, 1 s apart) and then answers 503. The retries themselves are retry_warnings_total, and a
//   request redispatched to another server succeeded: neither is a failure a client saw.
// - haproxy_server_response_errors_total: the server broke off or garbled its response, or timed out
//   (HAProxy answers 502 or 504); server_aborts_total is counted in it already.
// - haproxy_server_http_responses_total{code}: what the server answered, by status class. Its 5xx are
//   the application's own, counted by the application already: the colour's counts never add them.
//   Per server they are what tells one bad host from its siblings (domain/judge-hosts.ts). HAProxy's
//   503 for a refused server is counted on the backend, not the server.
// - haproxy_server_status{state="DOWN"}: the health check's verdict (a state set since 2.4). MAINT
//   and DRAIN are an operator's doing, not a failure. Once a server is DOWN it gets no requests, so
//   its error counters stop rising: `down` is what shows a dead candidate from then on.
import { z } from 'zod';
import type { ServerCounters } from '../domain/counters.js';
import type { Colour } from '../domain/metrics.js';
import { queryVector, unavailable, type QueryTarget } from './prometheus-query.js';

const validRegex = (p: string) => {
  try {
    new RegExp(`^(?:${p})$`);
    return true;
  } catch {
    return false;
  }
};

/** A colour's servers in the backend: an RE2 pattern over the whole server name, or the names themselves. */
const serverSelectorSchema = z.union([
  z.strictObject({ pattern: z.string().min(1).refine(validRegex, 'a regular expression') }),
  z.array(z.string().min(1)).min(1),
]);
type ServerSelector = z.infer<typeof serverSelectorSchema>;

/** The `balancer` section a region's metrics config can embed. */
export const balancerMetricsSchema = z.strictObject({
  kind: z.literal('haproxy').default('haproxy'),
  /** The HAProxy backend that serves the region's traffic: the exporter's `proxy` label. */
  backend: z.string().min(1),
  /** Which of its servers are each colour's, e.g. { pattern: 'green(-.+)?' } for green, green-2, … */
  servers: z.strictObject({ blue: serverSelectorSchema, green: serverSelectorSchema }),
  /** Target labels that tell this region's balancer apart in Prometheus; `{region}` is filled in. */
  labels: z.record(z.string().regex(/^[a-zA-Z_]\w*$/, 'a Prometheus label name'), z.string()).default({ region: '{region}' }),
});
export type BalancerMetricsConfig = z.infer<typeof balancerMetricsSchema>;

const quote = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
/** RE2 and JavaScript escape the same metacharacters. */
const escapeRegex = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function serverRegex(selector: ServerSelector): string {
  return Array.isArray(selector) ? selector.map(escapeRegex).join('|') : selector.pattern;
}

/** The label matchers of a colour's servers in a region, e.g. `region="us-east",proxy="api",server=~"green(-.+)?"`. */
function serverMatchers(cfg: BalancerMetricsConfig, region: string, colour: Colour): string {
  const labels = Object.entries(cfg.labels).map(([k, v]) => `${k}=${quote(v.replaceAll('{region}', region))}`);
  return [...labels, `proxy=${quote(cfg.backend)}`, `server=~${quote(serverRegex(cfg.servers[colour]))}`].join(',');
}

/**
 * Each of a colour's servers as the region's balancers report them at `time`, keyed
 * `server@instance` (a server behind two balancers is two entries, each with counters that reset
 * on its own). No server found, or a server without all its series, is MetricsUnavailable: a
 * balancer that is not scraped never reads as healthy.
 */
export async function readBalancerServers(
  target: QueryTarget,
  cfg: BalancerMetricsConfig,
  region: string,
  colour: Colour,
  time: Date = new Date(),
): Promise<Record<string, ServerCounters>> {
  const sel = serverMatchers(cfg, region, colour);
  const what = (x: string) => `${x} of ${colour}'s servers in ${region} (HAProxy backend ${cfg.backend})`;
  const [failed, status, answered] = await Promise.all([
    queryVector(
      target,
      `sum by (instance, server) ({__name__=~"haproxy_server_(connection|response)_errors_total",${sel}})`,
      time,
      what('balancer errors'),
    ),
    queryVector(target, `max by (instance, server) (haproxy_server_status{${sel},state="DOWN"})`, time, what('health-check status')),
    queryVector(target, `sum by (instance, server, code) (haproxy_server_http_responses_total{${sel}})`, time, what('responses')),
  ]);
  const key = (m: Record<string, string>) => `${m.server}@${m.instance}`;
  const down = new Map(status.map((s) => [key(s.metric), s.value]));
  const responses = new Map<string, { responses: number; serverErrors: number }>();
  for (const s of answered) {
    const r = responses.get(key(s.metric)) ?? { responses: 0, serverErrors: 0 };
    r.responses += s.value;
    if (s.metric.code === '5xx') r.serverErrors += s.value;
    responses.set(key(s.metric), r);
  }
  if (failed.length === 0 && down.size === 0) {
    throw unavailable(`no balancer series for ${colour}'s servers in ${region} (${sel})`);
  }
  const servers: Record<string, ServerCounters> = {};
  for (const s of failed) {
    const id = key(s.metric);
    const d = down.get(id);
    const r = responses.get(id);
    if (d === undefined || !r || ![s.value, d, r.responses, r.serverErrors].every(Number.isFinite))
      throw unavailable(`incomplete balancer series for server ${id} in ${region}`);
    servers[id] = { ...r, errors: s.value, down: d === 1 };
    down.delete(id);
  }
  if (down.size) throw unavailable(`no error counters for server ${[...down.keys()].join(', ')} in ${region}`);
  return servers;
}
