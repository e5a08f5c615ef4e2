/**
 * `npm run bench:rate-limit`: how Herald spreads a burst under a channel's `rateLimit`. Deploys a
 * stack onto the emulator, then for each limit sends a burst in one request and records when each
 * notification reached the receiver: the busiest second (sliding 1 s window; must not pass the limit),
 * the achieved rate, the shortest and median gap, and how long the burst took.
 */

import { WebhookReceiver } from '../../scripts/lib/receiver.ts';
import { newSigningSecret } from '../../shared/channels/webhook/index.ts';
import { benchStack, log, sleep } from './stack.ts';

const RUNS = [
  { perSecond: 5, burst: 50 },
  { perSecond: 1, burst: 10 },
  { perSecond: 20, burst: 200 },
] as const;

const { call, stop } = await benchStack();

const receiver = await new WebhookReceiver().start();
const rows: string[] = [];
for (const [index, { perSecond, burst }] of RUNS.entries()) {
  const id = `limited-${index}-${Date.now() % 100_000}`;
  const path = `/${id}`;
  const signingSecret = newSigningSecret();
  receiver.expect(path, signingSecret);
  await call('PUT', `/v1/channels/${id}`, {
    type: 'webhook',
    config: { url: receiver.url(path), signingSecret },
    rateLimit: { perSecond },
  });
  await call('PUT', `/v1/policies/${id}`, { events: [`${id}.*`], channels: [id] });
  await sleep(3_000);

  const sentAt = Date.now();
  for (let start = 0; start < burst; start += 100) {
    const events = Array.from({ length: Math.min(100, burst - start) }, (_, n) => ({
      type: `${id}.burst`,
      source: 'bench',
      subject: `burst ${start + n}`,
    }));
    await call('POST', '/v1/iam/events', { events });
  }
  const arrived = await receiver.waitFor(path, burst, burst * 1000 + 60_000);
  const times = arrived.map((delivery) => delivery.at.getTime()).sort((a, b) => a - b);
  const first = times[0] ?? sentAt;
  const last = times.at(-1) ?? sentAt;
  const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
  const gaps = times.slice(1).map((t, n) => t - (times[n] ?? t));
  const sortedGaps = [...gaps].sort((a, b) => a - b);
  const rate = ((times.length - 1) * 1000) / Math.max(1, last - first);
  const ids = new Set(arrived.map((delivery) => delivery.headers['webhook-id']));
  rows.push(
    `| ${perSecond}/s | ${burst} | ${arrived.length} (${ids.size} distinct) | ${busiest} | ${rate.toFixed(2)}/s | ` +
      `${sortedGaps[0] ?? 0} ms | ${sortedGaps[Math.floor(sortedGaps.length / 2)] ?? 0} ms | ` +
      `${((last - sentAt) / 1000).toFixed(1)} s |`,
  );
  log(rows.at(-1) ?? '');
}

console.log(
  [
    '',
    '| limit | burst | arrived | busiest second | achieved rate | shortest gap | median gap | burst took |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n'),
);
await receiver.stop();
stop();
