// JSON logs, one object per line (time, level, message, then attributes), for log shippers.
// Activity logs carry the rollout's correlationId and region, taken from the activity's input,
// so one query finds every line of a deployment across workers.
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function parseLogLevel(value: string | undefined, fallback: LogLevel = 'INFO'): LogLevel {
  const v = value?.toUpperCase();
  return (LEVELS as string[]).includes(v ?? '') ? (v as LogLevel) : fallback;
}

/** Errors as data: JSON.stringify drops their message and type otherwise. */
function plain(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const e = value as Error & { type?: string; cause?: unknown };
    return {
      name: e.name,
      message: e.message,
      ...(e.type ? { type: e.type } : {}),
      ...(e.cause && depth < 3 ? { cause: plain(e.cause, depth + 1) } : {}),
    };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function formatLogLine(level: LogLevel, message: string, meta: LogMetadata = {}): string {
  const attrs = Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, plain(v)]));
  // time/level/message first and never overwritten by attributes.
  return JSON.stringify({ ...attrs, time: new Date().toISOString(), level, message }, (_k, v: unknown) => plain(v));
}

/** A Logger writing JSON lines; the Runtime's logger in the worker process. */
export function jsonLogger(minLevel: LogLevel = 'INFO', write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Logger {
  const min = LEVELS.indexOf(minLevel);
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => {
    if (LEVELS.indexOf(level) >= min) write(formatLogLine(level, message, meta));
  };
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

interface Correlation {
  correlationId?: string;
  region?: string;
}

/** correlationId and region from an activity's first argument: a RegionContext, a request with `ctx`, a Card or an Annotation. */
function correlationOf(args: readonly unknown[]): Correlation {
  const first = args[0] as ({ ctx?: Correlation } & Correlation & { service?: unknown }) | undefined;
  if (!first || typeof first !== 'object') return {};
  const src = first.ctx && typeof first.ctx === 'object' ? first.ctx : first;
  const out: Correlation = {};
  if (typeof src.correlationId === 'string') out.correlationId = src.correlationId;
  if (typeof src.region === 'string') out.region = src.region;
  return out;
}

/**
 * Adds correlationId and region to every log line of an activity (the SDK's own lines included),
 * and logs each successful activity's end with its duration.
 */
export const correlationInterceptor: ActivityInterceptorsFactory = (ctx) => {
  let correlation: Correlation = {};
  return {
    inbound: {
      async execute(input, next) {
        correlation = correlationOf(input.args);
        const started = Date.now();
        // Failures are logged by the SDK itself, with these attributes.
        const result = await next(input);
        ctx.log.info(`${ctx.info.activityType} finished`, { durationMs: Date.now() - started });
        return result;
      },
    },
    outbound: {
      getLogAttributes: (input, next) => next({ ...input, ...correlation }),
    },
  };
};
