/**
 * Keeps a function's caches in step with admin writes (SPEC §5: a change applies to every routing
 * decision and attempt that starts 2 s after the admin API answered). The admin API bumps one counter
 * in the config table after every write; a function reads it at most once per interval and, when it
 * moved, clears its caches of policies, channels and secrets. In steady state that is one small read
 * per second per instance, and no policy or secret read per event.
 */
export class ConfigGeneration {
  /** When the last read started: every write answered before it is seen. */
  private checkedAt = Number.NEGATIVE_INFINITY;
  private value: number | undefined;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<number>,
    private readonly onChange: () => void,
    private readonly intervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads the generation unless it was read less than an interval ago; clears the caches if it moved. */
  async sync(): Promise<void> {
    if (this.now() - this.checkedAt < this.intervalMs) return;
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async refresh(): Promise<void> {
    const started = this.now();
    const value = await this.read();
    if (this.value !== undefined && value !== this.value) this.onChange();
    this.value = value;
    this.checkedAt = started;
  }
}
