// Where a region's counts come from, in the worker config's `metrics.counts`: the service's request
// counter, which of its series are 5xx, its latency histogram, and the labels that pick a colour
// and tell its instances apart. The defaults are the lab's sample service. Checked for shape when
// the config is parsed, and against what Prometheus holds before a rollout touches the region
// (checkMetrics).
import { z } from 'zod';

const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'a Prometheus metric name');
const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name');

const MATCHER = String.raw`[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"`;
const MATCHERS = new RegExp(String.raw`^\s*${MATCHER}(?:\s*,\s*${MATCHER})*\s*$`);

/** Placeholders a template may use: anything else in braces is a typo that would reach Prometheus. */
function unknownPlaceholders(template: string, known: readonly string[]): string[] {
  // A name, not a regex quantifier such as 5[0-9]{2}.
  return [...template.matchAll(/\{([A-Za-z_]\w*)\}/g)].map((m) => m[1]!).filter((name) => !known.includes(name));
}

const SELECTOR_VARS = ['region', 'colour', 'service'] as const;
export const QUERY_VARS = [...SELECTOR_VARS, 'window'] as const;

/** A template refined to use only the given placeholders. */
export const withPlaceholders = <T extends z.ZodType<string>>(schema: T, known: readonly string[]) =>
  schema.superRefine((t, ctx) => {
    const unknown = unknownPlaceholders(t, known);
    if (unknown.length)
      ctx.addIssue({
        code: 'custom',
        message: `unknown placeholder ${unknown.map((u) => `{${u}}`).join(', ')}; known: ${known.map((k) => `{${k}}`).join(' ')}`,
      });
  });

const matchers = (example: string) => withPlaceholders(z.string().regex(MATCHERS, `label matchers such as ${example}`), SELECTOR_VARS);

export const countsConfigSchema = z.strictObject({
  /** The request counter: every response the service answered, whatever its status. */
  requests: metricName.default('http_requests_total'),
  /** Matchers that pick one colour's series in the region ({region} {colour} {service} are filled in). */
  selector: matchers('region="{region}",colour="{colour}"')
    .refine((s) => s.includes('{colour}'), 'must use {colour}: without it both colours read the same series')
    .default('region="{region}",colour="{colour}"'),
  /** Matchers that pick the 5xx among the request counter's series. */
  errors: matchers('code=~"5.."').default('code=~"5.."'),
  /** The latency histogram, in seconds, without its _bucket suffix: it needs le="+Inf" and a bucket at or below each stage's limit. */
  latencyHistogram: metricName.default('http_request_duration_seconds'),
  /** The label that tells a colour's instances apart (Prometheus' own target label by default). */
  instanceLabel: labelName.default('instance'),
});
export type CountsConfig = z.infer<typeof countsConfigSchema>;

/** Raw cumulative counters per instance, for exact counts between two samples (domain/counters.ts). */
export function sampleQueries(c: CountsConfig) {
  const by = c.instanceLabel;
  // A sum over an instance's series (status codes, versions) drops when a restart resets them all,
  // which countsBetween reads as a reset.
  return {
    requests: `sum by (${by}) (${c.requests}{${c.selector}})`,
    errors: `sum by (${by}) (${c.requests}{${c.selector},${c.errors}})`,
    buckets: `sum by (${by}, le) (${c.latencyHistogram}_bucket{${c.selector}})`,
    /** The histogram's bucket bounds, for checkMetrics. */
    bounds: `count by (le) (${c.latencyHistogram}_bucket{${c.selector}})`,
  };
}

/** The rate-window readings on the same series ({window} is filled in too); CPU and memory from the process. */
export function windowQueries(c: CountsConfig) {
  const sel = c.selector;
  return {
    // `or vector(0)`: traffic without any 5xx series is 0 % errors; no traffic at all stays empty or 0/0.
    errorRatePct:
      `100 * (sum(rate(${c.requests}{${sel},${c.errors}}[{window}])) or vector(0)) / ` + `sum(rate(${c.requests}{${sel}}[{window}]))`,
    latencyP95Ms: `1000 * histogram_quantile(0.95, sum by (le) (rate(${c.latencyHistogram}_bucket{${sel}}[{window}])))`,
    cpuPct: `100 * avg(rate(process_cpu_seconds_total{${sel}}[{window}]))`,
    memoryPct: `100 * sum(process_resident_memory_bytes{${sel}}) / sum(host_memory_total_bytes{${sel}})`,
  };
}
