// A small real HTTP service that stands in for a deployed colour: it answers with its colour and
// version, fails a predictable share of requests, and exports the Prometheus metrics that the
// canary gates read. A deploy restarts it with the new release's version (see fault-agent.ts).
// Run standalone with:
//   npx tsx lab/sample-service.ts --port 8081 --colour green --version v1.2.3 --error-rate 10 --latency-ms 50
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Colour } from '../domain/metrics.js';

export interface Fault {
  /** Share of application requests answered 500, 0–100. Every ⌈100/pct⌉-th request or so, exactly pct % over time. */
  errorRatePct: number;
  /** Added to every application request before it answers. */
  latencyMs: number;
}

export interface SampleServiceOptions extends Partial<Fault> {
  port?: number;
  host?: string;
  colour: Colour;
  version: string;
}

export interface SampleService {
  url: string;
  /** host:port, as a load balancer's backend or a Prometheus target names it. */
  address: string;
  port: number;
  colour: Colour;
  /** The release it runs now. */
  readonly version: string;
  /** Application requests answered so far (errors included). */
  served(): number;
  setFault(fault: Partial<Fault>): void;
  /**
   * A new release took the colour over: answers and metrics carry its version from now on, and the
   * request metrics start again from zero, as a restarted process's would.
   */
  restart(version: string): void;
  stop(): Promise<void>;
}

/** Seconds; fine enough between 50 ms and 500 ms that p95 lands near the configured latency. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2.5, 5];

export async function startSampleService(opts: SampleServiceOptions): Promise<SampleService> {
  const { colour } = opts;
  let version = opts.version;
  const fault: Fault = { errorRatePct: opts.errorRatePct ?? 0, latencyMs: opts.latencyMs ?? 0 };
  // One registry per service: several services can share a process (tests, the lab). Colour and
  // version label every series as the registry's default labels, so a restart relabels them all.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Application requests by status code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Application request duration',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'host_memory_total_bytes',
    help: 'Memory of the host the service runs on (denominator for memory %)',
    registers: [registry],
  }).set(totalmem());
  const run = (release: string) => {
    version = release;
    registry.setDefaultLabels({ colour, version });
    requests.reset();
    duration.reset();
    // Series exist at 0 from the first scrape, so rate() counts the very first requests and a colour
    // without traffic reads as 0/0 (no data) rather than vanishing.
    for (const code of ['200', '500']) requests.inc({ code }, 0);
    duration.zero({});
  };
  run(version);

  let served = 0;
  const body = (res: ServerResponse, status: number, payload: object) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'X-Colour': colour, 'X-Version': version });
    res.end(JSON.stringify({ colour, version, ...payload }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': registry.contentType, 'X-Colour': colour });
      res.end(await registry.metrics());
      return;
    }
    if (path === '/health') return body(res, 200, { status: 'ok' });
    if (path === '/fault' && req.method === 'PUT') {
      // Lab control: inject or clear a fault without restarting (loopback only).
      let raw = '';
      for await (const chunk of req) raw += chunk;
      try {
        setFault(JSON.parse(raw || '{}') as Partial<Fault>);
        return body(res, 200, { fault });
      } catch (err) {
        return body(res, 400, { error: (err as Error).message });
      }
    }
    const stopTimer = duration.startTimer();
    served += 1;
    // Deterministic: after n requests exactly floor(n·pct/100) have failed.
    const fail = Math.floor((served * fault.errorRatePct) / 100) > Math.floor(((served - 1) * fault.errorRatePct) / 100);
    if (fault.latencyMs > 0) await new Promise((r) => setTimeout(r, fault.latencyMs));
    const status = fail ? 500 : 200;
    body(res, status, fail ? { error: 'injected fault' } : { ok: true });
    requests.inc({ code: String(status) });
    stopTimer();
  };

  const setFault = (next: Partial<Fault>) => {
    for (const key of ['errorRatePct', 'latencyMs'] as const) {
      const v = next[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (key === 'errorRatePct' && v > 100)) {
        throw new Error(`invalid ${key}: ${String(v)}`);
      }
      fault[key] = v;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) body(res, 500, { error: err.message });
    });
  });
  server.keepAliveTimeout = 5_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  return {
    url: `http://${host}:${port}`,
    address: `${host}:${port}`,
    port,
    colour,
    get version() {
      return version;
    },
    served: () => served,
    setFault,
    restart: run,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A blue and a green service side by side, each on its colour's version. */
export async function startColours(versions: Record<Colour, string>): Promise<Record<Colour, SampleService>> {
  const [blue, green] = await Promise.all([
    startSampleService({ colour: 'blue', version: versions.blue }),
    startSampleService({ colour: 'green', version: versions.green }),
  ]);
  return { blue, green };
}

/** The colours as a load balancer's backends. */
export const backendsOf = (services: Record<Colour, SampleService>): Record<Colour, string> => ({
  blue: services.blue.address,
  green: services.green.address,
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      colour: { type: 'string', default: 'blue' },
      version: { type: 'string', default: 'v0.0.0' },
      'error-rate': { type: 'string', default: '0' },
      'latency-ms': { type: 'string', default: '0' },
    },
  });
  if (values.colour !== 'blue' && values.colour !== 'green') throw new Error('--colour must be blue or green');
  const svc = await startSampleService({
    port: Number(values.port),
    host: values.host,
    colour: values.colour,
    version: values.version,
    errorRatePct: Number(values['error-rate']),
    latencyMs: Number(values['latency-ms']),
  });
  process.stdout.write(`sample service ${svc.colour} ${svc.version} listening on ${svc.url}\n`);
  const shutdown = () => void svc.stop().then(() => process.exit(0));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (process.argv[1]?.endsWith('sample-service.ts')) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
