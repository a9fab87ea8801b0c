// Steady client traffic through a load balancer while a rollout runs, bounded in requests and time,
// so the canary gates read real request rates from Prometheus.
import { request } from 'node:http';

export interface TrafficLoop {
  /** Responses so far by the colour that answered, and non-200s. */
  counts: { blue: number; green: number; failed: number; errors: number };
  stop(): Promise<void>;
}

export function startTrafficLoop(url: string, opts: { lanes?: number; pauseMs?: number; maxRequests?: number; maxMs?: number } = {}): TrafficLoop {
  const { lanes = 4, pauseMs = 40, maxRequests = 20_000, maxMs = 150_000 } = opts;
  const counts = { blue: 0, green: 0, failed: 0, errors: 0 };
  const deadline = Date.now() + maxMs;
  let sent = 0;
  let stopped = false;
  const once = () =>
    new Promise<void>((resolve) => {
      const req = request(url, { agent: false, timeout: 5_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          const colour = res.headers['x-colour'];
          if (colour === 'blue' || colour === 'green') counts[colour] += 1;
          if (res.statusCode !== 200) counts.failed += 1;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        counts.errors += 1;
        resolve();
      });
      req.end();
    });
  const lane = async () => {
    while (!stopped && sent < maxRequests && Date.now() < deadline) {
      sent += 1;
      await once();
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const running = Promise.all(Array.from({ length: lanes }, lane));
  return {
    counts,
    async stop() {
      stopped = true;
      await running;
    },
  };
}
