// The parent's one record per region: its child once started, its result once finished, and what
// operators asked of it (a pause, an abort). A rollout-wide control is the same control applied to
// every region's record; a region not started yet takes its record's state when it starts.
import type { ChildWorkflowHandle } from '@temporalio/workflow';
import type { RegionResult } from '../domain/outcome.js';
import { abortSignal, pauseSignal, resumeSignal } from './messages.js';
import type { regionRollout } from './region-rollout.js';

export type Child = ChildWorkflowHandle<typeof regionRollout>;

export class RegionControl {
  child?: Child;
  workflowId?: string;
  result?: RegionResult;
  /** Held by an operator. A rollout-wide pause also holds a sequence's next region from starting. */
  paused?: { reason?: string; rolloutWide: boolean };
  /** Told to stop: the reason its child is sent, and what the region is recorded as if it never started. */
  stop?: { reason: string; unstarted: RegionResult };
  /** Orders the pauses and resumes sent to the child (signals to a child may arrive out of order). */
  private seq = 0;

  get running(): boolean {
    return this.child !== undefined && this.result === undefined;
  }

  pause(reason: string | undefined, rolloutWide: boolean): void {
    if (this.result) return;
    this.paused = { reason, rolloutWide };
    this.send((c) => c.signal(pauseSignal, { reason, seq: ++this.seq }));
  }

  resume(): void {
    if (this.result) return;
    this.paused = undefined;
    this.send((c) => c.signal(resumeSignal, { seq: ++this.seq }));
  }

  /** The first stop counts; a running child is told at once and rolls back. */
  abort(reason: string, unstarted: RegionResult): void {
    if (this.result) return;
    this.stop ??= { reason, unstarted };
    this.send((c) => c.signal(abortSignal, { reason: this.stop!.reason }));
  }

  /** The child just started: what was asked while it was starting must not miss it. */
  started(child: Child, workflowId: string): void {
    this.child = child;
    this.workflowId = workflowId;
    if (this.paused) this.send((c) => c.signal(pauseSignal, { reason: this.paused!.reason, seq: ++this.seq }));
    if (this.stop) this.send((c) => c.signal(abortSignal, { reason: this.stop!.reason }));
  }

  /** Sends to the running child; a child that already finished cannot take a signal, and that is fine. */
  send(signal: (c: Child) => Promise<void>): void {
    if (this.running) void signal(this.child!).catch(() => undefined);
  }
}
