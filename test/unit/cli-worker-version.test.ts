// `meridian worker-version`: its usage and the input it refuses before contacting a server (exit 2).
import { describe, expect, it } from 'vitest';
import { run } from '../../client/cli.js';
import { renderDeployment } from '../../client/worker-version.js';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => void (out += t), err: (t) => void (err += t), env: {}, isTTY: false, readFile: () => '' });
  return { code, out, err };
}

describe('meridian worker-version', () => {
  it('prints its usage for --help and `help worker-version`, and the top usage lists it', async () => {
    for (const argv of [
      ['worker-version', '--help'],
      ['help', 'worker-version'],
    ]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage: meridian worker-version status/);
    }
    expect((await cli(['--help'])).out).toContain('worker-version status|current');
  });

  it('refuses a missing or unknown action, an extra argument, --build-id on status and an unknown flag (exit 2)', async () => {
    expect((await cli(['worker-version'])).code).toBe(2);
    expect(await cli(['worker-version', 'promote'])).toMatchObject({
      code: 2,
      err: 'meridian: worker-version: unknown action "promote" (status, current)\n',
    });
    expect(await cli(['worker-version', 'current', 'abc'])).toMatchObject({
      code: 2,
      err: 'meridian: worker-version: unexpected argument "abc"\n',
    });
    expect(await cli(['worker-version', 'status', '--build-id', 'abc'])).toMatchObject({
      code: 2,
      err: 'meridian: worker-version: --build-id goes with current, not status\n',
    });
    expect((await cli(['worker-version', 'status', '--bogus'])).err).toMatch(/^meridian: worker-version: Unknown option '--bogus'/);
  });

  it('renders each version with its status and drainage', () => {
    expect(renderDeployment(undefined, 'meridian')).toEqual(['deployment meridian: no worker of it has polled this namespace yet']);
    const lines = renderDeployment(
      {
        name: 'meridian',
        currentBuildId: 'b2',
        versions: [
          { buildId: 'b1', status: 'draining', drainage: 'draining', drainageCheckedAt: '2026-01-01T00:00:00.000Z' },
          { buildId: 'b2', status: 'current' },
        ],
      },
      'meridian',
    );
    expect(lines[0]).toBe('deployment meridian: current b2');
    expect(lines[1]).toMatch(/^ {2}b1 +draining +drainage draining \(checked 2026-01-01T00:00:00.000Z\)$/);
    expect(lines[2]).toMatch(/^ {2}b2 +current$/);
  });
});
