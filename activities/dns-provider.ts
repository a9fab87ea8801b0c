// The DNS seam: one interface, one file per provider (dns-cloudflare.ts), chosen per region by
// `dns.kind` in dns.ts.
import type { Colour } from '../domain/metrics.js';
import type { ChangeReport, RegionContext } from '../domain/ports.js';

export interface DnsProvider {
  /** Points the region's API record at the colour; `previous` is the colour it pointed at, if either. */
  pointAt(ctx: RegionContext, colour: Colour): Promise<ChangeReport & { previous?: Colour }>;
}
