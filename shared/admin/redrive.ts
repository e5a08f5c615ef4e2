import type { Queue } from '../aws/queue.ts';
import {
  type DeliveryRef,
  deliveryRefOf,
  type RedriveTask,
  type StateRepository,
} from '../aws/state-repository.ts';

/** Dead letters read per page of a redrive. */
const PAGE_SIZE = 25;
/**
 * A redriven job is queued hidden for this long, then its delivery is reset: the job cannot arrive
 * before the reset (it would find the delivery still dead and stop), and a crash between the two
 * leaves the delivery dead and redrivable, never pending with no job.
 */
export const REDRIVE_DELAY_SECONDS = 2;

export interface RedriveCounts {
  readonly redriven: number;
  readonly skipped: number;
}

export interface RedrivePorts {
  readonly state: Pick<
    StateRepository,
    'listDeadLetters' | 'getDeadJob' | 'resetForRedrive' | 'advanceRedrive' | 'getRedrive'
  >;
  readonly deliveryQueue: Pick<Queue, 'sendAll'>;
}

/**
 * Sends dead deliveries back through delivery (SPEC §6): each one's kept job is queued again and the
 * delivery reset for a new round of attempts, only while it is still dead, so a delivered pair is
 * never sent again and two redrives never both restart one delivery.
 */
export class Redriver {
  constructor(private readonly ports: RedrivePorts) {}

  /** Redrives the given dead deliveries; one that is not dead (or kept no job) is skipped. */
  async redriveAll(refs: readonly DeliveryRef[], now: Date): Promise<RedriveCounts> {
    const jobs = await Promise.all(refs.map((ref) => this.ports.state.getDeadJob(ref.deliveryId)));
    const queued = refs.flatMap((ref, index) => {
      const body = jobs[index];
      return body === undefined ? [] : [{ ref, body }];
    });
    const failed = await this.ports.deliveryQueue.sendAll(
      queued.map(({ ref, body }) => ({ key: ref.deliveryId, body })),
      REDRIVE_DELAY_SECONDS,
    );
    if (failed.length > 0) {
      // Still dead, with their jobs: the next redrive picks them up.
      throw new Error(`${failed.length} redriven jobs could not be queued; they stay dead`);
    }
    const reset = await Promise.all(queued.map(({ ref }) => this.ports.state.resetForRedrive(ref, now)));
    const redriven = reset.filter(Boolean).length;
    return { redriven, skipped: refs.length - redriven };
  }

  /**
   * Runs a redrive task page by page until it is done or `deadline` passes; returns the task as it
   * stands and whether this runner should hand the rest on (`continues`). A second runner of the same
   * task (a repeated continuation message) stops at its first page and hands nothing on.
   */
  async run(
    task: RedriveTask,
    deadline: number,
    clock: () => Date = () => new Date(),
  ): Promise<{ task: RedriveTask; continues: boolean }> {
    let current = task;
    let owned = true;
    while (current.status === 'running' && Date.now() < deadline) {
      const page = await this.ports.state.listDeadLetters({
        ...(current.channelId === undefined ? {} : { channelId: current.channelId }),
        ...(current.eventType === undefined ? {} : { eventType: current.eventType }),
        before: current.cursor ?? current.before,
        limit: PAGE_SIZE,
      });
      const refs = page.items.map(deliveryRefOf);
      const counts = await this.redriveAll(refs, clock());
      // Where the index read stopped: the next page starts after it.
      const last = page.lastKey?.statusSk;
      const done = typeof last !== 'string';
      const progress = {
        ...counts,
        done,
        ...(typeof last === 'string' ? { cursor: last } : {}),
      };
      if (!(await this.ports.state.advanceRedrive(current, progress, clock()))) {
        owned = false;
        break;
      }
      current = {
        ...current,
        redriven: current.redriven + counts.redriven,
        skipped: current.skipped + counts.skipped,
        status: done ? 'done' : 'running',
        updatedAt: clock().toISOString(),
        ...(typeof last === 'string' ? { cursor: last } : {}),
      };
    }
    const latest = (await this.ports.state.getRedrive(current.id)) ?? current;
    return { task: latest, continues: owned && latest.status === 'running' };
  }
}
