// Steady client traffic through each region's load balancer: a fixed request rate per region
// (open loop, so a slow colour does not slow the load down), a cap on requests in flight, and
// counters by colour, so the canary gates read real request rates and the demo can show the split.
// Optionally a trickle straight to the stable colour's service, past the balancer, as drained
// keep-alive clients or a health checker counted in http_requests_total keep sending at 100 %.
import { Agent, request, type IncomingMessage } from 'node:http';

export interface RegionLoad {
  sent: number;
  /** Answers by the colour that served them (X-Colour header). */
  blue: number;
  green: number;
  /** Non-200 answers, per colour. */
  failed: { blue: number; green: number };
  /** Connection errors and timeouts (the load balancer did not answer). */
  errors: number;
  /** Dropped because `maxInFlight` requests were still open. */
  skipped: number;
  /** Epoch ms of the first green answer, and of the first failed green answer. */
  firstGreenAt?: number;
  firstGreenFailureAt?: number;
  /** The residual trickle (not in the counters above): sent, answered (any status), connection errors. */
  residual: { sent: number; answered: number; errors: number };
}

export interface Load {
  stats: Record<string, RegionLoad>;
  /** Stops sending and waits for the requests still open. */
  stop(): Promise<void>;
}

export interface LoadOptions {
  /** Requests per second per region. Default 20. */
  ratePerSecond?: number;
  maxInFlight?: number;
  timeoutMs?: number;
  /** Requests per second per region sent straight to `residualTargets[region]`, past the balancer. Default 0. */
  residualRate?: number;
  /** Per region, the service the trickle reaches (the stable colour's URL), over one kept-alive connection. */
  residualTargets?: Record<string, string>;
}

/** One GET: `answered` with the finished response, `failed` on a connection error or timeout. */
function get(
  url: string,
  agent: Agent | false,
  timeoutMs: number,
  answered: (res: IncomingMessage) => void,
  failed: () => void,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => {
        answered(res);
        resolve();
      });
      res.on('error', () => resolve());
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      failed();
      resolve();
    });
    req.end();
  });
}

export function startLoad(targets: Record<string, string>, opts: LoadOptions = {}): Load {
  const { ratePerSecond = 20, maxInFlight = 64, timeoutMs = 5_000, residualRate = 0, residualTargets = {} } = opts;
  const stats: Record<string, RegionLoad> = {};
  const inFlight = new Set<Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  const agents: Agent[] = [];
  const track = (p: Promise<void>, after?: () => void) => {
    const done = p.finally(() => {
      after?.();
      inFlight.delete(done);
    });
    inFlight.add(done);
  };

  for (const [region, url] of Object.entries(targets)) {
    const s: RegionLoad = {
      sent: 0,
      blue: 0,
      green: 0,
      failed: { blue: 0, green: 0 },
      errors: 0,
      skipped: 0,
      residual: { sent: 0, answered: 0, errors: 0 },
    };
    stats[region] = s;
    let open = 0;
    const answered = (res: IncomingMessage) => {
      const colour = res.headers['x-colour'];
      if (colour !== 'blue' && colour !== 'green') {
        s.errors += 1;
        return;
      }
      s[colour] += 1;
      if (res.statusCode !== 200) s.failed[colour] += 1;
      if (colour === 'green') {
        s.firstGreenAt ??= Date.now();
        if (res.statusCode !== 200) s.firstGreenFailureAt ??= Date.now();
      }
    };
    const fire = () => {
      if (open >= maxInFlight) {
        s.skipped += 1;
        return;
      }
      open += 1;
      s.sent += 1;
      // A fresh connection per request: each one is balanced on its own.
      track(
        get(url, false, timeoutMs, answered, () => (s.errors += 1)),
        () => (open -= 1),
      );
    };
    timers.push(setInterval(fire, 1000 / ratePerSecond));

    const residualUrl = residualTargets[region];
    if (residualRate > 0 && residualUrl) {
      // One long-lived client: a kept-alive connection stays on the colour it was opened to.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(agent);
      const r = s.residual;
      const trickle = () => {
        r.sent += 1;
        track(
          get(
            residualUrl,
            agent,
            timeoutMs,
            () => (r.answered += 1),
            () => (r.errors += 1),
          ),
        );
      };
      timers.push(setInterval(trickle, 1000 / residualRate));
    }
  }

  return {
    stats,
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all([...inFlight]);
      for (const a of agents) a.destroy();
    },
  };
}
