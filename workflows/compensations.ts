// What a region changed, as a list of undos that rollback runs in reverse (the saga's compensations).
import { failureMessage } from './region-errors.js';

interface Compensation {
  what: 'traffic' | 'dns';
  undo(): Promise<void>;
}

export class Compensations {
  private readonly steps: Compensation[] = [];

  /** Nothing changed yet: nothing to roll back. */
  get none(): boolean {
    return this.steps.length === 0;
  }

  /** Registers an undo, once per kind of change. */
  add(what: Compensation['what'], undo: () => Promise<void>): void {
    if (!this.steps.some((c) => c.what === what)) this.steps.push({ what, undo });
  }

  /** Undoes every change in reverse order; one that fails is reported and the rest still run. */
  async undoAll(): Promise<string | undefined> {
    const problems: string[] = [];
    for (const c of [...this.steps].reverse()) {
      try {
        await c.undo();
      } catch (err) {
        problems.push(`${c.what}: ${failureMessage(err)}`);
      }
    }
    return problems.length ? problems.join('; ') : undefined;
  }
}
