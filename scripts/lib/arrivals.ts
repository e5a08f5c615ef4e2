/** What a local peer (webhook receiver, SMTP catcher) has received, and a way to wait for more. */
export class Arrivals<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();

  add(item: T): void {
    this.items.push(item);
    for (const wake of this.waiters) wake();
  }

  /**
   * Resolves with the selected items once there are `count` of them, or rejects after `timeoutMs`
   * with `what` in the message.
   */
  async waitFor(select: (item: T) => boolean, count: number, timeoutMs: number, what: string): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    let found = this.items.filter(select);
    while (found.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} ${what} within ${timeoutMs} ms, got ${found.length}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 500));
        this.waiters.add(wake);
      });
      found = this.items.filter(select);
    }
    return found;
  }
}
