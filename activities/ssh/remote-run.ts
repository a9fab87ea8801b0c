// One remote step over an open SSH session: reports its progress while it runs (the caller
// heartbeats it), is cut off after its timeout, and fails with the step, exit code and the tail of
// its stderr, secrets redacted.
import { ApplicationFailure } from '@temporalio/common';
import type { NodeSSH } from 'node-ssh';
import { redact } from './connect.js';

/** How much of a failed step's stderr a failure carries. */
const TAIL = 400;

export type Run = (
  step: string,
  command: string,
  opts?: { allowFail?: boolean; attempt?: number },
) => Promise<{ stdout: string; code: number }>;

/** How often a running step reports progress again, so that a long one keeps heartbeating. */
const TICK_MS = 5_000;

/**
 * Runs one remote step, calling `progress` with it ("health (attempt 3)" for a retried one) at its
 * start and every few seconds while it runs; failures carry the step, exit code and redacted stderr.
 */
export function remoteRunner(
  ssh: NodeSSH,
  progress: (step: string) => void,
  where: string,
  secrets: string[],
  timeoutSeconds: number,
): Run {
  return async (step, command, opts = {}) => {
    const now = opts.attempt === undefined ? step : `${step} (attempt ${opts.attempt})`;
    progress(now);
    const ticker = setInterval(() => progress(now), TICK_MS);
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const res = await ssh.execCommand(command, {
        // A command that never closes its channel (e.g. a background process keeping stdout) is cut off.
        onChannel: (channel) => {
          timer = setTimeout(() => {
            timedOut = true;
            channel.close();
          }, timeoutSeconds * 1000);
        },
      });
      if (timedOut) {
        throw ApplicationFailure.create({
          type: 'RemoteCommandTimeout',
          message:
            `${step} on ${where} did not finish within ${timeoutSeconds}s ` +
            '(a background process still holding stdout? redirect it: >log 2>&1 </dev/null)',
        });
      }
      const code = res.code ?? -1;
      if (code !== 0 && !opts.allowFail) {
        const stderr = redact(res.stderr.trim(), secrets).slice(-TAIL);
        throw ApplicationFailure.create({
          type: 'RemoteCommandFailed',
          message: `${step} on ${where} failed with exit code ${code}${stderr ? `: ${stderr}` : ''}`,
        });
      }
      return { stdout: res.stdout.trim(), code };
    } finally {
      clearInterval(ticker);
      clearTimeout(timer);
    }
  };
}
