// The lab's "init system": a release's restartCommand (run over SSH on the colour's host, from the
// unpacked release) hands the release's fault.json and VERSION to this agent, which restarts the
// running sample service as that version, applies the region's share of the faults, and timestamps
// every fault injection in faults.jsonl, so benchmarks can measure the time from a fault to its rollback.
// A fault may wait for the colour's weight on the balancer (a release that fails only at 100 %).
import { appendFileSync } from 'node:fs';
import type { Colour } from '../domain/metrics.js';
import { RELEASE_TAG } from '../domain/rollout-input.js';
import type { Fault, SampleService } from './sample-service.js';
import { listen, parseJson, readBody, send } from './standins/http.js';

/** One region's fault; with `fromWeightPct` it shows only once the colour's weight reaches that %. */
type ReleaseFault = Partial<Fault> & { fromWeightPct?: number };

/** A release's fault.json: how the version behaves by default and in particular regions. */
export interface ReleaseFaults {
  default: ReleaseFault;
  regions?: Record<string, ReleaseFault>;
}

/** What a lab release's artifact holds: its faults and the version it reports once running. */
export function releaseFiles(version: string, faults: ReleaseFaults): Record<string, string> {
  return { 'fault.json': JSON.stringify(faults), VERSION: `${version}\n` };
}

/** The header a restart names its release's version in (a query string would mangle a "+build" tag). */
const VERSION_HEADER = 'x-release-version';

/**
 * A colour's restartCommand: run from the unpacked release, it reports the release's own VERSION
 * file (what was installed, not what the rollout asked for) and its fault.json.
 */
export function restartCommand(agentUrl: string, region: string, colour: Colour, host?: number): string {
  return (
    `curl -fsS -X PUT -H "${VERSION_HEADER}: $(cat VERSION)" ` +
    `--data-binary @fault.json "${agentUrl}/apply/${region}/${colour}${host ? `/${host}` : ''}" >/dev/null`
  );
}

type FaultKind = 'error-rate' | 'latency';

/** One line of faults.jsonl. */
export interface FaultInjection {
  /** ISO time the running service started misbehaving. */
  time: string;
  region: string;
  colour: Colour;
  version: string;
  kind: FaultKind;
  /** errorRatePct (%) for error-rate, latencyMs (ms) for latency. */
  value: number;
  /** The fault waited for the colour's weight to reach this % (time is when it did). */
  fromWeightPct?: number;
}

export interface FaultAgent {
  /** Base URL; a restart PUTs fault.json to `${url}/apply/<region>/<colour>`, the version in a header (see restartCommand). */
  url: string;
  injections: FaultInjection[];
  close(): Promise<void>;
}

/** The fault a release carries for one region; unset figures mean healthy. */
function faultFor(release: ReleaseFaults, region: string): Fault {
  const f = release.regions?.[region] ?? release.default;
  return { errorRatePct: f.errorRatePct ?? 0, latencyMs: f.latencyMs ?? 0 };
}

/** How often a fault waiting for a weight reads the balancer. */
const WEIGHT_POLL_MS = 100;

export async function startFaultAgent(opts: {
  /** Each region's colours: one service, or a fleet's (a restart of host n reaches its n-th, 1-based). */
  services: Record<string, Record<Colour, SampleService | SampleService[]>>;
  /** The colour's weight (%) on its region's balancer now; needed by faults with fromWeightPct. */
  weightOf?: (region: string, colour: Colour) => Promise<number>;
  /** faults.jsonl: appended, so several runs can be compared. */
  logPath: string;
  onInjection?: (i: FaultInjection) => void;
}): Promise<FaultAgent> {
  const injections: FaultInjection[] = [];
  // Per region/colour, the watch of a fault waiting for its weight; a restart or close ends it.
  const waiting = new Map<string, { stopped: boolean }>();
  const record = (found: FaultInjection[]) => {
    for (const i of found) {
      injections.push(i);
      appendFileSync(opts.logPath, `${JSON.stringify(i)}\n`);
      opts.onInjection?.(i);
    }
  };
  const http = await listen(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    const m = /^\/apply\/([a-z0-9-]+)\/(blue|green)(?:\/(\d+))?$/.exec(url.pathname);
    const colourServices = m ? opts.services[m[1]!]?.[m[2] as Colour] : undefined;
    const svc = Array.isArray(colourServices) ? colourServices[Number(m![3] ?? 1) - 1] : colourServices;
    if (!m || !svc || req.method !== 'PUT') return send(res, 404, { error: 'no such region/colour' });
    const version = String(req.headers[VERSION_HEADER] ?? '');
    if (!RELEASE_TAG.test(version)) return send(res, 400, { error: `${VERSION_HEADER} must be the release's tag, got "${version}"` });
    const release = parseJson(await readBody(req)) as ReleaseFaults | undefined;
    if (!release || typeof release !== 'object' || typeof release.default !== 'object')
      return send(res, 400, { error: 'fault.json must be {default, regions?}' });
    const [, region = '', colourName] = m;
    const colour = colourName as Colour;
    const fault = faultFor(release, region);
    const fromWeightPct = (release.regions?.[region] ?? release.default).fromWeightPct;
    if (fromWeightPct !== undefined && !(typeof fromWeightPct === 'number' && fromWeightPct > 0 && fromWeightPct <= 100))
      return send(res, 400, { error: `fromWeightPct must be a number in (0, 100], got ${String(fromWeightPct)}` });
    if (fromWeightPct !== undefined && !opts.weightOf) return send(res, 400, { error: 'this agent cannot read weights (fromWeightPct)' });
    const key = `${region}/${colour}/${m[3] ?? 1}`;
    const previous = waiting.get(key);
    if (previous) previous.stopped = true;
    waiting.delete(key);
    try {
      svc.setFault(fault);
    } catch (err) {
      return send(res, 400, { error: (err as Error).message });
    }
    // Checked above; healthy until the weight is reached (same tick: no request sees the fault).
    if (fromWeightPct !== undefined) svc.setFault({ errorRatePct: 0, latencyMs: 0 });
    svc.restart(version);
    const injected = (): FaultInjection[] => {
      const time = new Date().toISOString();
      const at = fromWeightPct === undefined ? {} : { fromWeightPct };
      const found: FaultInjection[] = [];
      if (fault.errorRatePct > 0) found.push({ time, region, colour, version, kind: 'error-rate', value: fault.errorRatePct, ...at });
      if (fault.latencyMs > 0) found.push({ time, region, colour, version, kind: 'latency', value: fault.latencyMs, ...at });
      return found;
    };
    if (fromWeightPct === undefined) {
      record(injected());
    } else {
      const watch = { stopped: false };
      waiting.set(key, watch);
      void (async () => {
        while (!watch.stopped) {
          // A balancer that does not answer (stopping) is read again; only the weight starts the fault.
          const w = await opts.weightOf!(region, colour).catch(() => NaN);
          if (watch.stopped) return;
          if (w >= fromWeightPct) {
            svc.setFault(fault);
            waiting.delete(key);
            return record(injected());
          }
          await new Promise((r) => setTimeout(r, WEIGHT_POLL_MS));
        }
      })();
    }
    return send(res, 200, { region, colour, version, fault, ...(fromWeightPct === undefined ? {} : { fromWeightPct }) });
  });
  return {
    url: http.origin,
    injections,
    close: () => {
      for (const w of waiting.values()) w.stopped = true;
      waiting.clear();
      return http.close();
    },
  };
}
