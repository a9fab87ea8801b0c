// Failures activities raise. Types listed in NON_RETRYABLE_ERRORS stop retries at once,
// so a wrong token or a changed host key fails fast with its cause.
import { ApplicationFailure } from '@temporalio/common';
import type { NonRetryableError } from '../domain/ports.js';

export function nonRetryable(type: NonRetryableError, message: string, cause?: Error): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, cause });
}

/** A retryable failure that asks Temporal to wait `delayMs` before the next attempt (e.g. HTTP 429 Retry-After). */
export function retryAfter(type: string, message: string, delayMs: number): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nextRetryDelay: delayMs });
}
