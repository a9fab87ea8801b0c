// annotate() against the Grafana annotations API stand-in: tags, bearer auth, failure mapping,
// and the API key kept out of errors and logs.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGrafanaActivities, GrafanaConfigSchema } from '../../activities/annotate-grafana.js';
import { createNotifyActivities, NotifyConfigSchema } from '../../activities/notify.js';
import type { Env } from '../../activities/secrets.js';
import type { Annotation } from '../../domain/ports.js';
import { type GrafanaStandIn, startGrafanaStandIn } from '../../lab/standins/grafana-api.js';
import { LINKS } from '../helpers/cards.js';
import { capturingLogger, expectNoSecrets, serializeError } from '../helpers/secrets.js';

const KEY = 'glsa_Xy7pQ2mN9vR4tK8wZ1bC3dF5_0a1b2c3d';
const ENV: Env = { GRAFANA_API_KEY: KEY };
let grafana: GrafanaStandIn;
const { logger, lines: logLines } = capturingLogger();

const rolledBack: Annotation = {
  correlationId: 'rollout-checkout',
  service: 'checkout',
  version: 'v1.12.3',
  region: 'eu-west',
  outcome: 'rolled_back',
  text: 'eu-west rolled back: error rate 2.10% > 1.00% at canary 25%',
};

const annotate = (a: Annotation, env: Env = ENV, url: string | null = grafana.url) =>
  new MockActivityEnvironment({}, { logger }).run(createGrafanaActivities(GrafanaConfigSchema.parse(url ? { url } : {}), env).annotate, a);

async function failure(a: Annotation, env: Env): Promise<ApplicationFailure> {
  const err = await annotate(a, env).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  expectNoSecrets(serializeError(err), [KEY, 'glsa_wrong_key_000000']);
  return err as ApplicationFailure;
}

beforeAll(async () => {
  grafana = await startGrafanaStandIn({ apiKey: KEY });
});
afterAll(async () => {
  await grafana?.close();
  expectNoSecrets(logLines.join('\n'), [KEY, 'glsa_wrong_key_000000']);
});
beforeEach(() => {
  grafana.clearFaults();
  grafana.annotations.length = 0;
});

describe('annotate (Grafana)', () => {
  it('adds an annotation tagged service, region, version, outcome and meridian', async () => {
    const before = Date.now();
    await annotate(rolledBack);
    expect(grafana.annotations).toHaveLength(1);
    const [a] = grafana.annotations;
    expect(a?.tags).toEqual(['service:checkout', 'region:eu-west', 'version:v1.12.3', 'outcome:rolled_back', 'meridian']);
    expect(a?.text).toBe('eu-west rolled back: error rate 2.10% > 1.00% at canary 25% (correlation ID rollout-checkout)');
    expect(a?.time).toBeGreaterThanOrEqual(before);

    // Dashboards find it by tag, the way the annotation query does.
    const res = await fetch(`${grafana.url}/api/annotations?tags=meridian&tags=region:eu-west`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(await res.json()).toEqual([expect.objectContaining({ id: a?.id, tags: a?.tags })]);
  });

  it('tags a rollout-wide annotation region:all', async () => {
    const { region: _, ...global } = rolledBack;
    await annotate({ ...global, outcome: 'partially_succeeded', text: 'rollout-checkout partially succeeded' });
    expect(grafana.annotations[0]?.tags).toContain('region:all');
    expect(grafana.annotations[0]?.text).toBe('rollout-checkout partially succeeded');
  });

  it('a wrong API key fails fast, non-retryable, without the key in the error', async () => {
    const f = await failure(rolledBack, { GRAFANA_API_KEY: 'glsa_wrong_key_000000' });
    expect(f).toMatchObject({ type: 'AuthenticationError', nonRetryable: true });
    expect(f.message).toContain('HTTP 401');
    expect(grafana.annotations).toHaveLength(0);
  });

  it('5xx is retryable; 429 carries Retry-After as nextRetryDelay', async () => {
    grafana.inject({ status: 500 });
    expect(await failure(rolledBack, ENV)).toMatchObject({ type: 'GrafanaUnavailable', nonRetryable: false });
    grafana.inject({ status: 429, retryAfterSeconds: 12 });
    expect(await failure(rolledBack, ENV)).toMatchObject({ type: 'RateLimited', nonRetryable: false, nextRetryDelay: 12_000 });
    expect(grafana.annotations).toHaveLength(0);
  });

  it('does nothing without a URL or a key', async () => {
    await annotate(rolledBack, {});
    await annotate(rolledBack, ENV, null);
    expect(grafana.annotations).toHaveLength(0);
    expect(logLines.some((l) => l.includes('Grafana annotations not configured (GRAFANA_API_KEY unset)'))).toBe(true);
    expect(logLines.some((l) => l.includes('Grafana annotations not configured (no grafana.url)'))).toBe(true);
  });

  it('is part of the notify activities, configured by the grafana slice', async () => {
    const acts = createNotifyActivities(NotifyConfigSchema.parse({ links: LINKS, grafana: { url: grafana.url } }), ENV);
    await new MockActivityEnvironment({}, { logger }).run(acts.annotate, rolledBack);
    expect(grafana.annotations).toHaveLength(1);
  });
});
