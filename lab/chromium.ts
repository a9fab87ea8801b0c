// Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe: no port,
// no WebSocket client): open a page, wait until it shows the text asked for, save a PNG. For
// single-page apps such as the Temporal Web UI, which `--screenshot` alone captures before they render
// (and with `--virtual-time-budget` Chromium never finished on it: its long polls keep the page busy).
// Needs Debian's chromium (`apt-get install -y chromium`) or CHROMIUM=<binary>.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { sleep } from './demo-teardown.js';

export interface PageShot {
  url: string;
  png: string;
  width: number;
  height: number;
  /** Labels of controls to click once they show (collapsed panels to open), each once. */
  click?: string[];
  /** Texts the rendered page must contain before it is captured. */
  waitForTexts: string[];
  timeoutMs?: number;
}

type Reply = { id?: number; result?: Record<string, unknown>; error?: { message: string } };

/** What may be clicked on the page: a selector, quoted as the page's script reads it. */
const CONTROLS = "'button, summary, [role=button], [role=tab]'";

/** Captures `url` once its text contains every one of `waitForTexts`; rejects naming the missing ones. */
export async function screenshot(shot: PageShot): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'meridian-chromium-'));
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--hide-scrollbars',
    '--remote-debugging-pipe',
    `--user-data-dir=${profile}`,
    `--window-size=${shot.width},${shot.height}`,
  ];
  // fd 3: commands to Chromium; fd 4: its replies, each a JSON message ended by a NUL byte.
  const chromium = spawn(process.env.CHROMIUM ?? 'chromium', [...flags, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
  });
  const [toChromium, fromChromium] = [chromium.stdio[3] as Writable, chromium.stdio[4] as Readable];
  const waiting = new Map<number, (r: Reply) => void>();
  let buffered = '';
  fromChromium.on('data', (chunk: Buffer) => {
    const parts = (buffered + chunk.toString()).split('\0');
    buffered = parts.pop()!;
    for (const p of parts) {
      const reply = JSON.parse(p) as Reply;
      if (reply.id !== undefined) waiting.get(reply.id)?.(reply);
    }
  });
  const exited = new Promise<void>((resolve, reject) => {
    chromium.once('error', reject);
    chromium.once('exit', () => resolve());
  });
  let nextId = 0;
  const send = (method: string, params: object = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++nextId;
      waiting.set(id, (r) => (r.error ? reject(new Error(`${method}: ${r.error.message}`)) : resolve(r.result ?? {})));
      toChromium.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });

  try {
    const failed = exited.then(() => Promise.reject(new Error(`${process.env.CHROMIUM ?? 'chromium'} exited early`)));
    const run = async () => {
      const { targetInfos } = (await send('Target.getTargets')) as { targetInfos: { targetId: string; type: string }[] };
      const page = targetInfos.find((t) => t.type === 'page')!;
      const { sessionId } = (await send('Target.attachToTarget', { targetId: page.targetId, flatten: true })) as { sessionId: string };
      await send(
        'Emulation.setDeviceMetricsOverride',
        { width: shot.width, height: shot.height, deviceScaleFactor: 1, mobile: false },
        sessionId,
      );
      await send('Page.navigate', { url: shot.url }, sessionId);
      const deadline = Date.now() + (shot.timeoutMs ?? 60_000);
      const evaluate = async <T>(expression: string) =>
        ((await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as { result: { value: T } }).result.value;
      let [toClick, missing, text] = [shot.click ?? [], shot.waitForTexts, ''];
      while (toClick.length > 0 || missing.length > 0) {
        if (Date.now() > deadline)
          throw new Error(`${shot.url} never showed ${[...toClick, ...missing].join(', ')}; it shows: ${text.slice(0, 1000)}`);
        await sleep(500);
        const clicked = await evaluate<boolean[]>(`${JSON.stringify(toClick)}.map((label) => {
          const control = [...document.querySelectorAll(${CONTROLS})].find((e) => e.innerText.trim() === label);
          control?.click();
          return control !== undefined;
        })`);
        toClick = toClick.filter((_, i) => !clicked[i]);
        // The page's text and its same-origin frames' (the Web UI renders markdown in iframes).
        text = await evaluate<string>(
          '[document, ...[...document.querySelectorAll("iframe")].map((f) => f.contentDocument)]' +
            '.map((d) => d?.body?.innerText ?? "").join("\\n")',
        );
        missing = shot.waitForTexts.filter((t) => !text.includes(t));
      }
      // Rendered text is there; give layout and fonts a moment to settle.
      await sleep(1_000);
      const { data } = (await send('Page.captureScreenshot', { format: 'png' }, sessionId)) as { data: string };
      writeFileSync(shot.png, Buffer.from(data, 'base64'));
    };
    await Promise.race([run(), failed]);
  } finally {
    chromium.kill('SIGKILL');
    await exited.catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
}
