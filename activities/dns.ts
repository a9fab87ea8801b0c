// The DNS concern: the factory that builds a region's DnsProvider by `dns.kind`, and the activity,
// which sends each call to its region's provider. A region without DNS settings keeps its record.
import { z } from 'zod';
import type { DnsActivities } from '../domain/ports.js';
import { cloudflareDns } from './dns-cloudflare.js';
import type { DnsProvider } from './dns-provider.js';
import type { Env } from './secrets.js';
import { kinds, type RegionVendorArgs } from './vendor-choice.js';

const providers = kinds<DnsProvider, RegionVendorArgs>()(cloudflareDns);

export const dnsConfigSchema = providers.schema;
export type DnsConfig = z.output<typeof dnsConfigSchema>;

export function createDnsProvider(cfg: DnsConfig | undefined, env: Env, region: string): DnsProvider {
  if (!cfg) return { pointAt: async () => ({ changed: false, summary: `DNS not configured for ${region}` }) };
  return providers.create(cfg, env, region);
}

export function createDnsActivities(dns: (region: string) => DnsProvider): DnsActivities {
  return { pointDnsAt: async (ctx, colour) => dns(ctx.region).pointAt(ctx, colour) };
}
