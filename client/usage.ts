// `meridian --help` and `meridian <verb> --help` texts.
export type Verb = 'start' | 'plan' | 'status' | 'watch' | 'compare' | 'pause' | 'resume' | 'abort' | 'approve' | 'rollback' | 'list';

const SERVER = `Server:
  --address <host:port>     Temporal frontend (env TEMPORAL_ADDRESS, default localhost:7233)
  --namespace <name>        namespace (env TEMPORAL_NAMESPACE, default "default")
  --task-queue <name>       worker task queue (env MERIDIAN_TASK_QUEUE, default "meridian")
  The rest as the temporal CLI reads it: TEMPORAL_API_KEY, TEMPORAL_TLS*, and a TOML profile
  (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE). Flags win over env vars, env vars over the profile.`;

const REQUEST = `Rollout input (flags override --config):
  --config <file.json>             the rollout input as one JSON object (any field of the input)
  --service <name>                 e.g. payments-api
  --version <tag>                  release tag, e.g. v1.12.3
  --artifact-url <url>             http(s) URL of the release artifact
  --artifact-sha256 <hex>          its SHA-256 (64 lowercase hex characters)
  --regions all|<r1,r2,…>          default all (us-east,eu-west,apac-se), in rollout order
  --strategy delayed|sequential|parallel   default delayed
  --delay-between-regions <min>    observation window between regions, 30–240 (default 90;
                                   ignored unless the strategy is delayed)
  --time-scale <0–1>               shrink every wait, the approval timeout too (drills and
                                   tests), default 1; below 1 the run is a drill, recorded as
                                   drill_<outcome>, never counted towards the parallel policy
  --poll-seconds <s>               seconds between metric polls in a watched period, 1–300,
                                   default 5 (real seconds: --time-scale leaves them alone);
                                   the canary judge decides on every poll
  --report-interval <s>            seconds between a watched period's progress reports (its
                                   figures pushed to the Pushgateway), 1–3600, default 30,
                                   scaled by --time-scale; --check-interval is an alias
  --dry-run                        every step reports what it would change; nothing changes
  --approvals <role,role>          approval gate before each region, e.g. functional,sre
  --approval-regions <r1,r2>       gate only these regions (default: every region)
  --batch-size <n|pct%>            hosts of a colour deployed at once, a count or a share
                                   (default 100%: the candidate colour takes no traffic yet)
  --minimum-healthy <n|pct%>       hosts that must come up healthy, else the region fails
                                   before traffic moves; failed ones stay out (default 100%)
  --max-sessions <n>               SSH sessions per region at once, 1–100 (default 10)
  --override-parallel-policy <why> allow parallel before 5 successful delayed rollouts
  --region-task-queues             run each region's activities on that region's own worker
                                   (task queue <task-queue>-<region>)`;

const exits = `Exit codes: 0 ok · 1 failed or not succeeded · 2 bad input · 3 conflicts with what is running`;

export const USAGE: Record<Verb | 'top', string> = {
  top: `meridian — multi-region blue/green canary rollouts on Temporal

Usage: meridian <command> [flags]      meridian <command> --help

Commands:
  start     start a rollout (--wait: wait and exit 0 only if it succeeded)
  plan      print a rollout's timeline and expected duration (no server needed)
  status    one rollout's state, per region
  watch     follow a rollout live until it closes
  compare   per region: version, live colour, weights, last metrics
  list      recent rollouts
  pause     hold the rollout (or --region) before its next canary stage
  resume    continue a paused rollout (or --region)
  abort     stop the rollout (or --region); regions in flight roll back
  approve   approve a region for one role (--region --role --approver)
  rollback  emergency rollback of one region to blue
  worker-version status|current   the workers' builds: which one new rollouts start on, which drain

${exits}`,
  start: `Usage: meridian start --service <name> --version <tag> --artifact-url <url> --artifact-sha256 <hex> [flags]
       meridian start --config rollout.json [flags]

Starts the rollout as workflow rollout-<service>; refused while one of the service is running.
Regions must be ones the worker is configured for: with MERIDIAN_CONFIG naming the worker's
config file, others are refused before starting (exit 2); otherwise the workflow refuses them
on its first step, before any card or change (with --wait: exit 2).
  --wait      wait for the result and print each region's outcome; exit 1 unless it succeeded
  --json      print the started ids (or, with --wait, the result) as JSON

${REQUEST}

${SERVER}

${exits}`,
  plan: `Usage: meridian plan [rollout flags]

Prints the timeline per region (deploy, each canary stage with its gates, final validation,
observation window) and the expected total for each strategy. Contacts no server;
--service, --version and the artifact are optional here.
  --json      print the plan as JSON

${REQUEST}`,
  status: `Usage: meridian status <service> [--json]

The latest rollout of the service: state, and per region its phase, stage, weights,
last metrics, pending approvals.

${SERVER}`,
  watch: `Usage: meridian watch <service> [--interval <s>] [--json]

Follows the rollout until it closes: redrawn in place on a terminal, one line per change otherwise.
Exits 0 if it succeeded, 1 otherwise. --interval: seconds between polls (default 2).

${SERVER}`,
  compare: `Usage: meridian compare <service> [--json]

Per region: phase, the version serving it, live colour, the weights of the candidate and the
stable colour (each named by its colour) and the last error rate, p95 latency, CPU and memory
of the candidate.

${SERVER}`,
  list: `Usage: meridian list [<service>] [--limit <n>] [--json]

Recent rollouts, newest first (visibility search on MeridianService/MeridianVersion/
MeridianStrategy/MeridianOutcome). --limit defaults to 20. Drills (--time-scale < 1) and
dry runs are marked after their outcome: "succeeded (drill)"; only the rest count
towards the parallel policy.

${SERVER}`,
  pause: `Usage: meridian pause <service> [--region <r>] [--reason <text>]

Holds the rollout (or one region) before its next canary stage; health checks go on,
so a breach still rolls back.

${SERVER}`,
  resume: `Usage: meridian resume <service> [--region <r>]

${SERVER}`,
  abort: `Usage: meridian abort <service> --reason <text> [--region <r>]

Stops the rollout (or one region). Regions in flight roll back to their stable colour;
regions not started are skipped.

${SERVER}`,
  approve: `Usage: meridian approve <service> --region <r> --role <role> --approver <name>

Records one role's approval for a region. An unknown region or a role the rollout does not
require is rejected (exit 2) with the workflow's reason.

${SERVER}`,
  rollback: `Usage: meridian rollback <service> --region <r> --reason <text> [--to blue|green] [--dry-run] [--region-task-queues]

Emergency rollback of one region. If a rollout of the service is running and the region is
in flight, it aborts that region (which rolls it back); otherwise it runs the emergencyRollback
workflow (emergency-rollback-<service>--<region>): traffic and DNS to blue (or --to), then a card.
Waits for the rollback and prints the region's state. --region-task-queues runs the activities
on the region's own worker (task queue <task-queue>-<region>), as rollouts started with it do.

${SERVER}`,
};

/** `meridian worker-version --help`: a verb of its own (Worker Versioning), parsed in cli.ts. */
export const WORKER_VERSION_USAGE = `Usage: meridian worker-version status [--deployment <name>] [--json]
       meridian worker-version current [--build-id <id>] [--deployment <name>]

The central workers run as a Worker Deployment (default "meridian"), one version per build; each
rollout stays on the build it started on. status: every version with its status (current,
ramping, inactive, draining, drained) and drainage. current: make a build current, so new rollouts
start on it (default: the newest version that is not current, i.e. the build whose workers just
started; the server refuses a build whose workers have not polled yet). Running rollouts finish
on their own build; its workers exit by themselves once it is drained.
  --deployment <name>   the workers' workerDeployment.name (default meridian)
  --build-id <id>       the build to make current (a worker logs its build ID at start)

${SERVER}

${exits}`;
