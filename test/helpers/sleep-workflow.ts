// Test-only workflow proving timers skip on the time-skipping server and run on the dev server.
import { sleep } from '@temporalio/workflow';

export async function sleepFor(minutes: number): Promise<string> {
  await sleep(`${minutes} minutes`);
  return `slept ${minutes} minutes`;
}
