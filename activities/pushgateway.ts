// Pushes each canary stage's figures to the Prometheus Pushgateway, one group per
// (job, service, region, version), so dashboards show where every rollout stands.
// Best effort: the workflow ignores this activity's failures and bounds its retries, so an outage
// shows up as a logged, retryable PushgatewayUnavailable and never stalls a rollout.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { Gauge, Pushgateway, Registry } from 'prom-client';
import { z } from 'zod';
import type { MetricsActivities, RegionContext, StageReport } from '../domain/ports.js';
import { lookupSecret, type Env } from './secrets.js';

export const pushgatewayConfigSchema = z
  .object({
    job: z.string().min(1).default('meridian'),
    timeoutMs: z.number().int().positive().default(5_000),
  })
  .default({ job: 'meridian', timeoutMs: 5_000 });
export type PushgatewayConfig = z.infer<typeof pushgatewayConfigSchema>;

const STAGE_OUTCOMES: StageReport['outcome'][] = ['in_progress', 'passed', 'breached', 'promoted', 'rolled_back'];

const fallbackLog: Logger = {
  log: (level, message, meta) => console.log(`[${level}] ${message}`, meta ?? ''),
  trace: () => undefined,
  debug: () => undefined,
  info: (m, meta) => console.info(m, meta ?? ''),
  warn: (m, meta) => console.warn(m, meta ?? ''),
  error: (m, meta) => console.error(m, meta ?? ''),
};

function activityLog(): Logger {
  try {
    return Context.current().log;
  } catch {
    return fallbackLog; // called outside an activity (scripts, lab)
  }
}

/** The stage as gauges in a fresh registry: the process's global registry is never pushed. */
export function stageRegistry(report: StageReport): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = ['stage']) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const stage = { stage: report.stage };
  gauge('meridian_stage_weight_pct', 'Share of traffic on the new colour at this stage').set(stage, report.weightPct);
  const outcome = gauge('meridian_stage_outcome', 'Stage outcome: 1 for the current one, 0 for the others', ['stage', 'outcome']);
  for (const o of STAGE_OUTCOMES) outcome.set({ ...stage, outcome: o }, o === report.outcome ? 1 : 0);
  const m = report.metrics;
  if (m) {
    gauge('meridian_stage_error_rate_pct', 'Error rate of the new colour at this stage').set(stage, m.errorRatePct);
    gauge('meridian_stage_latency_p95_ms', 'p95 latency of the new colour at this stage').set(stage, m.latencyP95Ms);
    if (m.cpuPct !== undefined) gauge('meridian_stage_cpu_pct', 'CPU of the new colour at this stage').set(stage, m.cpuPct);
    if (m.memoryPct !== undefined) gauge('meridian_stage_memory_pct', 'Memory of the new colour at this stage').set(stage, m.memoryPct);
  }
  const e = report.evidence;
  if (e) {
    // The judge's evidence for its nearest test: a rollback comes when the statistic reaches the bound.
    gauge('meridian_judge_statistic', "The canary judge's evidence (e-value) for its deciding test", ['stage', 'test']).set(
      { ...stage, test: e.test },
      e.statistic,
    );
    gauge('meridian_judge_bound', 'The bound the evidence must reach to roll back', ['stage', 'test']).set(
      { ...stage, test: e.test },
      e.bound,
    );
  }
  gauge('meridian_stage_pushed_timestamp_seconds', 'When this stage was pushed').set(stage, Date.now() / 1000);
  return registry;
}

/** Why a push failed, without the URL (a secret) that Node errors may carry. */
function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code) return e.code;
  const status = /status (\d{3}), ?([\s\S]{0,200})/.exec(e.message ?? '');
  if (status) return `HTTP ${status[1]} ${status[2]!.trim()}`.trim();
  return /timed out/i.test(e.message ?? '') ? 'timeout' : 'push failed';
}

export function createPushgatewayActivities(cfg: PushgatewayConfig, env: Env): Pick<MetricsActivities, 'pushStageMetrics'> {
  return {
    async pushStageMetrics(ctx: RegionContext, report: StageReport): Promise<void> {
      const log = activityLog();
      const where = `${ctx.service} ${report.version} in ${ctx.region} at ${report.stage} (${report.outcome})`;
      const url = lookupSecret(env, 'PROMETHEUS_PUSHGATEWAY_URL', ctx.region);
      if (!url) {
        log.debug(`no Pushgateway configured; stage metrics for ${where} not pushed`);
        return;
      }
      if (ctx.dryRun) {
        log.info(`dry run: would push stage metrics for ${where}`);
        return;
      }
      const gateway = new Pushgateway(url, { timeout: cfg.timeoutMs }, stageRegistry(report));
      try {
        // PUT replaces the group, so it always shows the rollout's latest stage.
        await gateway.push({ jobName: cfg.job, groupings: { service: ctx.service, region: ctx.region, version: report.version } });
      } catch (err) {
        const message = `Pushgateway push for ${where} failed: ${reason(err)}`;
        log.warn(message, { correlationId: ctx.correlationId });
        throw ApplicationFailure.create({ type: 'PushgatewayUnavailable', message });
      }
    },
  };
}
