// Steady client traffic through each region's load balancer: a fixed request rate per region
// (open loop, so a slow colour does not slow the load down), a cap on requests in flight, and
// counters by colour, so the canary gates read real request rates and the demo can show the split.
import { request } from 'node:http';

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
}

export function startLoad(targets: Record<string, string>, opts: LoadOptions = {}): Load {
  const { ratePerSecond = 20, maxInFlight = 64, timeoutMs = 5_000 } = opts;
  const stats: Record<string, RegionLoad> = {};
  const inFlight = new Set<Promise<void>>();
  const timers: NodeJS.Timeout[] = [];

  for (const [region, url] of Object.entries(targets)) {
    const s: RegionLoad = { sent: 0, blue: 0, green: 0, failed: { blue: 0, green: 0 }, errors: 0, skipped: 0 };
    stats[region] = s;
    let open = 0;
    const fire = () => {
      if (open >= maxInFlight) {
        s.skipped += 1;
        return;
      }
      open += 1;
      s.sent += 1;
      const done = new Promise<void>((resolve) => {
        // A fresh connection per request: each one is balanced on its own.
        const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
          res.resume();
          res.on('end', () => {
            const colour = res.headers['x-colour'];
            if (colour === 'blue' || colour === 'green') {
              s[colour] += 1;
              if (res.statusCode !== 200) s.failed[colour] += 1;
              if (colour === 'green') {
                s.firstGreenAt ??= Date.now();
                if (res.statusCode !== 200) s.firstGreenFailureAt ??= Date.now();
              }
            } else {
              s.errors += 1;
            }
            resolve();
          });
          res.on('error', () => resolve());
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => {
          s.errors += 1;
          resolve();
        });
        req.end();
      }).finally(() => {
        open -= 1;
        inFlight.delete(done);
      });
      inFlight.add(done);
    };
    timers.push(setInterval(fire, 1000 / ratePerSecond));
  }

  return {
    stats,
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all([...inFlight]);
    },
  };
}
