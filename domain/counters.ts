// Raw counters as Prometheus last scraped them, one entry per instance (scrape target) of a colour,
// and the exact counts since a period began, accumulated from them poll by poll.
// Why not `increase()` over the period: it is extrapolated to the range's edges (fractional,
// often above or below the true count), and a series created by its first event (the first 5xx)
// loses that event. Differences of raw counters, with resets handled as Prometheus handles them
// (a drop means the counter restarted from 0), give whole numbers that add up.
import type { ColourCounts } from './judge-counts.js';
import type { HostCounts } from './judge-hosts.js';

/** One instance's cumulative counters: what the application exports. */
interface InstanceCounters {
  requests: number;
  /** 5xx answered by the application. */
  errors: number;
  /** Requests above the period's latency limit: the histogram's +Inf count minus the bucket at the limit. */
  slow: number;
}

/** One balancer server's cumulative counters: what it answered, and the failures the balancer answered itself for it. */
export interface ServerCounters {
  /** Responses the server sent, any status: with `errors`, the host's requests (domain/judge-hosts.ts). */
  responses: number;
  /** Of those, its 5xx. */
  serverErrors: number;
  /** Requests sent to this server that the balancer failed (connection or response errors, its own 502/503/504). */
  errors: number;
  /** The balancer's health check has the server down. */
  down: boolean;
}

/** One colour at one instant: its instances' counters and, where read, its balancer servers'. */
export interface ColourSample {
  instances: Record<string, InstanceCounters>;
  servers?: Record<string, ServerCounters>;
}

/** A counter's increase from `before` to `now`: a drop is a restart from 0 (Prometheus' reset rule). */
const rise = (before: number | undefined, now: number): number => (before === undefined ? now : now >= before ? now - before : now);

/**
 * What a colour served between two samples. An instance absent before counts from 0 (its series
 * was created after, by its first request); one absent now adds nothing (gone, or not scraped).
 * Requests the balancer failed never reached the application: they are added to its requests
 * and errors both.
 */
export function countsBetween(before: ColourSample | undefined, now: ColourSample): ColourCounts {
  let requests = 0;
  let errors = 0;
  let slow = 0;
  for (const id in now.instances) {
    const c = now.instances[id]!;
    const b = before?.instances[id];
    const r = rise(b?.requests, c.requests);
    requests += r;
    errors += Math.min(r, rise(b?.errors, c.errors));
    slow += Math.min(r, rise(b?.slow, c.slow));
  }
  for (const id in now.servers) {
    const failed = rise(before?.servers?.[id]?.errors, now.servers[id]!.errors);
    requests += failed;
    errors += failed;
  }
  return { requests, errors, slow };
}

/**
 * What each of a colour's hosts served between two samples, by balancer server name (a server
 * behind two balancers, `name@balancer` twice, adds up): its responses and the balancer's
 * failures for it, the 5xx among the first and all of the second.
 */
export function hostCountsBetween(before: ColourSample | undefined, now: ColourSample): Record<string, HostCounts> {
  const hosts: Record<string, HostCounts> = {};
  for (const id in now.servers) {
    const c = now.servers[id]!;
    const b = before?.servers?.[id];
    const responses = rise(b?.responses, c.responses);
    const failed = rise(b?.errors, c.errors);
    const host = (hosts[id.replace(/@.*$/, '')] ??= { requests: 0, errors: 0 });
    host.requests += responses + failed;
    host.errors += Math.min(responses, rise(b?.serverErrors, c.serverErrors)) + failed;
  }
  return hosts;
}

/** The colour's servers that the balancer has down (or, with `down` false, up). */
export const downServers = (s: ColourSample, down = true): string[] =>
  Object.entries(s.servers ?? {})
    .filter(([, x]) => x.down === down)
    .map(([id]) => id)
    .sort();
