// A stand-in artifact registry on 127.0.0.1: serves tar.gz files over plain HTTP and counts downloads,
// so tests can tell whether a deploy fetched anything; the demo lab publishes its releases here.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Artifact {
  url: string;
  sha256: string;
}

export interface ArtifactServer {
  /** Publishes bytes at /artifacts/<name> and returns its URL and digest. */
  publish(name: string, bytes: Buffer): Artifact;
  /** Completed GET requests per artifact name. */
  downloads(name: string): number;
  close(): Promise<void>;
}

export async function startArtifactServer(): Promise<ArtifactServer> {
  const files = new Map<string, Buffer>();
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/artifacts\//, ''));
    const body = req.method === 'GET' ? files.get(name) : undefined;
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    counts.set(name, (counts.get(name) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    publish(name, bytes) {
      files.set(name, bytes);
      return {
        url: `http://127.0.0.1:${port}/artifacts/${encodeURIComponent(name)}`,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
    },
    downloads: (name) => counts.get(name) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Builds a .tar.gz with the given files (path → content) using the system tar, as a build pipeline would. */
export function makeTarGz(files: Record<string, string>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-artifact-'));
  try {
    const root = join(dir, 'root');
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    execFileSync('tar', ['-czf', join(dir, 'a.tar.gz'), '-C', root, '.']);
    return readFileSync(join(dir, 'a.tar.gz'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
