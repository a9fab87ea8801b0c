// The raw `temporal` CLI commands the docs show for operating a rollout without `meridian`.
// One list, with <placeholders>, so test/e2e/temporal-cli.test.ts runs exactly what the docs print.
import { WORKFLOW_TYPES } from '../domain/contract.js';

export interface TemporalCliCommand {
  name: 'start' | 'status' | 'pause' | 'resume' | 'cancel' | 'result' | 'list';
  /** What it does, as the docs say it. */
  purpose: string;
  /** A shell command line; <service>, <task-queue> and <input-json> are placeholders. */
  command: string;
}

export const TEMPORAL_CLI_COMMANDS: readonly TemporalCliCommand[] = [
  {
    name: 'start',
    purpose: 'Start a rollout (the workflow validates the input and refuses a bad one)',
    command:
      `temporal workflow start --type ${WORKFLOW_TYPES.rollout} --task-queue <task-queue> ` +
      `--workflow-id rollout-<service> --input '<input-json>'`,
  },
  {
    name: 'status',
    purpose: "Show the rollout's status: each region's phase, paused, outcome",
    command: 'temporal workflow query --workflow-id rollout-<service> --type status',
  },
  {
    name: 'pause',
    purpose: 'Pause every region before its next canary stage (health checks continue)',
    command: `temporal workflow signal --workflow-id rollout-<service> --name pause --input '{}'`,
  },
  {
    name: 'resume',
    purpose: 'Resume a paused rollout',
    command: `temporal workflow signal --workflow-id rollout-<service> --name resume --input '{}'`,
  },
  {
    name: 'cancel',
    purpose: 'Cancel the rollout: regions in flight roll back to their stable colour, the rest are skipped',
    command: 'temporal workflow cancel --workflow-id rollout-<service>',
  },
  {
    name: 'result',
    purpose: "Wait for the rollout's result (outcome per region)",
    command: 'temporal workflow result --workflow-id rollout-<service>',
  },
  {
    name: 'list',
    purpose: 'List the rollouts of a service',
    command: `temporal workflow list --query "WorkflowType = '${WORKFLOW_TYPES.rollout}' AND MeridianService = '<service>'"`,
  },
];

export interface CommandValues {
  service: string;
  taskQueue?: string;
  inputJson?: string;
}

/** Fills the placeholders; refuses values that would break out of the command's quoting. */
export function fillCommand(name: TemporalCliCommand['name'], values: CommandValues): string {
  const cmd = TEMPORAL_CLI_COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new Error(`no temporal CLI command named ${name}`);
  const subs: Record<string, string | undefined> = {
    '<service>': values.service,
    '<task-queue>': values.taskQueue,
    '<input-json>': values.inputJson,
  };
  return cmd.command.replace(/<service>|<task-queue>|<input-json>/g, (p) => {
    const v = subs[p];
    if (v === undefined) throw new Error(`${name}: a value for ${p} is needed`);
    if (/['"\\`$]/.test(p === '<input-json>' ? v.replace(/"/g, '') : v))
      throw new Error(`${name}: ${p} holds a character the shell would interpret`);
    return v;
  });
}
