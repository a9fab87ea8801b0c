// Seeded random draws for the simulators: a small counter-based generator (sfc32 seeded through a
// hash of integers) and the Poisson and binomial draws the traffic model needs.

/** sfc32; `reseed(...ints)` makes the stream a pure function of those integers. */
export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(...seed: number[]) {
    this.reseed(...seed);
  }

  reseed(...seed: number[]): this {
    let h = 0x811c9dc5;
    for (const s of seed) h = Math.imul(h ^ (s | 0), 0x01000193) ^ Math.imul(Math.floor(s / 2 ** 32) | 0, 0x85ebca6b);
    const mix = () => {
      h = (h + 0x9e3779b9) | 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 8; i++) this.next();
    return this;
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
}

const LOG_FACTORIAL: number[] = [0];
for (let k = 1; k < 256; k++) LOG_FACTORIAL.push(LOG_FACTORIAL[k - 1]! + Math.log(k));

function logFactorial(k: number): number {
  if (k < 256) return LOG_FACTORIAL[k]!;
  const x = k + 1; // Stirling's series for lgamma(x)
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3);
}

/** Poisson(mean): multiplication for small means, Hörmann's PTRS (1993) for large ones. */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 12) {
    const limit = Math.exp(-mean);
    let k = 0;
    for (let p = rng.next(); p > limit; p *= rng.next()) k++;
    return k;
  }
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - logFactorial(k)) return k;
  }
}

/** Binomial(n, p) by inversion; large n·p is split in halves (sums of binomials are binomial). */
export function binomial(rng: Rng, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - binomial(rng, n, 1 - p);
  if (n * p >= 30) {
    const half = Math.floor(n / 2);
    return binomial(rng, half, p) + binomial(rng, n - half, p);
  }
  const s = p / (1 - p);
  let pr = (1 - p) ** n;
  let cdf = pr;
  let k = 0;
  const u = rng.next();
  while (u > cdf && k < n) {
    pr *= (s * (n - k)) / (k + 1);
    k++;
    cdf += pr;
  }
  return k;
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
