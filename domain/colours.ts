// How views name the two colours: by their real colour, candidate first. Every second release
// is deployed to blue, so no text may assume the candidate is green.
import { otherColour, type Colour } from './metrics.js';
import type { TrafficWeights } from './ports.js';

/** "candidate blue 25 % / stable green 75 %"; before the candidate is known, "blue 75 % / green 25 %". */
export function splitText(w: TrafficWeights, candidate?: Colour): string {
  if (!candidate) return `blue ${w.blue} % / green ${w.green} %`;
  const stable = otherColour(candidate);
  return `candidate ${candidate} ${w[candidate]} % / stable ${stable} ${w[stable]} %`;
}
