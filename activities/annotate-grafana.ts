// Grafana annotations: a marker on every dashboard's timeline where a rollout started, rolled
// back or finished, tagged so dashboards can filter by service, region, version and outcome.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Annotation, MeridianActivities } from '../domain/ports.js';
import { nonRetryable, retryAfter } from './errors.js';
import { type Env, lookupSecret } from './secrets.js';
import { postJson } from './vendor-http.js';

/** Grafana's address is not secret; its service-account token (GRAFANA_API_KEY) is. */
export const GrafanaConfigSchema = z.object({
  /** Grafana's root URL; annotations are off without it. */
  url: z.url().optional(),
  /** Pin annotations to one dashboard; without it they are organisation-wide and shown by tag. */
  dashboardUid: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive().default(10_000),
});
export type GrafanaConfig = z.output<typeof GrafanaConfigSchema>;

/** The tag every Meridian annotation carries; dashboards query annotations by it. */
const ANNOTATION_TAG = 'meridian';

function annotationTags(a: Annotation): string[] {
  return [`service:${a.service}`, `region:${a.region ?? 'all'}`, `version:${a.version}`, `outcome:${a.outcome}`, ANNOTATION_TAG];
}

function info(message: string): void {
  try {
    Context.current().log.info(message);
  } catch {
    // Outside an activity (lab scripts) there is no activity logger; stay quiet.
  }
}

export function createGrafanaActivities(cfg: GrafanaConfig, env: Env): Pick<MeridianActivities, 'annotate'> {
  return {
    async annotate(a: Annotation): Promise<void> {
      const key = lookupSecret(env, 'GRAFANA_API_KEY', a.region);
      if (!cfg.url || !key) {
        const missing = cfg.url ? 'GRAFANA_API_KEY unset' : 'no grafana.url';
        info(`Grafana annotations not configured (${missing}); skipped ${a.outcome} for ${a.service}`);
        return;
      }
      const text = a.text.includes(a.correlationId) ? a.text : `${a.text} (correlation ID ${a.correlationId})`;
      const body = { time: Date.now(), tags: annotationTags(a), text, ...(cfg.dashboardUid ? { dashboardUID: cfg.dashboardUid } : {}) };
      let status = 0;
      const result = await postJson(
        new URL('api/annotations', cfg.url.endsWith('/') ? cfg.url : `${cfg.url}/`).toString(),
        body,
        { timeoutMs: cfg.timeoutMs, headers: { authorization: `Bearer ${key}` }, secrets: [key] },
        (s, answer) => {
          status = s;
          return s === 200 ? undefined : `Grafana answered HTTP ${s} ${answer.slice(0, 120)}`.trim();
        },
      );
      if (result.ok) return;
      const msg = `could not annotate ${a.service}: ${result.reason}`;
      if (status === 401 || status === 403) throw nonRetryable('AuthenticationError', `${msg} (check GRAFANA_API_KEY)`);
      if (status === 429 && result.retryAfterMs !== undefined) throw retryAfter('RateLimited', msg, result.retryAfterMs);
      if (result.permanent) throw nonRetryable('ConfigurationError', msg);
      throw ApplicationFailure.retryable(msg, 'GrafanaUnavailable');
    },
  };
}
