// Debian packages that tests and the lab need (sshd, haproxy, nginx, prometheus, pushgateway).
// Installs missing ones when running as root; otherwise names the exact command.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Package name → the executable whose presence shows it is installed. */
export const DEBIAN_PACKAGES = {
  'openssh-server': '/usr/sbin/sshd',
  haproxy: '/usr/sbin/haproxy',
  nginx: '/usr/sbin/nginx',
  prometheus: '/usr/bin/prometheus',
  'prometheus-pushgateway': '/usr/bin/prometheus-pushgateway',
} as const;
export type DebianPackage = keyof typeof DEBIAN_PACKAGES;

export function missingPackages(names: readonly DebianPackage[]): DebianPackage[] {
  return names.filter((n) => !existsSync(DEBIAN_PACKAGES[n]));
}

export function installCommand(names: readonly DebianPackage[]): string {
  return `apt-get update && apt-get install -y --no-install-recommends ${names.join(' ')}`;
}

export function ensureDebianPackages(names: readonly DebianPackage[]): void {
  const missing = missingPackages(names);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages ${missing.join(', ')}; install them with: sudo sh -c '${installCommand(missing)}'`);
  }
  process.stderr.write(`[meridian] installing Debian packages: ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  // policy-rc.d keeps Debian from starting the system-wide daemons: tests start their own on loopback.
  execFileSync('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d`]);
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  } finally {
    execFileSync('rm', ['-f', '/usr/sbin/policy-rc.d']);
  }
  const still = missingPackages(names);
  if (still.length) throw new Error(`Debian packages still missing after install: ${still.join(', ')}`);
}

// `tsx lab/debian.ts` installs every package the tests and the lab use.
if (process.argv[1]?.endsWith('debian.ts')) ensureDebianPackages(Object.keys(DEBIAN_PACKAGES) as DebianPackage[]);
