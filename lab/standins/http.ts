// Shared plumbing for the SaaS stand-ins: a loopback HTTP server on a free port, JSON bodies,
// and fault injection (rate limits, 5xx) so tests and the lab can rehearse vendor failures.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Fault {
  status: number;
  /** Sent as the Retry-After header (seconds), as the vendors do on 429. */
  retryAfterSeconds?: number;
  /** How many requests the fault answers; 'always' until cleared. Default 1. */
  times?: number | 'always';
}

/** Queued faults answer the next requests instead of the normal handler. */
export class FaultQueue {
  private queue: { fault: Fault; left: number }[] = [];

  inject(fault: Fault): void {
    this.queue.push({ fault, left: fault.times === 'always' ? Infinity : (fault.times ?? 1) });
  }

  clear(): void {
    this.queue = [];
  }

  /** The fault for this request, if any, consuming one use. */
  take(): Fault | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    head.left -= 1;
    if (head.left <= 0) this.queue.shift();
    return head.fault;
  }
}

export interface Listening {
  server: Server;
  /** http://127.0.0.1:<port> */
  origin: string;
  close(): Promise<void>;
}

export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void): Promise<Listening> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`stand-in error: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  // Keep-alive sockets would hold close() open; stand-ins answer and hang up.
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parsed JSON, or undefined when the body is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function send(res: ServerResponse, status: number, body: string | object, headers: Record<string, string> = {}): void {
  const isText = typeof body === 'string';
  res.writeHead(status, { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json', ...headers });
  res.end(isText ? body : JSON.stringify(body));
}

export function retryAfterHeader(fault: Fault): Record<string, string> {
  return fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
}

/** The bearer token of the request, or undefined. */
export function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** One-line summaries for the lab's console; tests leave printing off. */
export type Printer = (line: string) => void;

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
