// Stopping the demo: what it started, newest first, and waits that Ctrl-C cuts short.

export /** Things to stop, newest first; anything added once closing starts is stopped at once. */
class Teardown {
  private items: { name: string; stop: () => Promise<unknown> }[] = [];
  private closing?: Promise<void>;

  add(name: string, stop: () => Promise<unknown>): void {
    if (this.closing) void stop().catch(() => undefined);
    else this.items.push({ name, stop });
  }

  get started(): boolean {
    return this.closing !== undefined;
  }

  run(log: (line: string) => void): Promise<void> {
    this.closing ??= (async () => {
      for (const item of this.items.splice(0).reverse()) {
        const t = Date.now();
        const timeout = new Promise((r) => setTimeout(r, 20_000).unref());
        await Promise.race([item.stop().catch((err: Error) => log(`stopping ${item.name}: ${err.message}`)), timeout]);
        if (process.env.MERIDIAN_DEMO_DEBUG) log(`stopped ${item.name} in ${Date.now() - t} ms`);
      }
    })();
    return this.closing;
  }
}

export class Interrupted extends Error {}

export function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new Interrupted('interrupted'));
  return new Promise<T>((res, rej) => {
    const onAbort = () => rej(new Interrupted('interrupted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(res, rej).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (signal?.aborted) throw new Interrupted('interrupted');
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}
