// Asserts that no secret string appears anywhere in what an activity returned, threw or logged.
import { DefaultLogger } from '@temporalio/worker';
import { expect } from 'vitest';

/** A thrown error as everything that could reach Temporal's history or a log. */
export function serializeError(err: unknown): string {
  const e = err as Error & Record<string, unknown>;
  return JSON.stringify({ ...e, message: e?.message, stack: e?.stack, type: e?.type, details: e?.details, cause: String(e?.cause ?? '') });
}

export function expectNoSecrets(serialized: string, secrets: readonly string[]): void {
  for (const s of secrets) expect(serialized, `secret leaked`).not.toContain(s);
}

/** A logger for MockActivityEnvironment that keeps every entry (errors serialized) for secret checks. */
export function capturingLogger(): { logger: DefaultLogger; lines: string[] } {
  const lines: string[] = [];
  const logger = new DefaultLogger('TRACE', (entry) => {
    const meta = entry.meta as Record<string, unknown> | undefined;
    lines.push(
      `${entry.level} ${entry.message} ${meta?.error ? serializeError(meta.error) : ''} ${JSON.stringify({ ...meta, error: undefined })}`,
    );
  });
  return { logger, lines };
}
