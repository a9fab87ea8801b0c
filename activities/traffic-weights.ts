// Weight arithmetic shared by the load-balancer routers (kept apart from traffic.ts to avoid an import cycle).
import type { TrafficWeights } from '../domain/ports.js';
import { nonRetryable } from './errors.js';

/** Weights the routers accept: whole percentages that add up to 100. */
export function validateWeights(w: TrafficWeights): TrafficWeights {
  const ok = (n: number) => Number.isInteger(n) && n >= 0 && n <= 100;
  if (!ok(w.blue) || !ok(w.green) || w.blue + w.green !== 100) {
    throw nonRetryable(
      'InvalidArgument',
      `traffic weights must be whole percentages adding up to 100, got blue ${w.blue} green ${w.green}`,
    );
  }
  return w;
}

/** Raw load-balancer weights as percentages; both zero means no traffic anywhere and reads as 0/0. */
export function toPercentages(blue: number, green: number): TrafficWeights {
  const total = blue + green;
  if (total <= 0) return { blue: 0, green: 0 };
  const g = Math.round((green * 100) / total);
  return { blue: 100 - g, green: g };
}

export const describeWeights = (w: TrafficWeights): string => `blue ${w.blue}% / green ${w.green}%`;
