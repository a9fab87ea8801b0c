// One remote step over an open SSH session: heartbeats while it runs, is cut off after its timeout,
// and fails with the step, exit code and the tail of its stderr, secrets redacted.
import type { Context } from '@temporalio/activity';
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

/** Runs one remote step, heartbeating while it runs; failures carry the step, exit code and redacted stderr. */
export function remoteRunner(ssh: NodeSSH, actx: Context, where: string, secrets: string[], timeoutSeconds: number): Run {
  return async (step, command, opts = {}) => {
    const beat = opts.attempt === undefined ? { step } : { step, attempt: opts.attempt };
    actx.heartbeat(beat);
    const ticker = setInterval(() => actx.heartbeat(beat), 5_000);
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
