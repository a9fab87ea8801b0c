// The demo's options: its flags, their defaults and its help text (`npm start -- --help`).
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RejectedInput } from '../client/errors.js';
import { PROJECT_ROOT } from './temporal-binaries.js';
import { LAB_REGIONS } from './lab.js';

const FAULT_KINDS = ['none', 'error-rate', 'latency', 'subtle', 'host', 'hosts'] as const;
export type FaultChoice = (typeof FAULT_KINDS)[number];
/** The faults a release carries (the rest are hosts that never come up healthy). */
export type ReleaseFault = keyof typeof FAULT_VALUES;
export const isReleaseFault = (f: FaultChoice): f is ReleaseFault => Object.hasOwn(FAULT_VALUES, f);
/** Broken green hosts in the fault region, per host fault: one the minimum allows, then one too many. */
export const BROKEN_HOSTS: Partial<Record<FaultChoice, string[]>> = { host: ['green-2'], hosts: ['green-2', 'green-3'] };

/** What each fault kind does to the new version in the faulty region. */
export const FAULT_VALUES = { 'error-rate': { errorRatePct: 20 }, latency: { latencyMs: 900 }, subtle: { errorRatePct: 0.6 } } as const;
export const SERVICE = 'checkout-api';
export const VERSION = 'v2.0.0';
/** Scaled seconds between a stage's progress reports (Pushgateway): a few in each of the demo's stages. */
const SCALED_REPORT_SECONDS = 6;

export interface DemoOptions {
  fault: FaultChoice;
  faultRegion: string;
  timeScale: number;
  keepRunning: boolean;
  json: boolean;
  /** Where faults.jsonl and the run's working files go. Default .lab/ in the project. */
  labDir: string;
  /** Requests per second per region. */
  rate: number;
  /** Requests per second per region straight to the stable colour's service, past HAProxy. */
  residualRate: number;
  /** The fault shows only once the candidate's weight reaches this %; unset: from its deploy. */
  faultFromWeight?: number;
  /** The dev server's frontend port (its Web UI on the port + 1000); default 7233 when free, else any. */
  temporalPort?: number;
  /** Hosts per colour in each region; a rollout needs all but one of them healthy. */
  hosts: number;
  /** The lab regions to run, in rollout order (default all three). */
  regions: string[];
}

export const DEFAULT_OPTIONS: DemoOptions = {
  fault: 'error-rate',
  faultRegion: 'eu-west',
  timeScale: 0.03,
  keepRunning: false,
  json: false,
  labDir: join(PROJECT_ROOT, '.lab'),
  rate: 50,
  residualRate: 0,
  hosts: 1,
  regions: [...LAB_REGIONS],
};

const { 'error-rate': ERROR_RATE_FAULT, latency: LATENCY_FAULT } = FAULT_VALUES;

export const HELP = `Usage: npm start -- [options]     (or: npx tsx lab/demo.ts [options])

Runs a real multi-region rollout on loopback: the Temporal dev server and Web UI, the Meridian
worker, three regions (us-east, eu-west, apac-se; fewer with --regions) of HAProxy + blue/green
sample services, SSH deploys, Prometheus, the Pushgateway and Slack/Teams/Cloudflare/Grafana stand-ins, under steady load.
A new version is released that is healthy everywhere except in the fault region: regions before it
promote, the fault region rolls back at the stage that breaches, later regions are skipped.

Options:
  --fault none|error-rate|latency|subtle|host|hosts
                                    fault of the new version in the fault region (default error-rate:
                                    ${ERROR_RATE_FAULT.errorRatePct}% errors; latency: +${LATENCY_FAULT.latencyMs} ms per request;
                                    subtle: ${FAULT_VALUES.subtle.errorRatePct}% errors while blue serves none, a regression only
                                    the canary judge's comparison with blue tells from noise; host: green-2
                                    never comes up healthy, so it is taken out and the region goes on with
                                    the others; hosts: green-2 and green-3 fail, below the minimum: the
                                    region fails before any traffic moves; both need --hosts 3 or more)
  --hosts <n>                       hosts per colour per region, 1 to 10 (default 1); each its own address,
                                    sshd login and HAProxy server; a rollout needs all but one healthy
  --fault-region <region>           where the fault shows (default eu-west); one of --regions
  --regions <r1,r2,...>|all         the lab regions to run, in rollout order (default all: us-east,eu-west,apac-se);
                                    fewer regions start fewer daemons and end sooner
  --time-scale <n>                  scales every duration of the rollout, 0 < n <= 1 (default 0.03: about 3.5 min in all)
  --rate <n>                        requests per second per region (default 50)
  --residual-rate <n>               also n requests per second per region straight to the stable colour's
                                    service, past HAProxy, as drained keep-alive clients or a health
                                    checker would send (default 0): at 100 % it still serves them
  --fault-from-weight <pct>         the fault shows only once the candidate's weight reaches pct (e.g.
                                    100: a release that fails under all the traffic; default: from its deploy)
  --temporal-port <n>               the dev server's port, its Web UI on n + 1000 (default 7233 and
                                    8233 when free, else free ones; set it to run labs side by side)
  --keep-running                    stay up after the rollout to explore the Web UI, until Ctrl-C
  --json                            print the final result as JSON on stdout (progress goes to stderr)
  --lab-dir <dir>                   faults.jsonl and working files (default .lab/)
  --help                            this text

Exit code 0 when the outcome matched the expectation for the chosen fault, 1 when it did not,
2 for bad options, 130 when interrupted. Fault injections are appended to <lab-dir>/faults.jsonl.`;

export function parseDemoArgs(argv: string[]): DemoOptions & { help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        fault: { type: 'string' },
        'fault-region': { type: 'string' },
        'time-scale': { type: 'string' },
        rate: { type: 'string' },
        'residual-rate': { type: 'string' },
        'fault-from-weight': { type: 'string' },
        'temporal-port': { type: 'string' },
        hosts: { type: 'string' },
        regions: { type: 'string' },
        'keep-running': { type: 'boolean' },
        json: { type: 'boolean' },
        'lab-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new RejectedInput((err as Error).message);
  }
  const fault = (values.fault ?? DEFAULT_OPTIONS.fault) as FaultChoice;
  if (!FAULT_KINDS.includes(fault)) throw new RejectedInput(`--fault must be one of ${FAULT_KINDS.join(', ')}`);
  const regions = parseRegions(values.regions);
  const faultRegion = values['fault-region'] ?? DEFAULT_OPTIONS.faultRegion;
  if (!(LAB_REGIONS as readonly string[]).includes(faultRegion))
    throw new RejectedInput(`--fault-region must be one of ${LAB_REGIONS.join(', ')}`);
  if (fault !== 'none' && !regions.includes(faultRegion))
    throw new RejectedInput(
      `--fault-region ${faultRegion} is not among --regions ${regions.join(',')}: name one of them (or --fault none)`,
    );
  const timeScale = values['time-scale'] === undefined ? DEFAULT_OPTIONS.timeScale : Number(values['time-scale']);
  if (!(timeScale > 0 && timeScale <= 1)) throw new RejectedInput('--time-scale must be a number with 0 < n <= 1');
  const rate = values.rate === undefined ? DEFAULT_OPTIONS.rate : Number(values.rate);
  if (!(rate >= 1 && rate <= 200)) throw new RejectedInput('--rate must be between 1 and 200 requests per second');
  const residualRate = values['residual-rate'] === undefined ? DEFAULT_OPTIONS.residualRate : Number(values['residual-rate']);
  if (!(residualRate >= 0 && residualRate <= rate))
    throw new RejectedInput('--residual-rate must be between 0 and --rate requests per second');
  const faultFromWeight = values['fault-from-weight'] === undefined ? undefined : Number(values['fault-from-weight']);
  if (faultFromWeight !== undefined && !(faultFromWeight > 0 && faultFromWeight <= 100))
    throw new RejectedInput('--fault-from-weight must be a weight in % with 0 < pct <= 100');
  const temporalPort = values['temporal-port'] === undefined ? undefined : Number(values['temporal-port']);
  if (temporalPort !== undefined && !(Number.isInteger(temporalPort) && temporalPort >= 1024 && temporalPort <= 64535)) {
    throw new RejectedInput('--temporal-port must be a whole number from 1024 to 64535 (the Web UI takes the port + 1000)');
  }
  const hosts = values.hosts === undefined ? DEFAULT_OPTIONS.hosts : Number(values.hosts);
  if (!(Number.isInteger(hosts) && hosts >= 1 && hosts <= 10)) throw new RejectedInput('--hosts must be a whole number from 1 to 10');
  const broken = BROKEN_HOSTS[fault]?.length ?? 0;
  if (broken && hosts < 3) throw new RejectedInput(`--fault ${fault} needs --hosts 3 or more (one host's failure is allowed, not two)`);
  return {
    fault,
    faultRegion,
    hosts,
    regions,
    timeScale,
    rate,
    residualRate,
    ...(faultFromWeight === undefined ? {} : { faultFromWeight }),
    ...(temporalPort === undefined ? {} : { temporalPort }),
    keepRunning: Boolean(values['keep-running']),
    json: Boolean(values.json),
    labDir: resolve(values['lab-dir'] ?? DEFAULT_OPTIONS.labDir),
    help: Boolean(values.help),
  };
}

/** `--regions`: `all` or distinct lab regions, comma-separated, in the order given. */
function parseRegions(value: string | undefined): string[] {
  if (value === undefined || value === 'all') return [...LAB_REGIONS];
  const regions = value.split(',').map((r) => r.trim());
  const unknown = regions.filter((r) => !(LAB_REGIONS as readonly string[]).includes(r));
  if (unknown.length || regions.length === 0)
    throw new RejectedInput(`--regions must be all or lab regions separated by commas (${LAB_REGIONS.join(', ')}), got ${value}`);
  if (new Set(regions).size !== regions.length) throw new RejectedInput(`--regions names a region twice: ${value}`);
  return regions;
}

/** The report interval (checkIntervalSeconds): whole seconds, scaled to about SCALED_REPORT_SECONDS, never below the default 30 s. */
export function reportIntervalFor(timeScale: number): number {
  return Math.min(3600, Math.max(30, Math.ceil(SCALED_REPORT_SECONDS / timeScale)));
}
