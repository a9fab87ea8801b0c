// The client's public entry exports every error a caller can catch, and the CLI maps each to its exit code.
import { expect, it } from 'vitest';
import * as client from '../../client/index.js';
import { run } from '../../client/cli.js';
import { InvalidRolloutInput } from '../../domain/rollout-refusals.js';
import { TemporalSettingsError } from '../../client/connection.js';

it('client/index.ts exports the four error classes, the same classes the library throws', () => {
  expect(client.InvalidRolloutInput).toBe(InvalidRolloutInput);
  expect(client.TemporalSettingsError).toBe(TemporalSettingsError);
  expect(new client.RejectedInput('x').name).toBe('RejectedInput');
  expect(new client.RolloutConflict('x').name).toBe('RolloutConflict');
});

it('connection settings that cannot work are bad input: exit 2, naming the variable', async () => {
  let err = '';
  const env = { TEMPORAL_CONFIG_FILE: '/nonexistent/meridian-test/temporal.toml' };
  const code = await run(['status', 'payments-api'], {
    out: () => undefined,
    err: (t) => void (err += t),
    env,
    isTTY: false,
    readFile: () => '',
  });
  expect(code).toBe(2);
  expect(err).toContain('TEMPORAL_CONFIG_FILE');
});
