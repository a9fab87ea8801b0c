// DNS per region through whichever provider the region's config names (`dns.kind`); a region
// without DNS settings keeps its record as it is. A second vendor is one file plus one line in each
// of the two places below.
import { z } from 'zod';
import type { Colour } from '../domain/metrics.js';
import type { DnsActivities, RegionContext } from '../domain/ports.js';
import { CloudflareDnsConfigSchema, createCloudflareDnsActivities } from './dns-cloudflare.js';
import type { Env } from './secrets.js';

export const dnsConfigSchema = z.discriminatedUnion('kind', [CloudflareDnsConfigSchema.extend({ kind: z.literal('cloudflare') })]);
export type DnsConfig = z.output<typeof dnsConfigSchema>;

export function createDnsActivities(cfg: DnsConfig | undefined, env: Env): DnsActivities {
  if (!cfg) return { pointDnsAt: async (ctx: RegionContext, _colour: Colour) => ({ changed: false, summary: `DNS not configured for ${ctx.region}` }) };
  switch (cfg.kind) {
    case 'cloudflare':
      return createCloudflareDnsActivities(cfg, env);
  }
}
