import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { HeraldStack, type HeraldStackProps } from '../../infra/herald-stack.ts';
import { STACKS } from './stacks.ts';

/** The part of CDK's `validation-report.json` read here: each plugin's unacknowledged findings. */
interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly {
      readonly ruleName: string;
      readonly description: string;
      readonly severity?: string;
      readonly violatingConstructs: readonly { readonly constructPath: string }[];
    }[];
  }[];
}

const outdir = mkdtempSync(join(tmpdir(), 'herald-nag-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/**
 * Synthesizes the stack as the other infra tests do (no bundling: the rules are about resources) with
 * cdk-nag's AwsSolutions and Serverless packs as validation plugins, and returns every finding that no
 * `Validations.of(…).acknowledge()` covers, errors and warnings alike, one line each.
 */
const unacknowledgedFindings = (name: string, props: HeraldStackProps): string[] => {
  const assemblyDir = join(outdir, name.replace(/\W/g, '-'));
  const app = new App({ outdir: assemblyDir, context: { 'aws:cdk:bundling-stacks': [] } });
  new HeraldStack(app, 'Herald', props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  try {
    app.synth();
  } catch (error) {
    // Synthesis stops on an error-level finding; the report below lists them with the warnings.
    if (!existsSync(join(assemblyDir, 'validation-report.json'))) throw error;
  }
  const reportFile = join(assemblyDir, 'validation-report.json');
  if (!existsSync(reportFile)) return [];
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport;
  return report.pluginReports.flatMap(({ pluginName, violations }) =>
    violations.flatMap(({ ruleName, description, severity, violatingConstructs }) =>
      violatingConstructs.map(
        ({ constructPath }) =>
          `${severity ?? 'finding'} ${pluginName}::${ruleName} at ${constructPath}: ${description}`,
      ),
    ),
  );
};

describe('cdk-nag', () => {
  it.each(Object.entries(STACKS))(
    'leaves no AwsSolutions or Serverless finding unacknowledged (%s)',
    (name, props) => {
      // Act
      const findings = unacknowledgedFindings(name, props);

      // Assess: every finding is printed, so a failure says what to fix or acknowledge (with a reason).
      expect(findings.join('\n'), `${findings.length} unacknowledged cdk-nag finding(s)`).toBe('');
    },
  );
});
