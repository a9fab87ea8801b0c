// The one shape every vendor seam shares: a concern's factory picks the vendor by `kind`, and the
// region dispatch builds each region's vendor once, from that region's config.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { byRegion, kinds, vendor } from '../../activities/vendor-choice.js';

interface Greeter {
  greet(): string;
}
const plain = vendor('plain', z.strictObject({ name: z.string() }), (cfg, region: string): Greeter => ({
  greet: () => `hello ${cfg.name} in ${region}`,
}));
const loud = vendor('loud', z.strictObject({}), (): Greeter => ({ greet: () => 'HELLO' }));
const greeters = kinds<Greeter, [region: string]>()(plain, loud);

describe('vendor choice', () => {
  it('the factory reads the kind from the config and builds that vendor', () => {
    expect(greeters.create(greeters.schema.parse({ kind: 'plain', name: 'ada' }), 'us-east').greet()).toBe('hello ada in us-east');
    expect(greeters.create(greeters.schema.parse({ kind: 'loud' }), 'us-east').greet()).toBe('HELLO');
  });

  it("the schema names an unknown kind and checks each vendor's own settings", () => {
    expect(greeters.schema.safeParse({ kind: 'quiet' }).error?.issues[0]?.path).toEqual(['kind']);
    expect(greeters.schema.safeParse({ kind: 'loud', name: 'ada' }).success).toBe(false);
  });

  it('each region gets its own vendor, built on first use and kept; an unserved region is a ConfigurationError', () => {
    const built: string[] = [];
    const greeter = byRegion(
      'greeter',
      { 'us-east': { kind: 'plain' as const, name: 'ada' }, 'eu-west': { kind: 'loud' as const } },
      (cfg, region) => {
        built.push(region);
        return greeters.create(cfg, region);
      },
    );
    expect(greeter('us-east')).toBe(greeter('us-east'));
    expect(greeter('eu-west').greet()).toBe('HELLO');
    expect(built).toEqual(['us-east', 'eu-west']);
    expect(() => greeter('mars-north')).toThrow(
      expect.objectContaining({
        type: 'ConfigurationError',
        nonRetryable: true,
        message: 'this worker has no greeter for region mars-north',
      }),
    );
  });
});
