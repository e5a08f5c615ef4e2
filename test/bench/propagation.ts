/**
 * `npm run bench:propagation`: how long an admin change takes to reach deliveries (SPEC §5: 2 s).
 * Deploys a stack with production cache settings (config 30 s, secrets 5 min) onto the emulator, then
 * sends an event every 100 ms throughout while it moves a channel's URL between two receiver paths
 * every 3 s, 20 times. A change's propagation time is how long after the admin API answered an attempt
 * still reached the old target (its arrival there). Prints each change, the median and the worst.
 */

import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import { benchStack, log, sleep } from './stack.ts';

const CHANGES = 20;
const SEND_EVERY_MS = 100;
/** Time between changes; deliveries are awaited this long after the last. */
const SEND_FOR_MS = 3_000;
const SETTLE_MS = 3_000;

const { call, stop } = await benchStack();

const receiver = await new WebhookReceiver().start();
const signingSecret = newSigningSecret();
const paths = ['/target-a', '/target-b'] as const;
for (const path of paths) receiver.expect(path, signingSecret);
const putChannel = (path: string) =>
  call('PUT', '/v1/channels/bench', { type: 'webhook', config: { url: receiver.url(path), signingSecret } });

await putChannel(paths[0]);
await call('PUT', '/v1/policies/bench', { events: ['bench.*'], channels: ['bench'] });
await sleep(3_000);

// Events flow all the time (every 100 ms), so every change lands on warm functions that read the
// config generation moments before it.
let sending = true;
let sent = 0;
const sender = (async () => {
  while (sending) {
    sent += 1;
    void call('POST', '/v1/iam/events', {
      id: `bench-${sent}`,
      type: 'bench.change',
      source: 'bench',
    });
    await sleep(SEND_EVERY_MS);
  }
})();
await sleep(SEND_FOR_MS);

const stale: number[] = [];
const changes: { at: number; old: string }[] = [];
for (let change = 1; change <= CHANGES; change += 1) {
  const target = paths[change % 2] ?? paths[0];
  const old = paths[(change + 1) % 2] ?? paths[0];
  await putChannel(target);
  changes.push({ at: Date.now(), old });
  await sleep(SEND_FOR_MS);
}
sending = false;
await sender;
await sleep(SETTLE_MS);

for (const [index, change] of changes.entries()) {
  const until = changes[index + 1]?.at ?? Number.POSITIVE_INFINITY;
  const late = receiver
    .deliveriesTo(change.old)
    .map((delivery) => delivery.at.getTime())
    .filter((at) => at >= change.at && at < until)
    .map((at) => at - change.at);
  const lastOld = late.length === 0 ? 0 : Math.max(...late);
  stale.push(lastOld);
  log(
    `change ${index + 1}: ${late.length} attempts still reached the old target, the last ${lastOld} ms after the answer`,
  );
}
log(`${sent} events sent, ${receiver.received.length} deliveries received`);

const sorted = [...stale].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
const worst = sorted.at(-1) ?? 0;
console.log(
  `\npropagation over ${CHANGES} changes: an attempt still used the old target at most ${worst} ms ` +
    `after the admin API answered (median ${median} ms; the contract allows 2000 ms)`,
);
await receiver.stop();
stop();
