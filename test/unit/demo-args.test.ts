// The demo's flags for a trickle on the stable colour and a fault that waits for a weight.
import { describe, expect, it } from 'vitest';
import { RejectedInput } from '../../client/errors.js';
import { parseDemoArgs } from '../../lab/demo-args.js';
import { releaseFaults } from '../../lab/demo-expect.js';

describe('npm start flags', () => {
  it('--residual-rate and --fault-from-weight reach the options and the release; by default there is neither', () => {
    const opts = parseDemoArgs(['--residual-rate', '2', '--fault-from-weight', '100']);
    expect(opts).toMatchObject({ residualRate: 2, faultFromWeight: 100 });
    expect(releaseFaults(opts.fault, opts.faultRegion, opts.faultFromWeight)).toEqual({
      default: {},
      regions: { 'eu-west': { errorRatePct: 20, fromWeightPct: 100 } },
    });

    const plain = parseDemoArgs([]);
    expect(plain.residualRate).toBe(0);
    expect(plain).not.toHaveProperty('faultFromWeight');
    expect(releaseFaults(plain.fault, plain.faultRegion, plain.faultFromWeight)).toEqual({
      default: {},
      regions: { 'eu-west': { errorRatePct: 20 } },
    });
  });

  it.each([
    [['--residual-rate=-1'], '--residual-rate must be between 0 and --rate'],
    [['--rate', '10', '--residual-rate', '11'], '--residual-rate must be between 0 and --rate'],
    [['--fault-from-weight', '0'], '--fault-from-weight must be a weight in %'],
    [['--fault-from-weight', '101'], '--fault-from-weight must be a weight in %'],
  ])('%j is refused', (argv, message) => {
    expect(() => parseDemoArgs(argv)).toThrow(RejectedInput);
    expect(() => parseDemoArgs(argv)).toThrow(message);
  });
});
