// The judge bench's scenarios: what production traffic does to a canary that is healthy, and the
// regressions the judge must catch, each at the request rates where the issue asks for a figure.
import { DEFAULT_STAGES, type Stage } from '../domain/rollout-input.js';
import { PLANNED_STARTS, type Scenario } from './simulate-canary.js';
import type { Behaviour, WorldModel } from './traffic.js';

const BASE_ERROR_RATE = 0.002;
const healthy: Behaviour = { errorRate: BASE_ERROR_RATE };
const candidateAs = (candidate: (t: number) => Behaviour) => (role: 'candidate' | 'stable', t: number) =>
  role === 'candidate' ? candidate(t) : healthy;

/** Today's model: Poisson requests, independent errors, both colours scraped at the same instants. */
const IDEAL: WorldModel = {
  instancesPerColour: 3,
  scrapeSeconds: 5,
  balancerScrapeSeconds: 5,
  aligned: true,
  clusterMean: 1,
  loadSigma: 0,
  errorSigma: 0,
  residualPct: 0,
  behaviour: () => healthy,
};

/**
 * Production-shaped: three instances per colour scraped at their own offsets, uneven load and error
 * rates; the balancer's exporter scraped every 2 s (cheap, and what catches a dead server: the lab
 * scrapes everything every second).
 */
const PRODUCTION: WorldModel = { ...IDEAL, aligned: false, loadSigma: 0.2, errorSigma: 0.1, balancerScrapeSeconds: 2 };
const bursty = (clusterMean: number): WorldModel => ({ ...PRODUCTION, clusterMean, errorSigma: 0.15 });
const uniform = (rng: { next(): number }, from: number, to: number) => from + (to - from) * rng.next();

const STAGE_100 = PLANNED_STARTS[DEFAULT_STAGES.length - 1]!;
const STAGE_50 = PLANNED_STARTS[2]!;
const ALL = [20, 200, 2000] as const;
/** Rolled back during the 10 % or 25 % stage. */
const FIRST_TWO = { beforePeriod: 2 };

/** Every stage's limits at 1 %: only the comparison with the stable colour can catch 0.6 %. */
const ONE_PCT: Stage[] = DEFAULT_STAGES.map((s) => ({ ...s, maxErrorRatePct: 1 }));

export const SCENARIOS: Scenario[] = [
  { name: 'ideal-healthy', rpms: ALL, regression: false, model: IDEAL },
  { name: 'bursty3-healthy', rpms: ALL, regression: false, model: bursty(3) },
  { name: 'bursty10-healthy', rpms: ALL, regression: false, model: bursty(10) },
  {
    // A shared dependency fails for 15–30 s while both colours take traffic (stages 10–75 %).
    name: 'shared-outage',
    rpms: ALL,
    regression: false,
    model: PRODUCTION,
    fault: (rng) => ({ outage: { at: uniform(rng, 30, STAGE_100 - 60), seconds: uniform(rng, 15, 30), errorRate: 0.8 } }),
  },
  {
    // One instance of either colour restarts (1.5 s, quicker than the health check's 2 s): the balancer answers 502 meanwhile.
    name: 'restart-healthy',
    rpms: ALL,
    regression: false,
    model: PRODUCTION,
    fault: (rng, m) => ({
      restart: { instance: Math.floor(rng.next() * 2 * m.instancesPerColour), at: uniform(rng, 30, 3500), seconds: 1.5 },
    }),
  },
  { name: 'ramp-healthy', rpms: ALL, regression: false, model: { ...PRODUCTION, rampAt: (t) => 0.5 + t / 3600 } },
  { name: 'lowtraffic-healthy', rpms: [20, 60], regression: false, model: PRODUCTION },
  {
    // A different request mix reaches the candidate: a little more of a slower, more error-prone endpoint.
    name: 'mix-healthy',
    rpms: [2000],
    regression: false,
    model: { ...PRODUCTION, behaviour: candidateAs(() => ({ errorRate: BASE_ERROR_RATE * 1.05, latencyScale: 1.03 })) },
  },
  {
    name: 'gross',
    rpms: [200, 2000],
    regression: true,
    model: { ...PRODUCTION, behaviour: candidateAs(() => ({ errorRate: 0.05 })) },
    deadline: FIRST_TWO,
  },
  {
    name: 'moderate',
    rpms: [2000],
    regression: true,
    model: { ...PRODUCTION, behaviour: candidateAs(() => ({ errorRate: 0.01 })) },
    deadline: FIRST_TWO,
  },
  {
    name: 'bursty-moderate',
    rpms: [2000],
    regression: true,
    model: { ...bursty(3), behaviour: candidateAs(() => ({ errorRate: 0.01 })) },
    deadline: FIRST_TWO,
  },
  {
    // Healthy until it takes all the traffic; drained keep-alive clients still reach the stable colour (1 %).
    name: 'residual-20pct',
    rpms: [200],
    regression: true,
    model: { ...PRODUCTION, residualPct: 1, behaviour: candidateAs((t) => ({ errorRate: t >= STAGE_100 ? 0.2 : BASE_ERROR_RATE })) },
    faultFrom: STAGE_100,
    deadline: { seconds: 60 },
  },
  {
    name: 'residual-2pct',
    rpms: [200],
    regression: true,
    model: { ...PRODUCTION, residualPct: 1, behaviour: candidateAs((t) => ({ errorRate: t >= STAGE_100 ? 0.02 : BASE_ERROR_RATE })) },
    faultFrom: STAGE_100,
    deadline: { beforePeriod: DEFAULT_STAGES.length + 1 },
  },
  {
    // From the 50 % stage 3 % of the candidate's requests take 800 ms more; its p95 stays about where it was.
    name: 'tail-latency',
    rpms: [2000],
    regression: true,
    model: {
      ...PRODUCTION,
      behaviour: candidateAs((t) => ({ errorRate: BASE_ERROR_RATE, ...(t >= STAGE_50 ? { tail: { share: 0.03, ms: 800 } } : {}) })),
    },
    faultFrom: STAGE_50,
    deadline: { beforePeriod: DEFAULT_STAGES.length - 1 },
  },
  {
    // A candidate instance dies during the 25 % stage and stays down.
    name: 'green-dies',
    rpms: [200, 2000],
    regression: true,
    model: PRODUCTION,
    fault: (rng) => ({ dies: { instance: 0, at: uniform(rng, PLANNED_STARTS[1]!, PLANNED_STARTS[2]!) } }),
    deadline: { seconds: 10 },
  },
  {
    // Twenty hosts a colour; one candidate host fails 5 % of its requests: the colour's 0.44 % is within the first three stages' limits.
    // Twenty instances a colour cost as much as the rest together: run with --only bad-host.
    name: 'bad-host',
    rpms: [2000],
    regression: true,
    model: { ...PRODUCTION, instancesPerColour: 20 },
    named: true,
    // Its figure is "host out %": taken out, the region going on; a rollback is no miss here.
    fault: () => ({ badHost: { instance: 0, errorRate: 0.05 } }),
  },
  {
    name: 'subtle-100pct',
    rpms: [200],
    regression: true,
    model: { ...PRODUCTION, behaviour: candidateAs(() => ({ errorRate: 0.006 })) },
    stages: ONE_PCT,
    deadline: { beforePeriod: DEFAULT_STAGES.length + 1 },
  },
];
