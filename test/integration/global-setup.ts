import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import {
  deployStack,
  EMULATOR_LOG,
  type StackOutputs,
  startEmulator,
  stopEmulator,
  useEmulator,
} from '../../scripts/lib/local-aws.ts';
import { API_RESPONSES_FILE, scanForSecrets } from './secret-scan.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    endpoint: string;
    outputs: StackOutputs;
  }
}

/**
 * Test stack: its own name and bus, a retry schedule in seconds, a 1 s config cache, no API key cache;
 * SNS topics, SQS queues, EventBridge buses and IAM roles named `herald-test-*` and the `herald.test`
 * SES domain allowed; the test SMTP server's
 * self-signed certificate trusted; a channel disabled after 150 dead letters in a row (above the 100 per
 * channel of the dead-letter chaos test); every redrive
 * by filter handed to the background redrive function at once (so the tests always exercise it); the
 * chaos suite's crash points on. The router and deliver timeouts are 30 s, so the ingest and delivery
 * queues' visibility timeouts (6 ×) are 3 min: the chaos suite's crash test waits that long for SQS
 * to bring back the batches its crashes left (the deliver function's production 60 s would make it 6 min).
 */
export const TEST_STACK = {
  stackName: 'HeraldTest',
  eventBusName: 'herald-test',
  retrySchedule: [0, 1, 1],
  configCacheSeconds: 1,
  apiKeyCacheSeconds: 0,
  snsTopicArns: ['arn:aws:sns:us-east-1:000000000000:herald-test-*'],
  sesIdentities: ['herald.test'],
  sqsQueueArns: ['arn:aws:sqs:us-east-1:000000000000:herald-test-*'],
  // Not the stack's own bus (`herald-test`, no dash after it): that one is refused as a loop anyway.
  eventBusArns: ['arn:aws:events:us-east-1:000000000000:event-bus/herald-test-*'],
  assumableRoleArns: ['arn:aws:iam::000000000000:role/herald-test-*'],
  smtpTrustedCaFile: join(import.meta.dirname, '..', 'fixtures', 'tls', 'smtp-test.crt'),
  autoDisableAfter: 150,
  redriveForegroundSeconds: 0,
  faultInjection: true,
  timeoutSeconds: { router: 30, deliver: 30 },
} as const;

const log = (message: string) => console.log(`[integration] ${message}`);

/** Starts (or reuses) the emulator and deploys the real stack once for every integration test file. */
export default async function setup(project: TestProject) {
  const started = performance.now();
  rmSync(API_RESPONSES_FILE, { force: true });
  // The emulator log is appended to across runs: the scan checks correlation ids on this run's lines.
  const logFrom = existsSync(EMULATOR_LOG) ? statSync(EMULATOR_LOG).size : 0;
  const emulator = await startEmulator(log);
  const outputs = await deployStack(emulator.endpoint, TEST_STACK, log);
  log(`stack ready in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  project.provide('endpoint', emulator.endpoint);
  project.provide('outputs', outputs);
  return async () => {
    try {
      // After every test: no secret the tests configured may have leaked anywhere Herald writes.
      useEmulator(emulator.endpoint);
      const report = await scanForSecrets(outputs, logFrom);
      const looked = Object.entries(report.haystacks)
        .map(([where, count]) => `${count} ${where}`)
        .join(', ');
      log(`secret scan: ${report.secrets} secret values checked against ${looked}`);
      log(`correlation ids: ${report.correlatedLines} router and deliver lines about an event checked`);
      if (report.findings.length > 0) {
        throw new Error(`secret scan found:\n${report.findings.join('\n')}`);
      }
    } finally {
      if (emulator.started) stopEmulator(log);
    }
  };
}
