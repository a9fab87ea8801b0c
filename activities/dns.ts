// DNS per region through whichever provider the region's config names (`dns.kind`); a region
// without DNS settings keeps its record as it is. A second vendor is one file plus one line in each
// of the two places below.
import { z } from 'zod';
import type { DnsActivities } from '../domain/ports.js';
import { CloudflareDnsConfigSchema, createCloudflareDnsActivities } from './dns-cloudflare.js';
import type { Env } from './secrets.js';
import { byKind } from './vendor-choice.js';

export const dnsConfigSchema = z.discriminatedUnion('kind', [CloudflareDnsConfigSchema.extend({ kind: z.literal('cloudflare') })]);
export type DnsConfig = z.output<typeof dnsConfigSchema>;

const createVendor = byKind<DnsConfig, [Env], DnsActivities>({ cloudflare: createCloudflareDnsActivities });

export function createDnsActivities(cfg: DnsConfig | undefined, env: Env): DnsActivities {
  if (!cfg) return { pointDnsAt: async (ctx) => ({ changed: false, summary: `DNS not configured for ${ctx.region}` }) };
  return createVendor(cfg, env);
}
