// Cloudflare DNS, the DnsProvider of `dns.kind` "cloudflare": the region's API record points at
// the blue or the green droplet.
// The SDK's own retries are off so Temporal's retry policy alone decides: 429 waits Retry-After,
// 5xx and network errors retry, a rejected token or a missing record fail at once.
import Cloudflare, { APIConnectionError, APIError } from 'cloudflare';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Colour } from '../domain/metrics.js';
import type { ChangeReport, RegionContext } from '../domain/ports.js';
import type { DnsProvider } from './dns-provider.js';
import { nonRetryable, retryAfter } from './errors.js';
import { networkCause, redact, retryAfterSeconds } from './vendor-http.js';
import { type Env, lookupSecret } from './secrets.js';
import { vendor } from './vendor-choice.js';

/** Non-secret settings; zone, record, token and IPs come from the environment. */
export const CloudflareDnsConfigSchema = z.object({
  /** The API root; the lab and tests point it at the stand-in. */
  baseUrl: z.url().default('https://api.cloudflare.com/client/v4'),
  timeoutMs: z.number().int().positive().default(15_000),
});
export type CloudflareDnsConfig = z.output<typeof CloudflareDnsConfigSchema>;

/** Environment names read per region (NAME__EU_WEST overrides NAME). */
const DNS_SECRETS = ['CF_RECORD_ID_API', 'CF_ZONE_ID', 'CF_API_TOKEN', 'DROPLET_IP_BLUE', 'DROPLET_IP_GREEN'] as const;

type DnsSecrets = Record<(typeof DNS_SECRETS)[number], string | undefined>;

function secretsFor(env: Env, region: string): DnsSecrets {
  return Object.fromEntries(DNS_SECRETS.map((n) => [n, lookupSecret(env, n, region)])) as DnsSecrets;
}

/** Maps an SDK failure onto Temporal's retry semantics, with a message free of secrets. */
function toFailure(err: unknown, what: string, secrets: string[]): Error {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof APIConnectionError) {
    const why = err.name === 'APIConnectionTimeoutError' ? 'timed out' : networkCause(err, { secrets });
    return ApplicationFailure.retryable(`could not reach Cloudflare to ${what}: ${why}`, 'CloudflareUnreachable');
  }
  if (err instanceof APIError) {
    const status = err.status ?? 0;
    const codes = (err.errors ?? []).map((e) => `${e.code} ${e.message}`).join('; ');
    const msg = redact(`Cloudflare answered HTTP ${status} to ${what}${codes ? `: ${codes}` : ''}`, secrets);
    if (status === 429) {
      const secs = retryAfterSeconds(err.headers?.get('retry-after'));
      return secs === undefined ? ApplicationFailure.retryable(msg, 'RateLimited') : retryAfter('RateLimited', msg, secs * 1000);
    }
    if (status === 401 || status === 403) return nonRetryable('AuthenticationError', `${msg} (check CF_API_TOKEN)`);
    if (status === 404) return nonRetryable('ConfigurationError', `${msg} (check CF_ZONE_ID and CF_RECORD_ID_API)`);
    if (status >= 500) return ApplicationFailure.retryable(msg, 'CloudflareUnavailable');
    return nonRetryable('ConfigurationError', msg);
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.retryable(redact(`unexpected error trying to ${what}: ${message}`, secrets), 'CloudflareError');
}

export function createCloudflareDns(cfg: CloudflareDnsConfig, env: Env): DnsProvider {
  return {
    async pointAt(ctx: RegionContext, colour: Colour): Promise<ChangeReport & { previous?: Colour }> {
      const s = secretsFor(env, ctx.region);
      // The record ID is a region's opt-in to DNS switching; without it the region has no DNS step.
      if (!s.CF_RECORD_ID_API) return { changed: false, summary: `DNS not configured for ${ctx.region}` };
      const missing = DNS_SECRETS.filter((n) => !s[n]);
      if (missing.length) throw nonRetryable('ConfigurationError', `DNS for ${ctx.region} is missing ${missing.join(', ')}`);
      const {
        CF_RECORD_ID_API: recordId,
        CF_ZONE_ID: zoneId,
        CF_API_TOKEN: token,
        DROPLET_IP_BLUE: blueIp,
        DROPLET_IP_GREEN: greenIp,
      } = s as Record<keyof DnsSecrets, string>;
      const secrets = [token, zoneId, recordId, blueIp, greenIp];
      const record = `the ${ctx.region} API record`;

      const client = new Cloudflare({
        apiToken: token,
        // Explicit nulls keep the SDK from picking up other credentials from the process environment.
        apiKey: null,
        apiEmail: null,
        userServiceKey: null,
        baseURL: cfg.baseUrl,
        maxRetries: 0,
        timeout: cfg.timeoutMs,
        // The SDK's debug logs include request bodies (the IPs).
        logLevel: 'off',
      });

      let current;
      try {
        current = await client.dns.records.get(recordId, { zone_id: zoneId });
      } catch (err) {
        throw toFailure(err, `read ${record}`, secrets);
      }
      const content = (current as { content?: string }).content;
      const previous: Colour | undefined = content === blueIp ? 'blue' : content === greenIp ? 'green' : undefined;
      if (previous === colour) return { changed: false, previous, summary: `${record} already points at ${colour}` };
      if (current.type !== 'A' && current.type !== 'AAAA') {
        throw nonRetryable('ConfigurationError', `${record} is a ${current.type} record; Meridian switches A or AAAA records only`);
      }
      const from = previous ?? 'an address that is neither blue nor green';
      if (ctx.dryRun) return { changed: false, previous, summary: `dry run: would point ${record} from ${from} to ${colour}` };

      const target = colour === 'blue' ? blueIp : greenIp;
      let updated;
      try {
        updated = await client.dns.records.edit(recordId, {
          zone_id: zoneId,
          type: current.type,
          name: current.name,
          ttl: current.ttl,
          content: target,
        });
      } catch (err) {
        throw toFailure(err, `point ${record} at ${colour}`, secrets);
      }
      if ((updated as { content?: string }).content !== target) {
        throw ApplicationFailure.retryable(`Cloudflare accepted the change but ${record} does not point at ${colour}`, 'DnsNotApplied');
      }
      return { changed: true, previous, summary: `pointed ${record} from ${from} to ${colour}` };
    },
  };
}

export const cloudflareDns = vendor('cloudflare', CloudflareDnsConfigSchema, createCloudflareDns);
